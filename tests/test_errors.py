"""Bad calls through the public API and through axonal._C: each raises a Python exception whose message starts
with "[op]" and, where shapes are involved, states them; none of them may take the process down."""
import os
import subprocess
import sys

import numpy as np
import pytest

import axonal as ax
import axonal.nn.functional as F
from axonal import _C


def T(*shape, dtype=np.float32):
    return ax.tensor(np.zeros(shape, dtype=dtype))


def A(*shape, dtype=np.float32):
    return np.zeros(shape, dtype=dtype)


def _non_contiguous(*shape):
    """A C-non-contiguous float32 view of the given shape (every other element of the last axis)."""
    full = np.zeros(shape[:-1] + (2 * shape[-1],), dtype=np.float32)
    return full[..., ::2]


GEOM = dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1))

# (id, call, exception type, op name, substrings the message must contain)
CASES = [
    # ---- public API: conv2d ------------------------------------------------------------------------------
    ("conv2d-channel-mismatch", lambda: F.conv2d(T(8, 3, 28, 28), T(32, 1, 3, 3)), ValueError, "conv2d",
     ["3 channels", "(8, 3, 28, 28)", "(32, 1, 3, 3)"]),
    ("conv2d-int64", lambda: F.conv2d(T(1, 1, 5, 5, dtype=np.int64), T(1, 1, 3, 3, dtype=np.int64)), TypeError,
     "conv2d", ["int64", "(1, 1, 5, 5)"]),
    ("conv2d-float16", lambda: F.conv2d(T(1, 1, 5, 5, dtype=np.float16), T(1, 1, 3, 3, dtype=np.float16)),
     TypeError, "conv2d", ["float16", "(1, 1, 5, 5)"]),
    ("conv2d-mixed-dtypes", lambda: F.conv2d(T(1, 1, 5, 5), T(1, 1, 3, 3, dtype=np.float64)), TypeError, "conv2d",
     ["float64", "float32", "(1, 1, 3, 3)", "(1, 1, 5, 5)"]),
    ("conv2d-3d-input", lambda: F.conv2d(T(1, 5, 5), T(1, 1, 3, 3)), ValueError, "conv2d", ["4-D", "(1, 5, 5)"]),
    ("conv2d-kernel-bigger-than-input", lambda: F.conv2d(T(1, 1, 3, 3), T(1, 1, 5, 5)), ValueError, "conv2d",
     ["(1, 1, 3, 3)", "(1, 1, 5, 5)"]),
    ("conv2d-dilated-kernel-too-big", lambda: F.conv2d(T(1, 1, 5, 5), T(1, 1, 3, 3), dilation=3), ValueError,
     "conv2d", ["dilation (3, 3)", "(1, 1, 5, 5)"]),
    ("conv2d-stride-0", lambda: F.conv2d(T(1, 1, 5, 5), T(1, 1, 3, 3), stride=0), ValueError, "conv2d", ["stride"]),
    ("conv2d-negative-padding", lambda: F.conv2d(T(1, 1, 5, 5), T(1, 1, 3, 3), padding=-1), ValueError, "conv2d",
     ["padding"]),
    ("conv2d-dilation-0", lambda: F.conv2d(T(1, 1, 5, 5), T(1, 1, 3, 3), dilation=0), ValueError, "conv2d",
     ["dilation"]),
    ("conv2d-stride-triple", lambda: F.conv2d(T(1, 1, 5, 5), T(1, 1, 3, 3), stride=(1, 2, 3)), ValueError, "conv2d",
     ["stride", "(1, 2, 3)"]),
    ("conv2d-float-stride", lambda: F.conv2d(T(1, 1, 5, 5), T(1, 1, 3, 3), stride=1.5), ValueError, "conv2d",
     ["stride", "1.5"]),
    ("conv2d-padding-string", lambda: F.conv2d(T(1, 1, 5, 5), T(1, 1, 3, 3), padding="full"), ValueError, "conv2d",
     ["padding", "full"]),
    ("conv2d-zero-batch", lambda: F.conv2d(T(0, 1, 5, 5), T(1, 1, 3, 3)), ValueError, "conv2d", ["(0, 1, 5, 5)"]),
    ("conv2d-bias-shape", lambda: F.conv2d(T(1, 1, 5, 5), T(2, 1, 3, 3), T(3)), ValueError, "conv2d",
     ["(3,)", "(2, 1, 3, 3)"]),
    ("conv2d-list-input", lambda: F.conv2d([[1.0]], T(1, 1, 1, 1)), TypeError, "conv2d", ["list"]),
    # ---- public API: pooling -------------------------------------------------------------------------------
    ("max_pool2d-int64", lambda: F.max_pool2d(T(1, 1, 4, 4, dtype=np.int64), 2), TypeError, "max_pool2d",
     ["int64", "(1, 1, 4, 4)"]),
    ("max_pool2d-float16", lambda: F.max_pool2d(T(1, 1, 4, 4, dtype=np.float16), 2), TypeError, "max_pool2d",
     ["float16", "(1, 1, 4, 4)"]),
    ("max_pool2d-3d-input", lambda: F.max_pool2d(T(1, 4, 4), 2), ValueError, "max_pool2d", ["4-D", "(1, 4, 4)"]),
    ("max_pool2d-kernel-bigger-than-input", lambda: F.max_pool2d(T(1, 1, 2, 2), 3), ValueError, "max_pool2d",
     ["(3, 3)", "(1, 1, 2, 2)"]),
    ("max_pool2d-padding-over-half-kernel", lambda: F.max_pool2d(T(1, 1, 6, 6), 2, padding=2), ValueError,
     "max_pool2d", ["padding (2, 2)", "(1, 1, 6, 6)"]),
    ("max_pool2d-stride-0", lambda: F.max_pool2d(T(1, 1, 6, 6), 2, stride=0), ValueError, "max_pool2d",
     ["stride", "(1, 1, 6, 6)"]),
    ("max_pool2d-kernel-0", lambda: F.max_pool2d(T(1, 1, 6, 6), 0), ValueError, "max_pool2d",
     ["kernel_size", "(1, 1, 6, 6)"]),
    ("max_pool2d-zero-channels", lambda: F.max_pool2d(T(1, 0, 6, 6), 2), ValueError, "max_pool2d", ["(1, 0, 6, 6)"]),
    ("max_pool2d-not-a-tensor", lambda: F.max_pool2d(A(1, 1, 4, 4), 2), TypeError, "max_pool2d", ["ndarray"]),
    ("avg_pool2d-negative-padding", lambda: F.avg_pool2d(T(1, 1, 6, 6), 2, padding=-1), ValueError, "avg_pool2d",
     ["padding", "(1, 1, 6, 6)"]),
    ("avg_pool2d-int32", lambda: F.avg_pool2d(T(1, 1, 4, 4, dtype=np.int32), 2), TypeError, "avg_pool2d",
     ["int32", "(1, 1, 4, 4)"]),
    ("avg_pool2d-kernel-triple", lambda: F.avg_pool2d(T(1, 1, 4, 4), (2, 2, 2)), ValueError, "avg_pool2d",
     ["kernel_size"]),
    # ---- public API: matmul / linear -------------------------------------------------------------------------
    ("matmul-inner-mismatch", lambda: T(2, 3) @ T(4, 5), ValueError, "matmul", ["(2, 3)", "(4, 5)"]),
    ("matmul-batch-mismatch", lambda: T(2, 3, 4) @ T(3, 4, 5), ValueError, "matmul", ["(2, 3, 4)", "(3, 4, 5)"]),
    ("matmul-vector-lengths", lambda: T(3) @ T(4), ValueError, "matmul", ["(3,)", "(4,)"]),
    ("matmul-0d", lambda: ax.matmul(T(), T(3)), ValueError, "matmul", ["()", "(3,)"]),
    ("matmul-int64", lambda: T(2, 3, dtype=np.int64) @ T(3, 2, dtype=np.int64), TypeError, "matmul",
     ["int64", "(2, 3)", "(3, 2)"]),
    ("matmul-float16", lambda: ax.matmul(T(2, 3, dtype=np.float16), T(3, 2, dtype=np.float16)), TypeError, "matmul",
     ["float16", "(2, 3)"]),
    ("linear-in-features", lambda: F.linear(T(3, 4), T(5, 3)), ValueError, "linear", ["(3, 4)", "(5, 3)"]),
    ("linear-bias-shape", lambda: F.linear(T(3, 4), T(5, 4), T(4)), ValueError, "linear", ["(5,)", "(4,)"]),
    ("linear-int64", lambda: F.linear(T(3, 4, dtype=np.int64), T(5, 4, dtype=np.int64)), TypeError, "linear",
     ["int64", "(3, 4)"]),
    # ---- public API: tensors, shapes, autograd --------------------------------------------------------------
    ("zeros-negative-size", lambda: ax.zeros(2, -1), ValueError, "size", ["(2, -1)"]),
    ("randn-negative-size", lambda: ax.randn(-3), ValueError, "size", ["(-3,)"]),
    ("full-negative-size", lambda: ax.full((-2, 2), 1.0), ValueError, "size", ["(-2, 2)"]),
    ("arange-step-0", lambda: ax.arange(0, 5, 0), ValueError, "arange", []),
    ("reshape-size-mismatch", lambda: T(2, 3).reshape(4, 2), ValueError, "reshape", ["(2, 3)", "(4, 2)"]),
    ("add-broadcast", lambda: T(2, 3) + T(4), ValueError, "add", ["(2, 3)", "(4,)"]),
    ("mul-broadcast", lambda: T(2, 3) * T(2, 2), ValueError, "mul", ["(2, 3)", "(2, 2)"]),
    ("add-string", lambda: T(2) + "a", TypeError, "add", ["str"]),
    ("where-broadcast", lambda: ax.where(T(2) > 0, T(3), 0.0), ValueError, "where", ["(2,)", "(3,)"]),
    ("index-out-of-range", lambda: T(2, 3)[2], IndexError, "index", ["(2, 3)"]),
    ("cat-shape-mismatch", lambda: ax.cat([T(2, 3), T(2, 4)]), ValueError, "cat", ["(2, 3)", "(2, 4)"]),
    ("stack-shape-mismatch", lambda: ax.stack([T(2, 3), T(3, 2)]), ValueError, "stack", ["(2, 3)", "(3, 2)"]),
    ("cat-zero-dim", lambda: ax.cat([T(), T()]), ValueError, "cat", ["()"]),
    ("sum-repeated-dim", lambda: T(2, 3).sum((0, 0)), ValueError, "sum", []),
    ("max-tuple-dim", lambda: T(2, 3).max((0, 1)), TypeError, "max", ["(2, 3)"]),
    ("transpose-dim", lambda: T(2, 3).transpose(0, 3), IndexError, "transpose", []),
    ("permute-not-permutation", lambda: T(2, 3).permute(0, 0), ValueError, "permute", ["(2, 3)"]),
    ("sum-dim", lambda: T(2, 3).sum(2), IndexError, "sum", []),
    ("softmax-dim", lambda: F.softmax(T(2, 3), dim=2), IndexError, "softmax", ["(2, 3)"]),
    ("max-empty", lambda: T(0, 3).max(), ValueError, "max", ["(0, 3)"]),
    ("item-many", lambda: T(2).item(), ValueError, "item", ["(2,)"]),
    ("requires-grad-int", lambda: ax.tensor([1, 2], requires_grad=True), RuntimeError, "requires_grad_", ["int64"]),
    ("backward-non-scalar", lambda: (ax.ones(2, requires_grad=True) * 2).backward(), RuntimeError, "backward",
     ["(2,)"]),
    ("backward-no-graph", lambda: T(1).backward(), RuntimeError, "backward", ["(1,)"]),
    ("set_num_threads-0", lambda: ax.set_num_threads(0), ValueError, "set_num_threads", []),
    ("set_num_threads-huge", lambda: ax.set_num_threads(2**40), ValueError, "set_num_threads", []),
    # ---- axonal._C directly -------------------------------------------------------------------------------------
    ("_C.conv2d-non-contiguous", lambda: _C.conv2d_forward(_non_contiguous(1, 1, 5, 5), A(1, 1, 3, 3), None, **GEOM),
     ValueError, "conv2d", ["C-contiguous", "(1, 1, 5, 5)"]),
    ("_C.conv2d-non-contiguous-weight",
     lambda: _C.conv2d_forward(A(1, 1, 5, 5), _non_contiguous(1, 1, 3, 3), None, **GEOM), ValueError, "conv2d",
     ["C-contiguous", "(1, 1, 3, 3)"]),
    ("_C.conv2d-int64", lambda: _C.conv2d_forward(A(1, 1, 5, 5, dtype=np.int64), A(1, 1, 3, 3, dtype=np.int64),
                                                  None, **GEOM), TypeError, "conv2d", ["int64", "(1, 1, 5, 5)"]),
    ("_C.conv2d-float16", lambda: _C.conv2d_forward(A(1, 1, 5, 5, dtype=np.float16),
                                                    A(1, 1, 3, 3, dtype=np.float16), None, **GEOM),
     TypeError, "conv2d", ["float16", "(1, 1, 5, 5)"]),
    ("_C.conv2d-list", lambda: _C.conv2d_forward([[1.0]], A(1, 1, 1, 1), None, **GEOM), TypeError, "conv2d",
     ["list"]),
    ("_C.conv2d-negative-stride", lambda: _C.conv2d_forward(A(1, 1, 5, 5), A(1, 1, 3, 3), None, (-1, 1), (0, 0),
                                                            (1, 1)), ValueError, "conv2d", ["stride", "-1"]),
    ("_C.conv2d-huge-padding", lambda: _C.conv2d_forward(A(1, 1, 5, 5), A(1, 1, 3, 3), None, (1, 1), (2**40, 0),
                                                         (1, 1)), ValueError, "conv2d", ["padding"]),
    ("_C.conv2d-bias-int64", lambda: _C.conv2d_forward(A(1, 1, 5, 5), A(2, 1, 3, 3), A(2, dtype=np.int64), **GEOM),
     TypeError, "conv2d", ["bias", "int64"]),
    ("_C.conv2d_backward_input-negative-shape",
     lambda: _C.conv2d_backward_input(A(1, 1, 3, 3), A(1, 1, 3, 3), (1, 1, -5, 5), **GEOM), ValueError,
     "conv2d_backward_input", ["(1, 1, -5, 5)"]),
    ("_C.conv2d_backward_input-zero-shape",
     lambda: _C.conv2d_backward_input(A(1, 1, 3, 3), A(1, 1, 3, 3), (0, 1, 5, 5), **GEOM), ValueError,
     "conv2d_backward_input", ["(0, 1, 5, 5)"]),
    ("_C.conv2d_backward_input-grad-shape",
     lambda: _C.conv2d_backward_input(A(1, 1, 2, 3), A(1, 1, 3, 3), (1, 1, 5, 5), **GEOM), ValueError,
     "conv2d_backward_input", ["(1, 1, 2, 3)", "(1, 1, 3, 3)", "(1, 1, 5, 5)"]),
    ("_C.conv2d_backward_weight-channels",
     lambda: _C.conv2d_backward_weight(A(1, 1, 3, 3), A(1, 2, 5, 5), (1, 1, 3, 3), True, **GEOM), ValueError,
     "conv2d_backward_weight", ["(1, 2, 5, 5)", "(1, 1, 3, 3)"]),
    ("_C.max_pool2d-non-contiguous", lambda: _C.max_pool2d_forward(_non_contiguous(1, 1, 6, 4), (2, 2), (2, 2),
                                                                   (0, 0)), ValueError, "max_pool2d",
     ["C-contiguous", "(1, 1, 6, 4)"]),
    ("_C.max_pool2d-int64", lambda: _C.max_pool2d_forward(A(1, 1, 4, 4, dtype=np.int64), (2, 2), (2, 2), (0, 0)),
     TypeError, "max_pool2d", ["int64", "(1, 1, 4, 4)"]),
    ("_C.max_pool2d-kernel-str", lambda: _C.max_pool2d_forward(A(1, 1, 4, 4), "a", (1, 1), (0, 0)), TypeError,
     "max_pool2d", ["kernel_size"]),
    ("_C.max_pool2d_backward-argmax-out-of-plane",
     lambda: _C.max_pool2d_backward(A(1, 1, 2, 2), np.full((1, 1, 2, 2), 99, np.int32), (1, 1, 4, 4)), ValueError,
     "max_pool2d_backward", ["99", "(1, 1, 4, 4)"]),
    ("_C.max_pool2d_backward-argmax-int64",
     lambda: _C.max_pool2d_backward(A(1, 1, 2, 2), np.zeros((1, 1, 2, 2), np.int64), (1, 1, 4, 4)), TypeError,
     "max_pool2d_backward", ["int64", "(1, 1, 2, 2)"]),
    ("_C.avg_pool2d-non-contiguous", lambda: _C.avg_pool2d_forward(_non_contiguous(1, 1, 6, 4), (2, 2), (2, 2),
                                                                   (0, 0)), ValueError, "avg_pool2d",
     ["C-contiguous", "(1, 1, 6, 4)"]),
    ("_C.avg_pool2d_backward-grad-shape",
     lambda: _C.avg_pool2d_backward(A(1, 1, 3, 3), (1, 1, 4, 4), (2, 2), (2, 2), (0, 0)), ValueError,
     "avg_pool2d_backward", ["(1, 1, 3, 3)", "(1, 1, 4, 4)", "(1, 1, 2, 2)"]),
    ("_C.avg_pool2d_backward-negative-shape",
     lambda: _C.avg_pool2d_backward(A(1, 1, 3, 3), (1, 1, -4, 4), (2, 2), (2, 2), (0, 0)), ValueError,
     "avg_pool2d_backward", ["(1, 1, -4, 4)"]),
    ("_C.matmul-int64", lambda: _C.matmul(A(2, 2, dtype=np.int64), A(2, 2, dtype=np.int64)), TypeError, "matmul",
     ["int64", "(2, 2)"]),
    ("_C.matmul-float16", lambda: _C.matmul(A(2, 2, dtype=np.float16), A(2, 2, dtype=np.float16)), TypeError,
     "matmul", ["float16", "(2, 2)"]),
    ("_C.matmul-mixed-dtypes", lambda: _C.matmul(A(2, 2), A(2, 2, dtype=np.float64)), TypeError, "matmul",
     ["float64", "float32"]),
    ("_C.matmul-non-contiguous", lambda: _C.matmul(A(4, 6)[::2, ::2], A(3, 2)), ValueError, "matmul", ["(2, 3)"]),
    ("_C.matmul-negative-strides", lambda: _C.matmul(A(3, 3)[::-1], A(3, 3)), ValueError, "matmul", ["(3, 3)"]),
    ("_C.matmul-4d", lambda: _C.matmul(A(1, 2, 3, 4), A(1, 2, 4, 3)), ValueError, "matmul",
     ["(1, 2, 3, 4)", "(1, 2, 4, 3)"]),
    ("_C.matmul-inner", lambda: _C.matmul(A(2, 3), A(4, 2)), ValueError, "matmul", ["(2, 3)", "(4, 2)"]),
    ("_C.matmul-batch", lambda: _C.matmul(A(2, 2, 3), A(3, 3, 2)), ValueError, "matmul", ["(2, 2, 3)", "(3, 3, 2)"]),
    ("_C.gemm-non-contiguous", lambda: _C.gemm(A(4, 6)[::2, ::2], A(3, 2), A(2, 2)), ValueError, "gemm", ["(2, 3)"]),
    ("_C.gemm-shapes", lambda: _C.gemm(A(2, 3), A(4, 2), A(2, 2)), ValueError, "gemm", ["(2, 3)", "(4, 2)"]),
    ("_C.gemm-c-shape", lambda: _C.gemm(A(2, 3), A(3, 2), A(3, 3)), ValueError, "gemm", ["(3, 3)"]),
    ("_C.gemm-c-readonly", lambda: _C.gemm(A(2, 3), A(3, 2), np.broadcast_to(A(1, 2), (2, 2))), ValueError, "gemm",
     ["writeable", "(2, 2)"]),
    ("_C.set_num_threads-0", lambda: _C.set_num_threads(0), ValueError, "set_num_threads", []),
]

