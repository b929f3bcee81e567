"""One fuzzing process: runs calls [start, stop) of a campaign and reports each on a pipe.

    python tests/fuzz/worker.py --seed 7 --start 120 --stop 121 --verbose     # replay one call, with traceback

Protocol (one line each, on the file descriptor --report-fd, stdout when replaying):
    BEGIN <i> <family> <label>    before call i runs
    END <i> <outcome>             after it: "ok" or the exception's type name
    BAD <i> <why>                 a Python-level failure: SystemError (a C extension broke the C API), a
                                  BaseException that is not an Exception, or state left corrupt (the canary)
    DONE                          all calls made
A signal or a hang shows as a BEGIN without its END; the parent (runner.py) notices and restarts after it.

The process runs under an address-space limit (--limit-mb, RLIMIT_AS) as a container would impose, so a huge
size must end in MemoryError, never in the kernel's OOM killer. Global state (threads, default dtype, grad mode,
seed) is reset before every call, and every --canary-every calls a fixed computation must still give the
numbers it gave at start-up.
"""
import argparse
import faulthandler
import gc
import os
import resource
import sys
import tempfile
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def _limit_address_space(limit_mb):
    # Not under ASan (scripts/sanitize.sh): its shadow memory is terabytes of address space already, and its own
    # max_allocation_size_mb takes the limit's place there.
    if limit_mb > 0 and not os.environ.get("AXONAL_SANITIZED"):
        limit = limit_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _canary(ax):
    """A fixed small computation through the kernels (matmul, conv, pool, loss, backward, an optimizer step)."""
    import numpy as np

    g = np.random.default_rng(12345)
    x = ax.tensor(g.standard_normal((4, 3, 9, 9)), dtype=ax.float32)
    conv = ax.nn.Conv2d(3, 5, 3)
    lin = ax.nn.Linear(5 * 3 * 3, 4)
    with ax.no_grad():
        conv.weight.copy_(ax.tensor(g.standard_normal((5, 3, 3, 3)) * 0.2, dtype=ax.float32))
        conv.bias.zero_()
        lin.weight.copy_(ax.tensor(g.standard_normal((4, 45)) * 0.2, dtype=ax.float32))
        lin.bias.zero_()
    opt = ax.optim.Adam(list(conv.parameters()) + list(lin.parameters()), lr=0.01)
    y = ax.nn.functional.max_pool2d(ax.relu(conv(x)), 2).flatten(1)
    loss = ax.nn.functional.cross_entropy(lin(y), ax.tensor([0, 1, 2, 3]))
    loss.backward()
    opt.step()
    return float(loss.item()), conv.weight.numpy().copy(), lin.weight.numpy().copy()


def _same_canary(a, b):
    import numpy as np

    return a[0] == b[0] and np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])


class _Reset:
    """Puts process-wide state back before each call."""

    def __init__(self, ax):
        self.ax = ax
        self.threads = ax.get_num_threads()
        self.dtype = ax.get_default_dtype()
        self.cwd = os.getcwd()

    def __call__(self, index):
        ax = self.ax
        if ax.get_num_threads() != self.threads:
            ax.set_num_threads(self.threads)
        if ax.get_default_dtype() != self.dtype:
            ax.set_default_dtype(self.dtype)
        ax.set_grad_enabled(True)
        ax.manual_seed(index)
        if os.getcwd() != self.cwd:
            os.chdir(self.cwd)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--start", type=int, required=True)
    p.add_argument("--stop", type=int, required=True)
    p.add_argument("--report-fd", type=int, default=None)
    p.add_argument("--limit-mb", type=int, default=3072)
    p.add_argument("--canary-every", type=int, default=50)
    p.add_argument("--only", default=None, help="comma-separated families")
    p.add_argument("--verbose", action="store_true", help="print the traceback of every exception")
    p.add_argument("--messages", action="store_true", help="report each exception's message after its type")
    args = p.parse_args(argv)

    faulthandler.enable()  # a crash prints the Python stack of every thread to stderr
    _limit_address_space(args.limit_mb)
    out = os.fdopen(args.report_fd, "w", buffering=1) if args.report_fd is not None else sys.stdout
    warnings.simplefilter("ignore")
    workdir = tempfile.mkdtemp(prefix="axonal-fuzz-")
    os.chdir(workdir)  # io calls write here, and so does any call that takes a path by mistake

    import numpy as np

    np.seterr(all="ignore")
    import targets
    from values import Values

    import axonal as ax

    reset = _Reset(ax)
    reference = _canary(ax)
    only = set(args.only.split(",")) if args.only else None
    for i in range(args.start, args.stop):
        reset(i)
        v = Values(args.seed, i, ax)
        try:
            family, label, thunk = targets.draw(v, only)
        except Exception as e:  # noqa: BLE001 - drawing can touch the API (building tensors): that is a call too
            family, label, thunk = "draw", f"<drawing raised {type(e).__name__}: {e}>"[:300], (lambda: None)
        out.write(f"BEGIN {i} {family} {label.replace(chr(10), ' ')[:400]}\n")
        try:
            thunk()
            outcome = "ok"
        except SystemError as e:
            out.write(f"BAD {i} SystemError: {str(e)[:300]}\n")
            outcome = "SystemError"
        except Exception as e:  # noqa: BLE001 - any Python exception is an acceptable answer to a bad call
            outcome = type(e).__name__
            if args.messages:
                where = e.__traceback__
                while where.tb_next is not None:
                    where = where.tb_next
                site = f"{os.path.basename(where.tb_frame.f_code.co_filename)}:{where.tb_lineno}"
                outcome += f" @{site} " + str(e).replace("\n", " ")[:160]
            if args.verbose:
                import traceback

                traceback.print_exc()
        except BaseException as e:  # noqa: BLE001 - SystemExit / KeyboardInterrupt from library code
            out.write(f"BAD {i} {type(e).__name__} escaped: {str(e)[:300]}\n")
            outcome = type(e).__name__
        out.write(f"END {i} {outcome}\n")
        del thunk, v
        if (i + 1) % args.canary_every == 0 or i + 1 == args.stop:
            gc.collect()
            reset(i)
            try:
                now = _canary(ax)
                if not _same_canary(now, reference):
                    out.write(f"BAD {i} canary changed after call {i}: loss {now[0]!r} vs {reference[0]!r}\n")
            except Exception as e:  # noqa: BLE001
                out.write(f"BAD {i} canary raised after call {i}: {type(e).__name__}: {str(e)[:200]}\n")
    out.write("DONE\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
