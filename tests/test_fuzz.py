"""Fuzzing the public API: random malformed calls in subprocesses; a crash or a hang fails the test.

The harness lives in tests/fuzz (values.py draws arguments, targets.py the calls, worker.py makes them under an
address-space limit, runner.py supervises the workers). Every call may return or raise a Python exception; a
signal, a process that exits mid-call, a call that hangs, a SystemError or a computation whose result changed
afterwards (the worker's canary) is a failure, reported with the command that replays it alone.

The default lane makes a few hundred calls (seconds); the slow lane 10 000 (a few minutes on two cores). Under
scripts/sanitize.sh the workers inherit ASan/UBSan, so memory errors that do not crash (a write past an array)
fail the run too.
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fuzz"))

import runner  # noqa: E402 - tests/fuzz is put on the path above
import targets  # noqa: E402


def check(summary):
    report = "\n".join(str(f) for f in summary["failures"])
    print(f"fuzz: {summary['made']} calls in {summary['seconds']} s (seed {summary['seed']}): {summary['crashes']} "
          f"crashes, {summary['hangs']} hangs, {summary['bad']} bad; outcomes {summary['outcomes']}")
    assert not summary["failures"], report
    assert summary["made"] == summary["calls"]
    # The calls must mostly get past the argument checks: a harness whose every call fails at once tests nothing.
    assert summary["outcomes"].get("ok", 0) >= 0.2 * summary["made"]


def sanitized():
    return bool(os.environ.get("AXONAL_SANITIZED"))


def test_fuzz_short_run():
    # The seed is fixed unless asked otherwise (AXONAL_FUZZ_SEED): a failure in the suite must replay.
    seed = int(os.environ.get("AXONAL_FUZZ_SEED", "20240"))
    summary = runner.run(calls=300 if sanitized() else 800, seed=seed, jobs=2,
                         call_timeout=180 if sanitized() else 60)
    check(summary)
    missing = set(targets.FAMILIES) - set(summary["families"])
    assert not missing, f"families never drawn: {missing}"


@pytest.mark.slow
def test_fuzz_ten_thousand_calls():
    seed = int(os.environ.get("AXONAL_FUZZ_SEED", "1"))
    summary = runner.run(calls=10_000, seed=seed, jobs=2, call_timeout=180 if sanitized() else 90)
    print("calls per family:", summary["families"])
    print("of which returned:", summary["returned"])
    check(summary)
