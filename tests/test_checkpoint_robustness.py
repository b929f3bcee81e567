"""Checkpoints survive a writer killed mid-save, and damaged files are refused by name.

- Atomic writes: a child process saves a new checkpoint over an existing one and is SIGKILLed at a random moment
  of the save; afterwards the file must load and be exactly the old checkpoint or exactly the new one. The kill
  times are spread over the measured duration of a save, so kills land before, inside and after the write (the
  test counts how many left the temporary file behind, i.e. died inside it). The children are forked from a
  "zygote" that imported axonal once, so that a kill costs milliseconds, not an interpreter start.
- Damage: a truncated file, a file with any single bit flipped, and headers that claim more than the file holds
  raise ValueError naming the file; a flip that damages nothing axonal reads (a byte of an unused name) may load,
  but then it loads the saved values exactly -- never wrong numbers.
"""
import glob
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import axonal as ax

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(ax.__file__)))  # the session's axonal (installed or python/)


def state(seed, n=300_000):
    """A checkpoint of a few MB (so that a save takes milliseconds), different in every tensor for each seed."""
    g = np.random.default_rng(seed)
    return {"model": {"0.weight": g.standard_normal((n // 100, 100)).astype(np.float32),
                      "0.bias": g.standard_normal(n // 100).astype(np.float32),
                      "1.weight": g.standard_normal((64, n // 100)).astype(np.float32)},
            "epoch": int(seed), "tag": f"state-{seed}"}


def identical(loaded, expected):
    m, e = loaded["model"], expected["model"]
    return (loaded["epoch"] == expected["epoch"] and loaded["tag"] == expected["tag"] and set(m) == set(e)
            and all(np.array_equal(m[k].numpy() if isinstance(m[k], ax.Tensor) else m[k], e[k]) for k in e))


# The zygote: imports axonal, then for each line "path seed" on stdin forks a child that saves state(seed) over
# path, and answers with the child's pid. The child signals readiness just before calling save.
ZYGOTE = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {tests!r})
    import axonal as ax
    from test_checkpoint_robustness import state
    cache = {{}}
    for line in sys.stdin:
        if line.startswith("time"):
            _, path, seed = line.split()
            obj = cache.setdefault(int(seed), state(int(seed)))
            t = time.perf_counter()
            for _ in range(3):
                ax.save(obj, path)
            print((time.perf_counter() - t) / 3, flush=True)
            continue
        path, seed = line.split()
        obj = cache.setdefault(int(seed), state(int(seed)))
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.write(w, b"x")
            ax.save(obj, path)
            os._exit(0)
        os.close(w)
        os.read(r, 1)  # the child is about to save
        os.close(r)
        print(pid, flush=True)
        os.waitpid(pid, 0)
""")


class Zygote:
    def __init__(self):
        env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE.format(tests=HERE)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def kill_during_saves(tmp_path, kills, seed=0):
    """SIGKILLs ``kills`` savers at random moments; returns counts of what the file held afterwards."""
    path = str(tmp_path / "ckpt.safetensors")
    old, new = state(1), state(2)
    zygote = Zygote()
    try:
        duration = float(zygote.ask(f"time {path} 2"))
        rng = random.Random(seed)
        counts = {"old": 0, "new": 0, "inside_write": 0, "kills": 0, "save_seconds": duration}
        for _ in range(kills):
            ax.save(old, path)
            pid = int(zygote.ask(f"{path} 2"))
            # From "about to call save" to a little past its usual end, so every phase gets kills.
            time.sleep(rng.uniform(0, 2.0 * duration))
            try:
                os.kill(pid, signal.SIGKILL)
                counts["kills"] += 1
            except ProcessLookupError:  # the save finished first: fine, the file must be the new one
                pass
            time.sleep(0.002)
            leftovers = glob.glob(str(tmp_path / ".axonal-*.tmp"))
            counts["inside_write"] += bool(leftovers)
            for f in leftovers:
                os.unlink(f)
            loaded = ax.load(path)  # must not raise: the file is one whole checkpoint
            if identical(loaded, old):
                counts["old"] += 1
            elif identical(loaded, new):
                counts["new"] += 1
            else:
                raise AssertionError("the checkpoint after the kill is neither the old nor the new one")
    finally:
        zygote.close()
    return counts


def test_killed_writer_leaves_old_or_new_checkpoint(tmp_path):
    counts = kill_during_saves(tmp_path, kills=25)
    print("kill-during-save:", counts)
    assert counts["old"] + counts["new"] == 25
    assert counts["kills"] >= 5  # most children were killed, not allowed to finish


@pytest.mark.slow
def test_killed_writer_leaves_old_or_new_checkpoint_many_times(tmp_path):
    counts = kill_during_saves(tmp_path, kills=400, seed=1)
    print("kill-during-save:", counts)
    assert counts["old"] + counts["new"] == 400
    # The random times must have hit every phase: before the rename (old), after it (new), inside the write.
    assert counts["old"] > 0 and counts["new"] > 0 and counts["inside_write"] > 0


# ---------------------------------------------------------------------------------------------- damaged files
def small_checkpoint(tmp_path):
    obj = {"w": ax.tensor(np.arange(12, dtype=np.float32).reshape(3, 4)), "b": np.arange(4, dtype=np.float64),
           "epoch": 3, "cfg": {"lr": 0.1}}
    path = tmp_path / "small.safetensors"
    ax.save(obj, path)
    return path, obj, path.read_bytes()


def loads_exactly(back, obj):
    return (isinstance(back, dict) and set(back) == set(obj) and np.array_equal(back["w"].numpy(), obj["w"].numpy())
            and back["w"].dtype == obj["w"].dtype and np.array_equal(back["b"], obj["b"])
            and back["b"].dtype == obj["b"].dtype and back["epoch"] == 3 and back["cfg"] == {"lr": 0.1})


def refused_by_name(path):
    with pytest.raises(ValueError) as info:
        ax.load(path)
    assert str(path) in str(info.value), info.value
    return info.value


def test_every_truncation_is_refused_by_name(tmp_path):
    path, _, data = small_checkpoint(tmp_path)
    bad = tmp_path / "cut.safetensors"
    for n in range(len(data)):  # every length short of the whole file
        bad.write_bytes(data[:n])
        refused_by_name(bad)


def flip_outcomes(tmp_path, positions):
    path, obj, data = small_checkpoint(tmp_path)
    bad = tmp_path / "flipped.safetensors"
    refused = intact = 0
    for byte, bit in positions:
        damaged = bytearray(data)
        damaged[byte] ^= 1 << bit
        bad.write_bytes(bytes(damaged))
        try:
            back = ax.load(bad)
        except ValueError as e:
            assert str(bad) in str(e), e
            refused += 1
            continue
        # Loaded: then nothing it holds may differ from what was saved.
        assert loads_exactly(back, obj), f"flip of bit {bit} of byte {byte} loaded different data: {back}"
        intact += 1
    return refused, intact, len(data)


def test_bit_flips_are_refused_by_name_or_harmless(tmp_path):
    rng = random.Random(0)
    _, _, data = small_checkpoint(tmp_path)
    n = len(data)
    # The whole data section and the header's first 16 bytes (the length field), plus a sample of the rest.
    positions = [(b, rng.randrange(8)) for b in list(range(16)) + list(range(n - 112, n))]
    positions += [(rng.randrange(n), rng.randrange(8)) for _ in range(300)]
    refused, intact, _ = flip_outcomes(tmp_path, positions)
    assert refused >= 0.9 * len(positions), (refused, intact)


@pytest.mark.slow
def test_every_single_bit_flip_is_refused_by_name_or_harmless(tmp_path):
    _, _, data = small_checkpoint(tmp_path)
    positions = [(b, bit) for b in range(len(data)) for bit in range(8)]
    refused, intact, n = flip_outcomes(tmp_path, positions)
    print(f"single-bit flips of a {n}-byte checkpoint: {refused} refused, {intact} harmless")
    assert refused >= 0.95 * len(positions)


def with_header(data, header_bytes, length=None):
    """The checkpoint with its JSON header replaced (the data section kept), and the length field set."""
    n = int.from_bytes(data[:8], "little")
    length = len(header_bytes) if length is None else length
    return length.to_bytes(8, "little") + header_bytes + data[8 + n:]


@pytest.mark.parametrize("length", [2**63, 2**64 - 1, 2**40, 100 * 2**20 + 1, 10**9])
def test_oversized_header_length_is_refused_by_name(tmp_path, length):
    _, _, data = small_checkpoint(tmp_path)
    bad = tmp_path / "big-header.safetensors"
    bad.write_bytes(length.to_bytes(8, "little") + data[8:])
    refused_by_name(bad)


@pytest.mark.parametrize("shape,offsets", [
    ([2**40], [0, 2**42]),              # a tensor far larger than the file
    ([2**62, 4], [0, 48]),              # a shape whose byte size overflows
    ([3, 4], [0, 2**63]),               # an end offset past the file
    ([3, 4], [48, 0]),                  # offsets reversed
    ([-1, 4], [0, 48]),                 # a negative size
])
def test_header_that_claims_more_than_the_file_holds_is_refused_by_name(tmp_path, shape, offsets):
    path, _, data = small_checkpoint(tmp_path)
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    header["w"]["shape"], header["w"]["data_offsets"] = shape, offsets
    bad = tmp_path / "claims.safetensors"
    bad.write_bytes(with_header(data, json.dumps(header).encode()))
    refused_by_name(bad)


def test_huge_shape_in_the_structure_is_refused_by_name(tmp_path):
    """The tree in the metadata claims a shape that does not fit the tensor's bytes (and is huge)."""
    path, _, data = small_checkpoint(tmp_path)
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    tree = json.loads(header["__metadata__"]["axonal.tree"])
    tree["__dict__"][0][1]["shape"] = [2**40, 2**40]
    header["__metadata__"]["axonal.tree"] = json.dumps(tree)
    bad = tmp_path / "tree.safetensors"
    bad.write_bytes(with_header(data, json.dumps(header).encode()))
    refused_by_name(bad)