IDS = [c[0] for c in CASES]


def _check(call, exc, op, parts):
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    assert msg.startswith(f"[{op}] "), f"message does not start with [{op}]: {msg!r}"
    for part in parts:
        assert part in msg, f"{part!r} missing from {msg!r}"


@pytest.mark.parametrize("case_id, call, exc, op, parts", CASES, ids=IDS)
def test_bad_call_raises_with_op_name(case_id, call, exc, op, parts):
    _check(call, exc, op, parts)


# Arguments of the wrong Python type never reach our checks: pybind11 rejects them while matching the
# signature. csrc/bindings/def_op.h re-raises that TypeError with the "[op]" prefix.
BINDING_SIGNATURE_CASES = [
    ("_C.matmul-list", lambda: _C.matmul([[1.0]], [[2.0]]), TypeError, "matmul", ["matmul()", "[[1.0]]"]),
    ("_C.gemm-list", lambda: _C.gemm([[1.0]], A(1, 1), A(1, 1)), TypeError, "gemm", ["gemm()"]),
    ("_C.set_num_threads-str", lambda: _C.set_num_threads("2"), TypeError, "set_num_threads", ["'2'"]),
    ("_C.max_pool2d-reference-str", lambda: _C.max_pool2d_forward(A(1, 1, 2, 2), 2, 2, 0, reference="no"), TypeError,
     "max_pool2d", ["reference='no'"]),
    ("_C.matmul-missing-arg", lambda: _C.matmul(A(2, 2)), TypeError, "matmul", ["(a: numpy.ndarray, b: numpy.ndarray)"]),
    ("_C.get_num_threads-extra-arg", lambda: _C.get_num_threads(3), TypeError, "get_num_threads", []),
    ("_C.relu-unknown-kwarg", lambda: _C.relu_forward(A(2, 2), inplace=True), TypeError, "relu", ["inplace=True"]),
]


