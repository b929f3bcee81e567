"""axonal._C rnn_forward / rnn_backward (csrc/kernels/recurrent*): the fast kernels against the naive reference
kernels and against the array-module version the CUDA backend runs (backend/recurrent_xp.py), for every mode,
packed batches, both directions, float32 and float64, awkward sizes and several thread counts; the accuracy of
the vectorised sigmoid / tanh; both the AVX2 and the portable gate passes (a subprocess with
AXONAL_DISABLE_AVX2=1); and the binding's validation errors.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import axonal as ax
from axonal import _C
from axonal.backend import recurrent_xp

MODES = {"rnn_tanh": (0, 1), "rnn_relu": (1, 1), "lstm": (2, 4), "gru": (3, 3)}
# (batch_sizes, H): padded batches, packed ones with ragged tails, single steps and sequences, sizes that are no
# multiple of 4, 8 or 16 lanes.
LAYOUTS = [
    ([1], 1),
    ([3, 3, 3], 7),
    ([5, 5, 3, 2, 2, 1], 17),
    ([2] * 9, 65),
    ([7, 1], 3),
]


def make_case(mode, batch_sizes, H, dtype, seed=0):
    code, G = MODES[mode]
    rng = np.random.default_rng(seed)
    bs = np.array(batch_sizes, dtype=np.int64)
    N, B = int(bs.sum()), int(bs[0])
    case = dict(
        code=code,
        gates=rng.standard_normal((N, G * H)).astype(dtype),
        h0=rng.standard_normal((B, H)).astype(dtype),
        c0=rng.standard_normal((B, H)).astype(dtype) if mode == "lstm" else None,
        w=(rng.standard_normal((G * H, H)) / np.sqrt(H)).astype(dtype),
        b=rng.standard_normal(G * H).astype(dtype) if mode == "gru" else None,
        bx=rng.standard_normal(G * H).astype(dtype),
        bs=bs,
        go=rng.standard_normal((N, H)).astype(dtype),
        ghn=rng.standard_normal((B, H)).astype(dtype),
        gcn=rng.standard_normal((B, H)).astype(dtype) if mode == "lstm" else None,
    )
    return case


def run_c(case, reverse, reference=False, grads=("go", "ghn", "gcn")):
    gates = case["gates"].copy()
    fwd = _C.rnn_forward(case["code"], gates, case["h0"], case["c0"], case["w"], case["b"], case["bs"], True, reverse,
                         case["bx"], reference=reference)
    g = {k: case[k] if k in grads else None for k in ("go", "ghn", "gcn")}
    bwd = _C.rnn_backward(case["code"], g["go"], g["ghn"], g["gcn"], gates, fwd[3], case["w"], True, case["bs"],
                          reverse, reference=reference)
    return [fwd[0], fwd[1], fwd[2], gates], list(bwd)


def run_xp(case, reverse):
    gates = case["gates"].copy()
    out, h, c, saved = recurrent_xp.rnn_forward(np, np.matmul, case["code"], gates, case["h0"], case["c0"], case["w"],
                                                case["b"], case["bs"], True, reverse, case["bx"])
    bwd = recurrent_xp.rnn_backward(np, np.matmul, case["code"], case["go"], case["ghn"], case["gcn"], gates, saved,
                                    case["w"], True, case["bs"], reverse)
    return [out, h, c, gates], list(bwd)


def assert_all_close(got, want, dtype, what):
    tol = 2e-5 if dtype == np.float32 else 1e-12
    names = ["out", "h_n", "c_n", "gates"] if len(got) == 4 else ["dgates", "dw_hh", "db_hh", "dh0", "dc0"]
    for name, g, w in zip(names, got, want):
        if w is None:
            assert g is None, f"{what}: {name} should be None"
            continue
        assert g.shape == w.shape and g.dtype == w.dtype, f"{what}: {name} {g.shape} {g.dtype} vs {w.shape} {w.dtype}"
        scale = max(1.0, float(np.abs(w).max()))
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale, err_msg=f"{what}: {name}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("mode", list(MODES))
def test_fast_matches_reference_and_xp(mode, reverse, dtype):
    for i, (bs, H) in enumerate(LAYOUTS):
        case = make_case(mode, bs, H, dtype, seed=i)
        fast_f, fast_b = run_c(case, reverse)
        ref_f, ref_b = run_c(case, reverse, reference=True)
        xp_f, xp_b = run_xp(case, reverse)
        what = f"{mode} batch_sizes={bs} H={H}"
        assert_all_close(fast_f, ref_f, dtype, what + " fast vs reference")
        assert_all_close(fast_b, ref_b, dtype, what + " fast vs reference")
        assert_all_close(xp_f, ref_f, dtype, what + " xp vs reference")
        assert_all_close(xp_b, ref_b, dtype, what + " xp vs reference")


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("mode", list(MODES))
def test_zero_initial_state_shortcuts(mode, reverse):
    """h0 = None skips the first step's hidden product and its rows of d W_hh, need_state_grads=False the last
    backward product: the same results as explicit zeros, for padded and packed batches."""
    for bs in ([3, 3, 3], [5, 4, 2, 2, 1]):
        case = make_case(mode, bs, 9, np.float64)
        zeros = dict(case, h0=np.zeros_like(case["h0"]), c0=None if case["c0"] is None else np.zeros_like(case["c0"]))
        want_f, want_b = run_c(zeros, reverse)
        gates = case["gates"].copy()
        fwd = _C.rnn_forward(case["code"], gates, None, None, case["w"], case["b"], case["bs"], True, reverse, case["bx"])
        bwd = _C.rnn_backward(case["code"], case["go"], case["ghn"], case["gcn"], gates, fwd[3], case["w"], True,
                              case["bs"], reverse, zero_h0=True, need_state_grads=False)
        assert bwd[3] is None and bwd[4] is None
        assert_all_close([fwd[0], fwd[1], fwd[2], gates], want_f, np.float64, f"{mode} {bs} forward")
        assert_all_close(list(bwd[:3]), want_b[:3], np.float64, f"{mode} {bs} backward")
        xp_out = recurrent_xp.rnn_forward(np, np.matmul, case["code"], case["gates"].copy(), None, None, case["w"],
                                          case["b"], case["bs"], True, reverse, case["bx"])
        np.testing.assert_allclose(xp_out[0], want_f[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", list(MODES))
def test_missing_upstream_gradients_are_zeros(mode):
    case = make_case(mode, [4, 3, 1], 9, np.float64)
    zeros = {k: None if case[k] is None else np.zeros_like(case[k]) for k in ("go", "ghn", "gcn")}
    for given in [("go",), ("ghn", "gcn"), ()]:
        _, got = run_c(case, False, grads=given)
        filled = dict(case, **{k: zeros[k] for k in ("go", "ghn", "gcn") if k not in given})
        _, want = run_c(filled, False)
        assert_all_close(got, want, np.float64, f"grads given {given}")


def test_finished_sequences_keep_their_last_state():
    # Packed: sequence 2 ends after step 0, so h_n[2] is its state after step 0 (forward direction); in the reverse
    # direction every sequence ends at step 0, so h_n is the last row of out for each.
    case = make_case("lstm", [3, 2, 2], 5, np.float64)
    (out, h_n, c_n, _), _ = run_c(case, False)
    np.testing.assert_array_equal(h_n[2], out[2])
    np.testing.assert_array_equal(h_n[:2], out[5:7])
    (out, h_n, _, _), _ = run_c(case, True)
    np.testing.assert_array_equal(h_n, out[:3])


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_thread_count_does_not_change_results(mode, reverse):
    """The batch is split into row blocks, one per thread (big enough batches only: 64 x 65 units here). Each
    row's arithmetic is the same whoever runs it, so the results agree with the 1-thread ones to rounding."""
    padded = make_case(mode, [64] * 5, 65, np.float32)
    packed = make_case(mode, [64, 60, 31, 31, 9, 2], 65, np.float32, seed=1)
    # 4 x 100 = 400 gate columns: the backward's product over them (K = GH) runs in two k-chunks of the packed W_hh.
    wide = make_case(mode, [16] * 3, 100, np.float32, seed=2)
    before = ax.get_num_threads()
    try:
        for case in (padded, packed, wide):
            results = []
            for threads in (1, 2, 3):
                ax.set_num_threads(threads)
                results.append(run_c(case, reverse))
            ref = run_c(case, reverse, reference=True)
            for f, b in results:
                assert_all_close(f, ref[0], np.float32, f"{mode} vs reference")
                assert_all_close(b, ref[1], np.float32, f"{mode} vs reference")
                for x, y in zip(f + b, results[0][0] + results[0][1]):
                    if x is not None:
                        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5)
    finally:
        ax.set_num_threads(before)


