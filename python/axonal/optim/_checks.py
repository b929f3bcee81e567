"""Hyperparameter validation shared by the optimizers (ValueError, messages like torch's)."""


def at_least_zero(opt, options, key, what):
    value = options[key]
    if not 0.0 <= value:
        raise ValueError(f"[{opt}] invalid {what}: {value}")


def beta_in_range(opt, betas):
    if len(betas) != 2:
        raise ValueError(f"[{opt}] betas must be a pair (beta1, beta2), got {betas!r}")
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"[{opt}] invalid beta parameter at index {i}: {beta}")
