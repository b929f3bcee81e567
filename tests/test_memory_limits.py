"""Huge sizes end in MemoryError naming the op, under an address-space limit as a container imposes.

Each check runs in a subprocess with RLIMIT_AS set (``ulimit -v``): there malloc fails at once instead of
overcommitting, which is how a container's memory limit or a cluster's job limit looks to a process. The
library must then raise MemoryError with the op's name -- never crash, never take the machine's memory.

Creating and initialising a layer must need little more than its parameters: nn.init draws its random numbers
in chunks (axonal._alloc.fill_drawn) instead of a float64 array of the whole parameter (which made
nn.Linear(1, 2**31) need ~3x its 16 GiB). Checked under a limit of the process's size plus 1.1x the parameters.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import axonal as ax
from axonal import _alloc

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(ax.__file__)))  # the session's axonal (installed or python/)

PRELUDE = textwrap.dedent("""
    import resource, sys
    import numpy as np
    import axonal as ax
    from axonal import _C, nn

    def vm_size():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024

    def limit(extra_bytes):
        # The soft limit only, so that unlimit() can lift it for the checks after.
        total = vm_size() + int(extra_bytes)
        resource.setrlimit(resource.RLIMIT_AS, (total, resource.getrlimit(resource.RLIMIT_AS)[1]))

    def unlimit():
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.getrlimit(resource.RLIMIT_AS)[1]))

    def expect_memory_error(op, fn):
        try:
            fn()
        except MemoryError as e:
            assert str(e).startswith("[" + op + "]"), (op, str(e))
            print("ok", op, "->", str(e)[:120])
            return
        raise AssertionError(op + ": no MemoryError")

    # Warm up what a first call would map anyway (the thread team, NumPy's and the kernels' code paths).
    ax.nn.Linear(3, 3)(ax.randn(2, 3)).sum().backward()
    ax.nn.Conv2d(1, 1, 3)(ax.randn(1, 1, 5, 5))
""")


def run_limited(body, timeout=300):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.setdefault("OMP_NUM_THREADS", "2")
    proc = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_huge_sizes_raise_memory_error_naming_the_op():
    out = run_limited("""
        limit(512 * 2**20)  # 512 MiB beyond what the process has: a small container
        G = 2**30
        cases = [
            ("zeros", lambda: ax.zeros(2**31, 2)),
            ("ones", lambda: ax.ones(G, dtype=ax.float64)),
            ("empty", lambda: ax.empty(2**40)),
            ("full", lambda: ax.full((G, 4), 1.5)),
            ("rand", lambda: ax.rand(G)),
            ("randn", lambda: ax.randn(2**62)),
            ("randint", lambda: ax.randint(0, 5, (2**33,))),
            ("randperm", lambda: ax.randperm(2**32)),
            ("arange", lambda: ax.arange(2**34)),
            ("eye", lambda: ax.eye(2**20)),
            ("linspace", lambda: ax.linspace(0, 1, 2**33)),
            ("zeros_like", lambda: ax.zeros_like(ax.zeros(1).expand(2**33))),
            ("Linear", lambda: nn.Linear(1, 2**31)),
            ("Linear", lambda: nn.Linear(2**20, 2**20, bias=False)),
            ("Conv2d", lambda: nn.Conv2d(2**14, 2**14, 3)),
            ("Conv1d", lambda: nn.Conv1d(2**15, 2**15, 5)),
            ("BatchNorm1d", lambda: nn.BatchNorm1d(2**31)),
            ("LayerNorm", lambda: nn.LayerNorm((2**16, 2**16))),
            ("GroupNorm", lambda: nn.GroupNorm(1, 2**32)),
            ("PReLU", lambda: nn.PReLU(2**31)),
            # The kernels' outputs: the bindings allocate them, before any kernel runs.
            ("matmul", lambda: _C.matmul(np.ones((2**16, 1), np.float32), np.ones((1, 2**16), np.float32))),
            ("matmul", lambda: ax.ones(2**16, 1) @ ax.ones(1, 2**16)),
            ("conv2d", lambda: _C.conv2d_forward(np.ones((1, 1, 1, 1), np.float32), np.ones((1, 1, 1, 1), np.float32),
                                                 None, (1, 1), (2**15, 2**15), (1, 1))),
            ("conv2d_backward_input", lambda: _C.conv2d_backward_input(
                np.ones((1, 1, 1, 1), np.float32), np.ones((1, 1, 1, 1), np.float32), (1, 1, 2**15, 2**15),
                (2**15, 2**15), (0, 0), (1, 1))),
            ("erfinv", lambda: _C.erfinv(np.broadcast_to(np.float32(0), (2**20, 2**20)))),
        ]
        for op, fn in cases:
            expect_memory_error(op, fn)
        print("done")
    """)
    assert out.strip().endswith("done"), out


def test_kernel_outputs_that_do_not_fit_raise_memory_error():
    """Inputs that fit, outputs that do not: the binding's allocation fails, not the kernel."""
    out = run_limited("""
        x = np.ones((1, 1, 64, 64), np.float32)
        big = np.ones((1, 1, 4096, 4096), np.float32)  # 64 MiB
        labels = np.zeros(2**20, np.int64)
        limit(160 * 2**20)
        expect_memory_error("conv2d", lambda: _C.conv2d_forward(x, np.ones((2**16, 1, 1, 1), np.float32), None,
                                                                (1, 1), (0, 0), (1, 1)))
        _C.relu_forward(big)                             # 64 MiB out: fits
        keep = np.ones((2**24,), np.float32)             # 64 MiB more held: now it does not
        expect_memory_error("relu", lambda: _C.relu_forward(big))
        expect_memory_error("max_pool2d", lambda: _C.max_pool2d_forward(big, (1, 1), (1, 1), (0, 0)))
        expect_memory_error("avg_pool2d", lambda: _C.avg_pool2d_forward(big, (1, 1), (1, 1), (0, 0)))
        expect_memory_error("erf", lambda: _C.erf(big))
        expect_memory_error("cross_entropy", lambda: _C.softmax_cross_entropy(big.reshape(2**20, 16), labels))
        print("done")
    """)
    assert out.strip().endswith("done"), out