@pytest.mark.parametrize(
    "case_id, call, exc, op, parts", BINDING_SIGNATURE_CASES, ids=[c[0] for c in BINDING_SIGNATURE_CASES]
)
def test_binding_signature_errors_name_the_op(case_id, call, exc, op, parts):
    _check(call, exc, op, parts)


def test_binding_own_errors_are_not_prefixed_twice():
    with pytest.raises(ValueError) as info:
        _C.matmul(A(2, 3), A(4, 2))
    assert str(info.value).startswith("[matmul] inner dimensions differ")
    with pytest.raises(TypeError) as info:
        _C.matmul(A(2, 2).astype(np.int32), A(2, 2))
    assert str(info.value).count("[matmul]") == 1


def test_binding_arguments_still_convert():
    # Calls that need pybind11's implicit conversions (an int for a float, a NumPy integer for an int)
    # take the catch-all path and must behave as before.
    a = np.arange(4, dtype=np.float32).reshape(2, 2)
    c = np.ones((2, 2), dtype=np.float32)
    _C.gemm(a, a, c, alpha=2, beta=np.float32(0.5))
    np.testing.assert_allclose(c, 2 * (a @ a) + 0.5)
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    out, _ = _C.max_pool2d_forward(x, np.int64(2), np.int64(2), np.int64(0))
    np.testing.assert_array_equal(out, [[[[5, 7], [13, 15]]]])
    _C.set_num_threads(np.int64(_C.get_num_threads()))


