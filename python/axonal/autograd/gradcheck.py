"""Finite-difference check of analytic gradients (use float64 inputs)."""
import numpy as np

from ..tensor import Tensor


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compares the full Jacobian from backward() with central differences for every input that requires
    grad. Returns True, or raises AssertionError naming the input and the worst element
    (returns False instead when ``raise_exception`` is False)."""

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff_inputs = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not diff_inputs:
        raise ValueError("[gradcheck] no input requires grad")
    for t in diff_inputs:
        if t.dtype != np.float64:
            raise TypeError(f"[gradcheck] inputs should be float64 for finite differences, got {t.dtype} {t.shape}")

    # fn runs with grad mode on throughout: it may differentiate something itself (a first derivative taken
    # with create_graph=True, whose derivatives this then checks).
    base = [o._host().copy() for o in _outputs(fn, inputs)]

    for oi, out_base in enumerate(base):
        n_out = out_base.size
        # Analytic Jacobian rows: one backward per output element.
        analytic = [np.zeros((n_out, t.data.size)) for t in diff_inputs]
        for k in range(n_out):
            for t in diff_inputs:
                t.grad = None
            out = _outputs(fn, inputs)[oi]
            if not out.requires_grad:
                break
            seed = np.zeros(out_base.size)
            seed[k] = 1.0
            out.backward(seed.reshape(out_base.shape).astype(out.dtype))
            for j, t in enumerate(diff_inputs):
                if t.grad is not None:
                    analytic[j][k] = t.grad._host().reshape(-1)
        # Numeric Jacobian columns: perturb one input element at a time.
        for j, t in enumerate(diff_inputs):
            numeric = np.zeros((n_out, t.data.size))
            for e in range(t.data.size):
                # Index the array itself: reshape(-1) of a non-contiguous input would perturb a copy.
                pos = np.unravel_index(e, t.shape)
                orig = t.data[pos]
                t.data[pos] = orig + eps
                plus = _outputs(fn, inputs)[oi]._host().astype(np.float64).reshape(-1)
                t.data[pos] = orig - eps
                minus = _outputs(fn, inputs)[oi]._host().astype(np.float64).reshape(-1)
                t.data[pos] = orig
                numeric[:, e] = (plus - minus) / (2 * eps)
            # Written as not(<=) so that NaN/inf in either Jacobian counts as a mismatch instead of passing.
            bad = ~(np.abs(analytic[j] - numeric) <= atol + rtol * np.abs(numeric))
            if bad.any():
                k, e = np.argwhere(bad)[0]
                msg = (f"[gradcheck] Jacobian mismatch for input {j} (shape {t.shape}), output {oi} "
                       f"(shape {out_base.shape}): d out[{k}] / d in[{e}] analytic {analytic[j][k, e]:.8g}, "
                       f"numeric {numeric[k, e]:.8g}; {int(bad.sum())} of {bad.size} entries differ")
                if raise_exception:
                    raise AssertionError(msg)
                return False
    for t in diff_inputs:
        t.grad = None
    return True
