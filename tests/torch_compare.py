"""The one helper every axonal-vs-PyTorch test goes through.

``compare_with_torch`` runs an axonal function and the matching torch function on copies of the same
NumPy inputs, compares the outputs, backpropagates the same random upstream gradient through both, and
compares the gradient of every input that requires one. torch is optional: the calling test is skipped
when it is not installed.
"""
import numpy as np
import pytest

import axonal


def _to_numpy_torch(t):
    return t.detach().cpu().numpy()


def _as_outputs(out):
    """The outputs as a flat tuple: nested tuples, lists and (values, indices) results are walked."""
    if isinstance(out, (tuple, list)):
        flat = []
        for o in out:
            flat.extend(_as_outputs(o))
        return tuple(flat)
    return (out,)


def _numpy_of(o, is_torch):
    if is_torch:
        return _to_numpy_torch(o) if hasattr(o, "detach") else np.asarray(o)
    return np.asarray(o.cpu().numpy()) if isinstance(o, axonal.Tensor) else np.asarray(o)


def _assert_close(a, t, rtol, atol, what):
    # atol is scaled by the reference's magnitude: a float32 sum of many O(10) terms can land near zero
    # with an absolute error far above 1e-5 that is still rounding, not a bug.
    if not np.issubdtype(t.dtype, np.floating):
        np.testing.assert_array_equal(a, t, err_msg=what)
        return
    scale = max(1.0, float(np.max(np.abs(t)))) if t.size else 1.0
    np.testing.assert_allclose(a, t, rtol=rtol, atol=atol * scale, err_msg=what)


def compare_with_torch(ax_fn, torch_fn, inputs, requires_grad, rtol=1e-4, atol=1e-5, grad_out_seed=0,
                       grad_rtol=None, grad_atol=None):
    """Forward and every input gradient of ``ax_fn`` against ``torch_fn``.

    inputs: NumPy arrays, passed (as fresh copies) to both functions as tensors.
    requires_grad: one flag per input; flagged inputs get their gradients compared.
    ax_fn / torch_fn: take the tensors positionally and return one tensor or a tuple of tensors.
    grad_out_seed: seeds the upstream gradient, drawn from a standard normal in each output's dtype.
    rtol / atol: per element, |axonal - torch| <= atol * max(1, max|torch|) + rtol * |torch|; gradients use
    grad_rtol / grad_atol when given (sums over many terms round more).
    Outputs may be tensors, numbers, or (nested) tuples of them; integer and bool outputs must be equal.
    Returns (axonal outputs, torch outputs) as tuples of NumPy arrays, for further checks.
    """
    torch = pytest.importorskip("torch")
    if len(inputs) != len(requires_grad):
        raise ValueError(f"{len(inputs)} inputs but {len(requires_grad)} requires_grad flags")

    ax_in = [axonal.tensor(np.array(a, copy=True), requires_grad=rg) for a, rg in zip(inputs, requires_grad)]
    t_in = [torch.tensor(np.array(a, copy=True), requires_grad=rg) for a, rg in zip(inputs, requires_grad)]

    ax_out = _as_outputs(ax_fn(*ax_in))
    t_out = _as_outputs(torch_fn(*t_in))
    assert len(ax_out) == len(t_out), f"axonal gave {len(ax_out)} outputs, torch {len(t_out)}"

    ax_np = tuple(_numpy_of(o, False) for o in ax_out)
    t_np = tuple(_numpy_of(o, True) for o in t_out)
    for i, (a, t) in enumerate(zip(ax_np, t_np)):
        assert a.shape == t.shape, f"output {i}: axonal shape {a.shape}, torch shape {t.shape}"
        assert a.dtype == t.dtype, f"output {i}: axonal dtype {a.dtype}, torch dtype {t.dtype}"
        _assert_close(a, t, rtol, atol, f"forward output {i}")

    if not any(requires_grad):
        return ax_np, t_np

    # The same upstream gradient for both: backward of sum_i <g_i, out_i>.
    rng = np.random.default_rng(grad_out_seed)
    diff = [i for i, o in enumerate(ax_out) if getattr(o, "requires_grad", False)]
    diff_torch = [i for i, o in enumerate(t_out) if getattr(o, "requires_grad", False)]
    assert diff == diff_torch, f"outputs that require grad: axonal {diff}, torch {diff_torch}"
    assert diff, "no output requires grad although an input does"
    grads = {i: rng.standard_normal(ax_np[i].shape).astype(ax_np[i].dtype) for i in diff}

    if len(diff) == 1:
        (i,) = diff
        ax_out[i].backward(axonal.tensor(grads[i]))
    else:
        ax_loss = sum((ax_out[i] * axonal.tensor(grads[i])).sum() for i in diff)
        ax_loss.backward()
    torch.autograd.backward([t_out[i] for i in diff], [torch.tensor(grads[i]) for i in diff])

    g_rtol = rtol if grad_rtol is None else grad_rtol
    g_atol = atol if grad_atol is None else grad_atol
    for k, (a, t, rg) in enumerate(zip(ax_in, t_in, requires_grad)):
        if not rg:
            continue
        if t.grad is None:
            assert a.grad is None or not np.any(a.grad.cpu().numpy()), f"input {k}: torch has no gradient, axonal has one"
            continue
        assert a.grad is not None, f"input {k}: axonal produced no gradient"
        ga, gt = a.grad.cpu().numpy(), _to_numpy_torch(t.grad)
        assert ga.shape == gt.shape, f"input {k}: gradient shape {ga.shape}, torch {gt.shape}"
        assert ga.dtype == gt.dtype, f"input {k}: gradient dtype {ga.dtype}, torch {gt.dtype}"
        _assert_close(ga, gt, g_rtol, g_atol, f"gradient of input {k}")
    return ax_np, t_np