def test_enough_distinct_cases():
    assert len(set(IDS)) == len(IDS) >= 20
    assert sum(i.startswith("_C.") for i in IDS) >= 10


def test_tensor_still_usable_after_errors():
    # A failed op must leave its inputs and the grad mode untouched.
    x = ax.tensor(np.ones((1, 1, 4, 4), dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError):
        F.conv2d(x, T(1, 2, 3, 3))
    assert ax.is_grad_enabled()
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.numpy().sum() == 4.0


_SUBPROCESS_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
import test_errors
raised = 0
for case_id, call, exc, op, parts in test_errors.CASES:
    try:
        call()
    except (ValueError, TypeError, IndexError, RuntimeError) as e:
        assert str(e).startswith("[" + op + "] "), (case_id, str(e))
        raised += 1
    else:
        raise SystemExit("no exception from " + case_id)
print("raised", raised)
"""


def test_bad_calls_do_not_crash_the_process():
    here = os.path.dirname(os.path.abspath(__file__))
    python_dir = os.path.dirname(os.path.dirname(os.path.abspath(ax.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [python_dir, os.environ.get("PYTHONPATH")] if p))
    out = subprocess.run(
        [sys.executable, "-c", _SUBPROCESS_SCRIPT, here], env=env, capture_output=True, text=True, timeout=120
    )
    # A segfault shows up as a negative return code (the signal), an abort as -6.
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout}\n{out.stderr}"
    assert out.stdout.strip() == f"raised {len(CASES)}"
