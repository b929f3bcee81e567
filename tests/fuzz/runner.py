"""Runs a fuzzing campaign in worker subprocesses and reports crashes and hangs.

    PYTHONPATH=python python tests/fuzz/runner.py --calls 10000 --seed 1 --jobs 2

Each worker (worker.py) makes a range of calls and announces each on a pipe before making it. A worker that dies
by a signal (or exits without finishing) crashed in the call it last announced; one that goes quiet for longer
than --call-timeout is hung there and is killed. Either way the failure is recorded with the call's seed, index
and description, and a fresh worker carries on after it, so one campaign finds every crash in its range. A
failure replays alone with ``python tests/fuzz/worker.py --seed S --start I --stop I+1 --verbose``.
"""
import argparse
import collections
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "worker.py")


class Failure(dict):
    """kind (crash | hang | exit | bad), seed, index, family, label, detail (signal, stderr tail, message)."""

    def replay(self):
        extra = "".join(f" {a}" for a in self.get("extra", ()))
        return (f"python tests/fuzz/worker.py --seed {self['seed']} --start {self['index']} "
                f"--stop {self['index'] + 1}{extra} --verbose")

    def __str__(self):
        return (f"{self['kind']} at call {self['index']} (seed {self['seed']}, {self['family']}): {self['label']}\n"
                f"  {self['detail']}\n  replay: {self.replay()}")


def _env():
    env = dict(os.environ)
    env.setdefault("AXONAL_CUDA_EMULATE", "1")  # device calls reach the emulated CUDA kernels too
    env.setdefault("OMP_NUM_THREADS", "2")
    return env


class _Worker:
    def __init__(self, seed, start, stop, limit_mb, extra):
        self.read_fd, write_fd = os.pipe()
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, WORKER, "--seed", str(seed), "--start", str(start), "--stop", str(stop),
             "--report-fd", str(write_fd), "--limit-mb", str(limit_mb)] + extra,
            stdout=subprocess.DEVNULL, stderr=self.stderr, pass_fds=(write_fd,), env=_env(),
            start_new_session=True)
        os.close(write_fd)
        self.buffer = b""
        self.current = None  # (index, family, label) of the call announced last and not yet ended
        self.last_event = time.monotonic()
        self.done = False

    def lines(self):
        chunk = os.read(self.read_fd, 1 << 16)
        if not chunk:
            return None
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n")
        self.last_event = time.monotonic()
        return [c.decode("utf-8", "replace") for c in complete]

    def stderr_tail(self, limit=1500):
        """The start (a sanitizer's report opens with its error line) and the end (Python's traceback)."""
        self.stderr.seek(0)
        text = self.stderr.read().decode("utf-8", "replace")
        return text if len(text) <= 2 * limit else text[:limit] + " [...] " + text[-limit:]

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def close(self):
        os.close(self.read_fd)
        self.stderr.close()


def run(calls, seed=0, start=0, jobs=1, call_timeout=60.0, limit_mb=3072, extra=(), log=None):
    """Fuzzes calls [start, start + calls) of campaign ``seed``; returns a summary dict with the failures."""
    extra = list(extra)
    # Split the range over the jobs; each range is worked off by successive workers (one after a failure).
    bounds = [start + (calls * j) // jobs for j in range(jobs + 1)]
    pending = collections.deque((bounds[j], bounds[j + 1]) for j in range(jobs) if bounds[j] < bounds[j + 1])
    active = {}
    failures, outcomes, families, returned = [], collections.Counter(), collections.Counter(), collections.Counter()
    made = 0
    t0 = time.monotonic()

    def launch(lo, hi):
        w = _Worker(seed, lo, hi, limit_mb, extra)
        w.range = (lo, hi)
        active[w.read_fd] = w

    def fail(w, kind, detail):
        index, family, label = w.current if w.current else (w.next_index, "startup", "<before the first call>")
        f = Failure(kind=kind, seed=seed, index=index, family=family, label=label, detail=detail, extra=extra)
        failures.append(f)
        if log:
            log(str(f))
        return index

    while pending or active:
        while pending and len(active) < jobs:
            launch(*pending.popleft())
        ready, _, _ = select.select(list(active), [], [], 1.0)
        now = time.monotonic()
        for fd in ready:
            w = active[fd]
            got = w.lines()
            if got is None:  # EOF: the worker exited
                rc = w.proc.wait()
                resume = None
                if not w.done:
                    w.next_index = w.range[0]
                    kind = "crash" if rc < 0 else "exit"
                    detail = (f"signal {signal.Signals(-rc).name}" if rc < 0 else f"exit status {rc}") + \
                        f"; stderr: {w.stderr_tail()!r}"
                    index = fail(w, kind, detail)
                    resume = index + 1
                del active[fd]
                w.close()
                if resume is not None and resume < w.range[1]:
                    pending.appendleft((resume, w.range[1]))
                continue
            for line in got:
                kind, _, rest = line.partition(" ")
                if kind == "BEGIN":
                    index, family, label = rest.split(" ", 2) if rest.count(" ") >= 2 else (rest, "?", "")
                    w.current = (int(index), family, label)
                    families[family] += 1
                elif kind == "END":
                    index, outcome = rest.split(" ", 1)
                    outcomes[outcome] += 1
                    if w.current is not None:
                        returned[w.current[1]] += outcome == "ok"
                    made += 1
                    w.range = (int(index) + 1, w.range[1])
                    w.current = None
                elif kind == "BAD":
                    index, why = rest.split(" ", 1)
                    saved = w.current
                    w.current = w.current or (int(index), "canary", "<state check after the call>")
                    fail(w, "bad", why)
                    w.current = saved
                elif kind == "DONE":
                    w.done = True
        for fd, w in list(active.items()):
            if now - w.last_event > call_timeout:
                w.kill()
                w.next_index = w.range[0]
                index = fail(w, "hang", f"no progress for {call_timeout:.0f} s; stderr: {w.stderr_tail()!r}")
                del active[fd]
                w.close()
                if index + 1 < w.range[1]:
                    pending.appendleft((index + 1, w.range[1]))
                made += 1
    return {
        "seed": seed, "start": start, "calls": calls, "made": made, "seconds": round(time.monotonic() - t0, 1),
        "failures": failures, "outcomes": dict(outcomes.most_common()), "families": dict(families.most_common()),
        "returned": {f: returned[f] for f in families},  # calls per family that returned (the rest raised)
        "crashes": sum(f["kind"] in ("crash", "exit") for f in failures),
        "hangs": sum(f["kind"] == "hang" for f in failures),
        "bad": sum(f["kind"] == "bad" for f in failures),
    }


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--call-timeout", type=float, default=60.0)
    p.add_argument("--limit-mb", type=int, default=3072)
    p.add_argument("--only", default=None)
    p.add_argument("--json", default=None, help="write the summary here")
    args = p.parse_args(argv)
    extra = ["--only", args.only] if args.only else []
    summary = run(args.calls, args.seed, args.start, args.jobs, args.call_timeout, args.limit_mb, extra,
                  log=lambda s: print(s, flush=True))
    printable = dict(summary, failures=[dict(f, replay=f.replay()) for f in summary["failures"]])
    text = json.dumps(printable, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    print(json.dumps({k: printable[k] for k in ("seed", "calls", "made", "seconds", "crashes", "hangs", "bad",
                                                "outcomes", "families")}, indent=1))
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