def test_inference_forward_skips_saving_and_matches():
    case = make_case("gru", [4, 4, 2], 6, np.float32)
    g1, g2 = case["gates"].copy(), case["gates"].copy()
    a = _C.rnn_forward(3, g1, case["h0"], None, case["w"], case["b"], case["bs"], True, False)
    b = _C.rnn_forward(3, g2, case["h0"], None, case["w"], case["b"], case["bs"], False, False)
    assert b[3] is None and b[2] is None
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_gate_activations_are_accurate():
    """With W_hh = 0 the gates are the activations of the given pre-activations: compare them in double.
    One unit, one sequence per value (B = the number of values)."""
    x = np.linspace(-20, 20, 40001, dtype=np.float32)
    x = np.concatenate([x, np.float32([-100, -88.5, -1e-3, -1e-7, 0, 1e-7, 1e-3, 88.5, 100])])
    B = x.size
    lstm_gates = np.repeat(x[:, None], 4, axis=1)
    zeros = np.zeros((B, 1), np.float32)
    _C.rnn_forward(2, lstm_gates, zeros, zeros, np.zeros((4, 1), np.float32), None, np.array([B], np.int64), False,
                   False)
    xd = x.astype(np.float64)
    sig = 1 / (1 + np.exp(-xd))
    i_gate, g_gate = lstm_gates[:, 0].astype(np.float64), lstm_gates[:, 2].astype(np.float64)
    rel = lambda got, want: np.abs(got - want) / np.maximum(np.abs(want), 1e-30)  # noqa: E731
    assert np.max(rel(i_gate, sig)[sig > 1e-37]) < 3e-7  # (below that, float denormals)
    assert np.max(rel(g_gate, np.tanh(xd))[xd != 0]) < 3e-7
    assert np.all(g_gate[x == 0] == 0) and np.all(np.sign(g_gate) == np.sign(xd))
    assert np.all(np.abs(g_gate) <= 1) and np.all((i_gate >= 0) & (i_gate <= 1))