@pytest.mark.parametrize("layer", ["Linear", "Conv2d"])
def test_creating_a_layer_needs_about_its_parameters_memory(layer):
    """Under a limit of the current size + 1.1x the parameters (+ 16 MiB slack), the layer is created and
    initialised; with float64 temporaries of the whole weight (the old nn.init) it needed ~3x."""
    make = {"Linear": "nn.Linear(1, 2**26)", "Conv2d": "nn.Conv2d(2**12, 2**12, 2)"}[layer]
    params = {"Linear": 2 * 2**26 * 4, "Conv2d": (2**24 * 4 + 2**12) * 4}[layer]
    out = run_limited(f"""
        params = {params}
        limit(1.1 * params + 16 * 2**20)
        m = {make}
        unlimit()
        n = sum(p.numel() * p.element_size() for p in m.parameters())
        assert n == params, (n, params)
        w = m.weight.numpy()
        assert np.isfinite(w).all() and w.std() > 0
        print("done", n)
    """)
    assert "done" in out


def test_chunked_init_draws_the_numbers_of_one_whole_draw(monkeypatch):
    """Filling in chunks is invisible: the same seed gives the same weights as drawing the whole tensor."""
    shapes = [(7, 13), (3, 5, 2, 2), (64,)]
    ax.manual_seed(123)
    whole = [ax.nn.init.uniform_(ax.empty(*s), -0.3, 0.3).numpy().copy() for s in shapes]
    whole += [ax.nn.init.normal_(ax.empty(*s, dtype=ax.float64), 1.0, 2.0).numpy().copy() for s in shapes]
    whole += [ax.rand(*shapes[0]).numpy(), ax.randn(*shapes[1], dtype=ax.float64).numpy()]
    monkeypatch.setattr(_alloc, "DRAW_CHUNK", 5)  # every tensor above is now filled in several chunks
    monkeypatch.setattr(ax.nn.init, "DRAW_CHUNK", 5)
    ax.manual_seed(123)
    chunked = [ax.nn.init.uniform_(ax.empty(*s), -0.3, 0.3).numpy().copy() for s in shapes]
    chunked += [ax.nn.init.normal_(ax.empty(*s, dtype=ax.float64), 1.0, 2.0).numpy().copy() for s in shapes]
    chunked += [ax.rand(*shapes[0]).numpy(), ax.randn(*shapes[1], dtype=ax.float64).numpy()]
    for a, b in zip(whole, chunked):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_chunked_init_on_a_device_and_on_views(device):
    ax.manual_seed(0)
    t = ax.empty(3 * _alloc.DRAW_CHUNK + 5, device=device)
    ax.nn.init.uniform_(t, -1, 1)
    host = t.cpu().numpy()
    assert host.min() >= -1 and host.max() < 1 and np.unique(host).size > 0.9 * host.size
    v = ax.zeros(4, 6)[:, ::2]  # not contiguous: filled in one draw, still correct
    ax.nn.init.normal_(v)
    assert np.isfinite(v.numpy()).all() and (v.numpy() != 0).all()