def test_nan_propagates():
    gates = np.full((1, 4), np.nan, np.float32)
    out = _C.rnn_forward(2, gates, np.zeros((1, 1), np.float32), np.zeros((1, 1), np.float32),
                         np.zeros((4, 1), np.float32), None, np.array([1], np.int64), False, False)
    assert np.isnan(out[0]).all() and np.isnan(out[2]).all()
    relu = _C.rnn_forward(1, np.full((1, 1), np.nan, np.float32), np.zeros((1, 1), np.float32), None,
                          np.zeros((1, 1), np.float32), None, np.array([1], np.int64), False, False)
    assert np.isnan(relu[0]).all()


@pytest.mark.skipif(os.environ.get("AXONAL_DISABLE_AVX2", "") not in ("", "0"), reason="already the portable run")
def test_portable_gate_passes_subprocess():
    """Re-runs this file with the portable gate passes forced (the AVX2 ones run in this process)."""
    env = dict(os.environ, AXONAL_DISABLE_AVX2="1", AXONAL_ISA="generic")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", __file__, "-k", "not subprocess"],
        env=env, capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout


# ---- binding errors -------------------------------------------------------------------------------------------
def test_binding_errors():
    f32 = np.float32
    h0, w, bs = np.zeros((2, 3), f32), np.zeros((12, 3), f32), np.array([2, 1], np.int64)
    gates = np.zeros((3, 12), f32)
    c0 = np.zeros((2, 3), f32)
    ok = _C.rnn_forward(2, gates.copy(), h0, c0, w, None, bs)
    assert ok[0].shape == (3, 3)
    cases = [
        (ValueError, r"^\[rnn\] mode must be", lambda: _C.rnn_forward(7, gates, h0, c0, w, None, bs)),
        (ValueError, r"^\[rnn\] gates has shape \(3, 8\) but must be \(3, 12\)",
         lambda: _C.rnn_forward(2, np.zeros((3, 8), f32), h0, c0, w, None, bs)),
        (TypeError, r"^\[rnn\] gates has dtype float32 but w_hh has dtype float64",
         lambda: _C.rnn_forward(2, gates, h0, c0, w.astype(np.float64), None, bs)),
        (ValueError, r"^\[rnn\] batch_sizes must be >= 1 and non-increasing",
         lambda: _C.rnn_forward(2, gates, h0, c0, w, None, np.array([1, 2], np.int64))),
        (ValueError, r"^\[rnn\] batch_sizes sum to 4 rows but gates has 3",
         lambda: _C.rnn_forward(2, gates, h0, c0, w, None, np.array([2, 2], np.int64))),
        (ValueError, r"^\[rnn\] h0 has shape \(2, 3\) but must be \(3, 3\)",
         lambda: _C.rnn_forward(2, gates, h0, c0, w, None, np.array([3], np.int64))),
        (ValueError, r"^\[rnn\] h0 and c0 must both be given or both be None",
         lambda: _C.rnn_forward(2, gates, None, c0, w, None, bs)),
        (TypeError, r"^\[rnn\] batch_sizes must be int64",
         lambda: _C.rnn_forward(2, gates, h0, c0, w, None, bs.astype(np.int32))),
        (ValueError, r"^\[rnn\] c0 is for the LSTM only",
         lambda: _C.rnn_forward(3, np.zeros((3, 9), f32), h0, c0, np.zeros((9, 3), f32), None, bs)),
        (ValueError, r"^\[rnn\] gates must be C-contiguous",
         lambda: _C.rnn_forward(2, np.zeros((12, 3), f32).T, h0, c0, w, None, bs)),
        (ValueError, r"^\[rnn\] gates must not overlap",
         lambda: _C.rnn_forward(0, h0, h0, None, np.zeros((3, 3), f32), None, np.array([2], np.int64))),
        (TypeError, r"^\[rnn\] gates must be a numpy.ndarray", lambda: _C.rnn_forward(2, [1.0], h0, c0, w, None, bs)),
        (TypeError, r"^\[rnn\] ", lambda: _C.rnn_forward("lstm", gates, h0, c0, w, None, bs)),
        (ValueError, r"^\[rnn\] saved has shape", lambda: _C.rnn_backward(2, None, None, None, gates,
                                                                          np.zeros((3, 3), f32), w, True, bs)),
        (ValueError, r"^\[rnn\] grad_out has shape \(2, 3\) but must be \(3, 3\)",
         lambda: _C.rnn_backward(2, np.zeros((2, 3), f32), None, None, gates, ok[3], w, True, bs)),
    ]
    for exc, pattern, call in cases:
        with pytest.raises(exc, match=pattern):
            call()
