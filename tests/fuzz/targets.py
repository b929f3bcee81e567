"""What the fuzzer calls: one family per part of the public API.

A family is a function ``family(v) -> (label, thunk)``: it draws a call from ``v`` (tests/fuzz/values.py) and
returns a short description and a zero-argument callable that makes it. The worker runs the thunk; returning or
raising a Python exception are both fine, anything else (a signal, a hang, a SystemError, state left corrupt)
is a failure.

Arguments are drawn by parameter name (``plausible``): a kernel_size gets small ints or pairs, a ``dim`` an
int near the tensor's rank, an ``lr`` a float. Each argument is replaced by something wild with a small
probability, so most calls get past the first check and reach the kernels with one thing wrong.
"""
import inspect
import os
import pathlib

import numpy as np
from values import describe

# Public functions called through the generic path (save / load / set_num_threads have families of their own:
# they touch files and process-wide state).
_SKIP_FUNCTIONS = {"save", "load", "set_num_threads", "seed", "initial_seed", "get_num_threads"}
_SKIP_METHODS = {"numpy", "tolist", "item", "data", "grad", "shape", "dtype", "device", "ndim", "T", "H", "mT",
                 "is_cuda", "is_leaf", "requires_grad"}


def _public_callables(module, names=None):
    names = names if names is not None else [n for n in dir(module) if not n.startswith("_")]
    out = []
    for n in sorted(set(names)):
        obj = getattr(module, n, None)
        if callable(obj) and not inspect.isclass(obj) and not inspect.ismodule(obj) and n not in _SKIP_FUNCTIONS:
            out.append((n, obj))
    return out


def _signature(fn):
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------------------------------------- by name
def plausible(v, name, like=None):
    """A value for a parameter called ``name`` (``like``: the tensor the call is about, if any)."""
    ax = v.ax
    nd = like.ndim if like is not None and hasattr(like, "ndim") else 2
    r = v.r
    if v.chance(0.08):
        return v.wild()
    if name in ("dim", "dim0", "dim1", "axis", "start_dim", "end_dim", "source", "destination"):
        return v.pick((r.randint(-nd - 1, nd), r.randint(-nd, max(nd - 1, 0)), None, (0, -1), (0, 0), 2**63))
    if name in ("keepdim", "inplace", "ceil_mode", "count_include_pad", "return_indices", "bias", "affine",
                "track_running_stats", "elementwise_affine", "amsgrad", "nesterov", "centered", "maximize",
                "largest", "sorted", "descending", "stable", "unbiased", "log_target", "training", "replacement",
                "return_counts", "align_corners", "retain_graph", "create_graph", "allow_unused", "accumulate",
                "decoupled_weight_decay", "drop_last", "shuffle", "as_tuple", "equal_nan"):
        return v.pick((True, False, False, None, 1, "yes"))
    if name in ("kernel_size", "stride", "padding", "dilation", "output_size", "output_padding"):
        lo = 0 if name == "padding" else 1
        return v.pick((r.randint(lo, 3), (r.randint(lo, 3), r.randint(lo, 3)), r.randint(-2, 0), 0, 2**31,
                       (1,), (1, 2, 3), "same", "valid", None, (2**40, 1)))
    if name in ("groups", "num_groups", "num_parameters", "num_features", "num_channels", "in_features",
                "out_features", "in_channels", "out_channels", "n", "m", "steps", "num_samples", "k", "chunks",
                "sections", "repeats", "diagonal", "offset", "length", "start", "end", "step", "split_size",
                "split_size_or_sections", "shifts", "num_classes", "T_max", "step_size", "patience", "size"):
        return v.size(wild=0.15) if not v.chance(0.1) else v.pick((-1, 0, 2**31, 2.5))
    if name in ("dims", "shape", "sizes", "normalized_shape", "unflattened_size"):
        return v.shape(nd if v.chance(0.7) else None, wild=0.1)
    if name in ("p",):
        return v.pick((0.0, 0.5, 1.0, 0.3, -0.1, 1.5, float("nan"), 2, "0.5"))
    if name in ("lr", "eps", "momentum", "dampening", "weight_decay", "alpha", "lambd", "t0", "lr_decay",
                "initial_accumulator_value", "gamma", "eta_min", "factor", "threshold", "min_lr", "negative_slope",
                "beta", "delta", "label_smoothing", "value", "fill_value", "min", "max", "min_val", "max_val",
                "lambd", "init", "exponent", "other_value", "mean", "std", "low", "high", "a", "b", "gain",
                "base", "max_norm", "norm_type", "clip_value", "atol", "rtol", "nan", "posinf", "neginf",
                "weight_", "divisor_override", "upper", "lower", "margin"):
        return v.float_value()
    if name in ("betas",):
        return v.pick(((0.9, 0.999), (1.0, 0.5), (-0.1, 0.9), (0.9,), (float("nan"), 0.9), 0.9))
    if name in ("reduction",):
        return v.pick(("mean", "sum", "none", "batchmean", "avg", None, 1))
    if name in ("mode", "threshold_mode", "nonlinearity", "approximate", "padding_mode"):
        return v.pick(("min", "max", "rel", "abs", "fan_in", "fan_out", "relu", "tanh", "leaky_relu", "none",
                       "tanh", "zeros", "reflect", "replicate", "circular", "constant", "bogus"))
    if name in ("dtype",):
        return v.pick((None, ax.float32, ax.float64, ax.int64, ax.bool_, ax.float16, "float32", np.float64,
                       ax.int8, "bogus"))
    if name in ("device", "map_location"):
        return v.pick((None, "cpu", "cuda", "cuda:0", "cuda:1", "cpu:0", "tpu", ax.device("cpu"), 0, -1))
    if name in ("ignore_index",):
        return v.pick((-100, 0, 1, -1, 2**62))
    if name in ("target", "labels", "index", "indices"):
        n = like.shape[0] if like is not None and getattr(like, "ndim", 0) else 3
        if v.chance(0.5):
            return v.labels(n, like.shape[-1] if like is not None and like.ndim else 3)
        return v.tensor(like.shape if like is not None and v.chance(0.6) else None,
                        v.pick(("int64", "float32", "float32", "int32")), grad=False)
    if name in ("generator",):
        return v.pick((None, ax.Generator().manual_seed(1), 3, np.random.default_rng(0)))
    if name in ("equation",):
        return v.pick(("ij,jk->ik", "ii->i", "i,i->", "...j,j->...", "ij->", "bad", "ij,jk", "a" * 60))
    if name in ("pad",):
        return v.pick(((1, 1), (1, 1, 2, 2), (0,), (-1, 1), (2**31, 0), (1, 2, 3)))
    if name in ("weight", "bias", "pos_weight", "running_mean", "running_var", "other", "input", "x", "x1", "x2",
                "tensor", "mat1", "mat2", "vec", "vec1", "vec2", "batch1", "batch2", "end_", "self", "mask",
                "condition", "src", "source_", "y", "out", "t", "grad_output", "exponent_"):
        if like is not None and v.chance(0.6):
            shape = tuple(like.shape)
            if name in ("weight", "bias", "running_mean", "running_var", "pos_weight") and shape:
                shape = shape[1:2] if len(shape) > 1 else shape
            if name in ("mat2", "vec") and len(shape) >= 2:
                shape = shape[::-1]
            if name == "mask" or name == "condition":
                return v.tensor(shape, "bool", grad=False)
            return v.tensor(shape, like.dtype.name if hasattr(like.dtype, "name") else None)
        return v.tensor()
    return v.pick((v.tensor(), v.scalar(), v.r.randint(-2, 4), v.wild()))


def call_args(v, fn, first=None):
    """Positional and keyword arguments for ``fn`` by its signature; ``first`` fills the first parameter."""
    sig = _signature(fn)
    if sig is None:
        n = v.r.randint(0, 3)
        return ([first] if first is not None else []) + [v.tensor() for _ in range(n)], {}
    args, kwargs = [], {}
    like = first
    params = [p for p in sig.parameters.values() if p.name != "self"]
    for i, p in enumerate(params):
        if i == 0 and first is not None:
            args.append(first)
            continue
        required = p.default is inspect.Parameter.empty
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            args.extend(plausible(v, "input", like) for _ in range(v.r.randint(0, 3)))
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            if v.chance(0.1):
                kwargs["bogus_keyword"] = v.wild()
            continue
        if not required and not v.chance(0.4):
            continue
        value = plausible(v, p.name, like)
        if like is None and hasattr(value, "ndim") and hasattr(value, "requires_grad"):
            like = value
        if p.kind is inspect.Parameter.KEYWORD_ONLY or (not required and v.chance(0.5)):
            kwargs[p.name] = value
        elif p.kind is inspect.Parameter.POSITIONAL_ONLY or not kwargs:
            args.append(value)
        else:
            kwargs[p.name] = value
    return args, kwargs


def _label(name, args, kwargs):
    parts = [describe(a) for a in args] + [f"{k}={describe(x)}" for k, x in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _maybe_backward(v, result):
    """Runs backward through a result sometimes, with a random gradient sometimes."""
    ax = v.ax
    outs = result if isinstance(result, (tuple, list)) else (result,)
    for out in outs:
        if isinstance(out, ax.Tensor) and out.requires_grad and v.chance(0.7):
            if v.chance(0.7):
                out.sum().backward()
            else:
                out.backward(v.pick((None, v.float_tensor(tuple(out.shape), grad=False), v.wild())))
            return


# ---------------------------------------------------------------------------------------------- families
def _functions(ax):
    import axonal.nn.functional as F

    pool = _public_callables(ax) + [(f"F.{n}", f) for n, f in _public_callables(F, F.__all__)]
    pool += [(f"nn.init.{n}", f) for n, f in _public_callables(ax.nn.init)]
    pool += [(f"linalg.{n}", f) for n, f in _public_callables(ax.linalg)]
    pool += [(f"nn.utils.{n}", f) for n, f in _public_callables(ax.nn.utils)]
    return pool


def fam_function(v):
    """A public function of axonal, axonal.nn.functional, nn.init, linalg or nn.utils."""
    ax = v.ax
    name, fn = v.pick(_cached("functions", lambda: _functions(ax)))
    first = v.tensor() if v.chance(0.8) else None
    args, kwargs = call_args(v, fn, first)

    def thunk():
        _maybe_backward(v, fn(*args, **kwargs))

    return _label(name, args, kwargs), thunk


def _methods(ax):
    out = []
    for n in dir(ax.Tensor):
        if n.startswith("_") or n in _SKIP_METHODS:
            continue
        if callable(getattr(ax.Tensor, n, None)):
            out.append(n)
    return sorted(out)


_OPERATORS = ("__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__", "__matmul__",
              "__radd__", "__rsub__", "__rtruediv__", "__rpow__", "__rmatmul__", "__lt__", "__le__", "__eq__",
              "__ne__", "__gt__", "__ge__", "__and__", "__or__", "__xor__", "__invert__", "__neg__", "__abs__",
              "__iadd__", "__isub__", "__imul__", "__itruediv__", "__len__", "__bool__", "__float__", "__int__",
              "__index__", "__repr__", "__iter__", "__contains__", "__array__", "__dlpack__", "__hash__",
              "__setstate__", "__reduce_ex__", "__deepcopy__", "__copy__", "__format__")


def fam_method(v):
    """A Tensor method or operator on an awkward tensor."""
    ax = v.ax
    t = v.tensor()
    if v.chance(0.3):
        name = v.pick(_OPERATORS)
        fn = getattr(t, name, None)
        if fn is None:
            return f"Tensor.{name} (absent)", lambda: None
        arity = 0 if name in ("__invert__", "__neg__", "__abs__", "__len__", "__bool__", "__float__", "__int__",
                              "__index__", "__repr__", "__iter__", "__hash__", "__copy__") else 1
        if name == "__deepcopy__":
            args = [{}]
        elif name == "__reduce_ex__":
            args = [v.pick((2, 4))]
        elif name == "__format__":
            args = [v.pick(("", ".3f", "x"))]
        else:
            args = [plausible(v, "other", t) for _ in range(arity)]

        def thunk():
            out = fn(*args)
            if name == "__iter__":
                for i, _ in enumerate(out):
                    if i > 3:
                        break
            _maybe_backward(v, out)

        return _label(f"Tensor.{name}", [t] + args, {}), thunk
    name = v.pick(_cached("methods", lambda: _methods(ax)))
    fn = getattr(t, name)
    args, kwargs = call_args(v, getattr(ax.Tensor, name))
    if args and args[0] is None:
        args = args[1:]

    def thunk():
        _maybe_backward(v, fn(*args, **kwargs))

    return _label(f"Tensor.{name}", [t] + args, kwargs), thunk


def _index_key(v, t):
    nd = t.ndim
    n0 = t.shape[0] if nd else 1
    return v.pick((
        v.r.randint(-n0 - 2, n0 + 1), slice(v.r.randint(-3, 3), v.r.randint(-3, 5), v.pick((None, 1, 2, -1, 0))),
        (Ellipsis, None), (None,) * v.r.randint(1, 3), tuple(v.r.randint(-1, 1) for _ in range(nd + 1)),
        v.tensor((n0,), "bool", grad=False), v.tensor((v.r.randint(0, 4),), "int64", grad=False),
        [0, -1, 0], [[0], [1]], v.tensor(tuple(t.shape), "bool", grad=False), 2**63, -(2**63), 1.5, "a",
        np.array([True]), np.int64(0), (slice(None), [0, 0]), v.wild(),
    ))


def fam_index(v):
    """t[key] and t[key] = value with random keys and values."""
    t = v.tensor()
    key = _index_key(v, t)
    if v.chance(0.5):
        def thunk():
            _maybe_backward(v, t[key])

        return f"{describe(t)}[{describe(key)}]", thunk
    value = v.pick((v.scalar(), v.tensor(), v.float_value(), v.wild(), v.tensor(tuple(t.shape))))

    def thunk():
        t[key] = value

    return f"{describe(t)}[{describe(key)}] = {describe(value)}", thunk


def _creation(ax):
    names = ("zeros", "ones", "empty", "full", "arange", "rand", "randn", "randint", "randperm", "eye",
             "linspace", "logspace", "tensor", "as_tensor", "from_numpy", "zeros_like", "ones_like", "empty_like",
             "full_like", "rand_like", "randn_like", "normal", "bernoulli", "multinomial")
    return [(n, getattr(ax, n)) for n in names]


def fam_creation(v):
    """Creation functions with sizes that are zero, negative, huge or not sizes."""
    ax = v.ax
    name, fn = v.pick(_cached("creation", lambda: _creation(ax)))
    if name in ("zeros", "ones", "empty", "rand", "randn"):
        args = [v.size(wild=0.3) for _ in range(v.r.randint(0, 4))]
        if v.chance(0.2):
            args = [tuple(args)]
    elif name == "full":
        args = [tuple(v.size(wild=0.3) for _ in range(v.r.randint(0, 3))), v.scalar()]
    elif name in ("tensor", "as_tensor"):
        args = [v.pick(([1.0, 2.0], [[1, 2], [3]], [float("nan")], [], [[[]]], [True, 1, 2.5], "abc", v.array(),
                        [v.tensor(()), 1.0], [2**64], v.wild(), 1e308, complex(1, 2), [None]))]
    elif name == "from_numpy":
        args = [v.pick((v.array(), v.huge_view(), v.wild(), np.array([object()]), np.array("s")))]
    elif name in ("arange", "linspace", "logspace", "randint", "eye", "randperm", "multinomial", "normal",
                  "bernoulli") or name.endswith("_like"):
        args, kwargs = call_args(v, fn, v.tensor() if name.endswith("_like") or name in ("bernoulli", "multinomial")
                                 else None)
        return _label(name, args, kwargs), lambda: fn(*args, **kwargs)
    else:
        args = [v.wild()]
    kwargs = {}
    if v.chance(0.4) and name not in ("from_numpy",):
        kwargs["dtype"] = plausible(v, "dtype")
    if v.chance(0.2) and name not in ("from_numpy",):
        kwargs["device"] = plausible(v, "device")
    if v.chance(0.2) and name not in ("from_numpy",):
        kwargs["requires_grad"] = v.pick((True, False, 1))
    return _label(name, args, kwargs), lambda: fn(*args, **kwargs)


def _layers(ax):
    nn = ax.nn
    return [(n, getattr(nn, n)) for n in nn.__all__ if inspect.isclass(getattr(nn, n))
            and issubclass(getattr(nn, n), nn.Module) and n not in ("Module", "SyncBatchNorm")]


def _input_for(v, layer):
    """An input shaped for the layer most of the time (right features / channels), wrong sometimes."""
    n = v.pick((1, 2, 3, 0, 5))
    for attr, rank in (("in_features", 2), ("in_channels", 4), ("num_features", 2), ("num_channels", 4)):
        c = getattr(layer, attr, None)
        if isinstance(c, int) and 0 < c < 64 and v.chance(0.8):
            if attr == "in_channels" and type(layer).__name__ == "Conv1d":
                rank = 3
            if attr == "num_features" and "2d" in type(layer).__name__:
                rank = 4
            shape = (n, c) + tuple(v.pick((1, 3, 5, 7, 8)) for _ in range(rank - 2))
            return v.float_tensor(shape)
    shape = getattr(layer, "normalized_shape", None)
    if isinstance(shape, tuple) and all(isinstance(s, int) and 0 < s < 16 for s in shape) and v.chance(0.8):
        return v.float_tensor((n,) + shape)
    return v.tensor()


def _target_like(v, x):
    shape = tuple(x.shape)
    return v.labels(shape[0], shape[-1]) if shape and v.chance(0.4) else v.float_tensor(shape, grad=False)


def fam_layer(v):
    """Construct a layer with random arguments, run it forward (and backward), move it, round-trip its state."""
    ax = v.ax
    name, cls = v.pick(_cached("layers", lambda: _layers(ax)))
    args, kwargs = call_args(v, cls.__init__)
    if name in ("Sequential", "ModuleList"):
        args = [ax.nn.Linear(3, 3), ax.nn.ReLU()] if v.chance(0.7) else [v.wild()]
    label = _label(f"nn.{name}", args, kwargs)
    extra = v.pick(("forward", "forward", "forward", "state", "to", "double", "twice", "eval", "zero_grad"))

    def thunk():
        layer = cls(*args, **kwargs)
        x = _input_for(v, layer)
        if extra == "state":
            sd = layer.state_dict()
            if sd and v.chance(0.5):
                k = v.pick(sorted(sd))
                sd[k] = v.pick((v.tensor(), v.wild(), v.float_tensor(tuple(sd[k].shape))))
            layer.load_state_dict(sd, strict=v.pick((True, False)))
        elif extra == "to":
            layer.to(plausible(v, "device"))
        elif extra == "double":
            layer.double()
        elif extra == "eval":
            layer.eval()
        elif extra == "zero_grad":
            layer.zero_grad()
        out = layer(x, _target_like(v, x)) if isinstance(layer, ax.nn.loss._Loss) else layer(x)
        _maybe_backward(v, out)
        if extra == "twice":
            _maybe_backward(v, layer(x))

    return f"{label}.{extra}", thunk


def _losses(ax):
    import axonal.nn.functional as F

    nn = ax.nn
    mods = [(n, getattr(nn, n)) for n in ("MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
                                          "BCEWithLogitsLoss", "HuberLoss", "SmoothL1Loss", "KLDivLoss")]
    fns = [(f"F.{n}", getattr(F, n)) for n in ("mse_loss", "l1_loss", "cross_entropy", "nll_loss",
                                                "binary_cross_entropy", "binary_cross_entropy_with_logits",
                                                "huber_loss", "smooth_l1_loss", "kl_div")]
    return mods, fns


def fam_loss(v):
    """A loss (module or function) on logits / probabilities and targets that fit, or nearly."""
    ax = v.ax
    mods, fns = _cached("losses", lambda: _losses(ax))
    n, c = v.pick((1, 3, 4, 0, 7)), v.pick((1, 2, 3, 5))
    shape = v.pick(((n, c), (n, c), (n,), (n, c, 2, 2), ()))
    x = v.float_tensor(shape, grad=True)
    if v.chance(0.5):
        name, cls = v.pick(mods)
        kwargs = call_args(v, cls.__init__)[1]
        if "weight" in kwargs and v.chance(0.7):
            kwargs["weight"] = v.float_tensor((c,), grad=False)
        classes = c
        is_class = name in ("CrossEntropyLoss", "NLLLoss")
        target = v.labels(n, classes) if is_class and v.chance(0.8) else v.float_tensor(shape, grad=False)
        if name == "BCELoss" and v.chance(0.7):
            x = x.sigmoid() if x.dtype in (ax.float32, ax.float64) else x

        def thunk():
            _maybe_backward(v, cls(**kwargs)(x, target))

        return _label(f"nn.{name}", [x, target], kwargs), thunk
    name, fn = v.pick(fns)
    is_class = name in ("F.cross_entropy", "F.nll_loss")
    target = v.labels(n, c) if is_class and v.chance(0.8) else v.float_tensor(shape, grad=False)
    args, kwargs = call_args(v, fn, x)
    args = [x, target] + args[2:]

    def thunk():
        _maybe_backward(v, fn(*args, **kwargs))

    return _label(name, args, kwargs), thunk


def _small_model(v):
    ax = v.ax
    model = ax.nn.Sequential(ax.nn.Linear(3, 4), ax.nn.ReLU(), ax.nn.Linear(4, 2))
    if v.chance(0.3):
        model = model.double()
    if v.chance(0.2) and "cuda" in v.devices:
        model = model.to("cuda")
    return model


def fam_optimizer(v):
    """An optimizer with random hyperparameters stepping on gradients that are NaN, missing or misshapen."""
    ax = v.ax
    name = v.pick(ax.optim.__all__[1:-1])
    cls = getattr(ax.optim, name)
    _, kwargs = call_args(v, cls.__init__)
    kwargs.pop("params", None)
    if "lr" not in kwargs and v.chance(0.5):
        kwargs["lr"] = v.float_value()
    sched = v.pick((None, None, "StepLR", "ExponentialLR", "CosineAnnealingLR", "ReduceLROnPlateau"))
    grads = v.pick(("real", "real", "nan", "none", "wrong", "huge", "int"))
    steps = v.r.randint(1, 3)
    params_kind = v.pick(("model", "model", "list", "groups", "empty", "wild", "duplicate"))
    label = f"optim.{name}({kwargs}) grads={grads} steps={steps} sched={sched} params={params_kind}"

    def thunk():
        model = _small_model(v)
        params = list(model.parameters())
        if params_kind == "groups":
            params = [{"params": params[:2]}, {"params": params[2:], "lr": v.float_value()}]
        elif params_kind == "empty":
            params = []
        elif params_kind == "wild":
            params = v.pick(([v.tensor()], v.wild(), [v.wild()]))
        elif params_kind == "duplicate":
            params = params + params[:1]
        opt = cls(params, **kwargs)
        scheduler = None
        if sched is not None:
            scls = getattr(ax.optim.lr_scheduler, sched)
            _, skw = call_args(v, scls.__init__)
            skw.pop("optimizer", None)
            scheduler = scls(opt, **skw)
        x = ax.randn(5, 3, dtype=model[0].weight.dtype, device=model[0].weight.device)
        for _ in range(steps):
            opt.zero_grad(set_to_none=v.pick((True, False)))
            loss = model(x).pow(2).mean()
            loss.backward()
            for p in model.parameters():
                if grads == "nan":
                    p.grad.data[...] = np.nan if p.grad.device.type == "cpu" else p.grad.data * np.nan
                elif grads == "none":
                    p.grad = None
                elif grads == "wrong" and v.chance(0.5):
                    p.grad = v.tensor()
                elif grads == "huge":
                    p.grad = p.grad * 1e38
                elif grads == "int" and v.chance(0.5):
                    p.grad = ax.zeros(*p.shape, dtype=ax.int64, device=p.device)
            opt.step() if not v.chance(0.2) else opt.step(lambda: model(x).sum())
            if scheduler is not None:
                scheduler.step(float(loss.item())) if sched == "ReduceLROnPlateau" else scheduler.step()
        if v.chance(0.3):
            sd = opt.state_dict()
            if v.chance(0.5) and sd["param_groups"]:
                sd["param_groups"][0]["lr"] = v.wild()
            opt.load_state_dict(sd if v.chance(0.8) else v.wild())
            opt.step()

    return label, thunk


def fam_loader(v):
    """TensorDataset + DataLoader with random arguments; takes a few batches."""
    ax = v.ax
    n = v.pick((0, 1, 3, 7, 10))
    tensors = [v.tensor((n,) + v.shape(v.r.randint(0, 2)), grad=False) for _ in range(v.r.randint(1, 3))]
    if v.chance(0.15):
        tensors.append(v.tensor((n + 1,), grad=False))  # lengths that differ
    kwargs = {}
    for key, draw in (("batch_size", lambda: v.pick((1, 2, 3, 4, None, 0, -1, 2**40, 2.5, True))),
                      ("shuffle", lambda: v.pick((True, False, None, "yes"))),
                      ("drop_last", lambda: v.pick((True, False))),
                      ("num_workers", lambda: v.pick((0, 0, 0, 0, 1, 2, -1))),
                      ("seed", lambda: v.pick((None, 0, 2**63, -1, "s"))),
                      ("collate_fn", lambda: v.pick((None, lambda b: b, lambda b: 1 / 0, v.wild()))),
                      ("sampler", lambda: v.pick((None, [0, 1, 2], range(2**40), [n + 5], [-1], v.wild()))),
                      ("timeout", lambda: v.pick((0, 5, -1))),
                      ("prefetch_factor", lambda: v.pick((None, 1, 2, 0)))):
        if v.chance(0.35):
            kwargs[key] = draw()
    if kwargs.get("num_workers", 0) and v.chance(0.5):
        kwargs["timeout"] = 20  # a worker that dies must not hang the parent
    take = v.r.randint(0, 3)
    label = f"DataLoader(TensorDataset({', '.join(describe(t) for t in tensors)}), {kwargs}) take {take}"

    def thunk():
        ds = ax.data.TensorDataset(*tensors)
        if v.chance(0.2):
            ds = ax.data.Subset(ds, v.pick(([0, 1], [n + 3], [], [-1])))
        loader = ax.data.DataLoader(ds, **kwargs)
        len(loader)
        for i, batch in enumerate(loader):
            if i >= take:
                break

    return label, thunk


def fam_io(v):
    """save / load: random objects, random paths inside the worker's directory, corrupted files."""
    ax = v.ax
    what = v.pick(("roundtrip", "roundtrip", "corrupt", "corrupt", "badpath", "foreign"))
    obj = v.pick((
        {"w": v.tensor(grad=False), "b": v.array()},
        _small_model(v).state_dict(),
        {"model": {"0.weight": v.tensor(grad=False)}, "epoch": v.r.randint(0, 9), "x": [1, (2, "a"), None]},
        [v.tensor(grad=False), v.wild()],
        {1: v.tensor(grad=False), "1": v.tensor(grad=False)},
        {"__metadata__": v.tensor(grad=False)},
        v.wild(),
        {"a": {"b": {"c": v.array(layout=v.pick(("c", "transpose", "broadcast", "unaligned")))}}},
    ))
    path = os.path.join(os.getcwd(), f"ckpt-{v.r.randrange(4)}.safetensors")
    label = f"io.{what}({describe(obj)})"

    def thunk():
        if what == "roundtrip":
            ax.save(obj, pathlib.Path(path) if v.chance(0.3) else path,
                    metadata=v.pick((None, {"a": "b"}, {"axonal.tree": "x"}, {1: object()}, v.wild())))
            ax.load(path, map_location=plausible(v, "device"), return_metadata=v.pick((True, False)))
        elif what == "corrupt":
            ax.save({"w": ax.randn(3, 4), "n": 3}, path)
            data = bytearray(open(path, "rb").read())
            how = v.pick(("truncate", "flip", "header_len", "header_json", "offsets", "empty", "append"))
            if how == "truncate":
                data = data[: v.r.randrange(len(data))]
            elif how == "flip":
                for _ in range(v.r.randint(1, 8)):
                    data[v.r.randrange(len(data))] ^= 1 << v.r.randrange(8)
            elif how == "header_len":
                data[:8] = v.pick((2**63, 2**64 - 1, 2**40, len(data), 0, 7)).to_bytes(8, "little")
            elif how == "header_json":
                n = int.from_bytes(data[:8], "little")
                data[8:8 + n] = v.pick((b"{", b"[]", b"null", b'{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}',
                                        b'{"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4]}}',
                                        b'{"__metadata__":{"axonal.tree":"{\\"__tensor__\\": \\"zz\\"}"}}'))[:n].ljust(n)
            elif how == "offsets":
                text = data.decode("latin-1").replace("data_offsets", "data_offsetz", v.r.randint(0, 1))
                data = bytearray(text.encode("latin-1"))
            elif how == "empty":
                data = bytearray()
            else:
                data += os.urandom(v.r.randint(1, 64))
            with open(path, "wb") as f:
                f.write(bytes(data))
            ax.load(path)
        elif what == "badpath":
            bad = v.pick((os.getcwd(), os.path.join(os.getcwd(), "missing", "x.st"), "", b"bytes.st", 3, None,
                          pathlib.Path(os.getcwd()), "\x00bad"))
            if v.chance(0.5):
                ax.save({"w": ax.ones(2)}, bad)
            else:
                ax.load(bad)
        else:
            with open(path, "wb") as f:
                f.write(v.pick((b"\x80\x04K\x01.", b"PK\x03\x04" + os.urandom(30), os.urandom(64), b"\x00" * 8,
                                (8).to_bytes(8, "little") + b'{"a":1} ')))
            ax.load(path)

    return label, thunk


def fam_device(v):
    """Device calls: .to / .cuda / .cpu with odd arguments, ops that mix devices, models moved between them."""
    ax = v.ax
    what = v.pick(("to", "to", "mix", "model", "device", "query"))
    t = v.tensor()
    arg = plausible(v, "device") if v.chance(0.8) else v.wild()
    label = f"device.{what}({describe(t)}, {describe(arg)})"

    def thunk():
        if what == "to":
            out = t.to(arg) if v.chance(0.7) else t.to(arg, dtype=plausible(v, "dtype"))
            out = out.cuda() if v.chance(0.3) and "cuda" in v.devices else out.cpu()
            _maybe_backward(v, out)
        elif what == "mix":
            other = v.tensor(tuple(t.shape), device=v.device())
            op = v.pick(("add", "mul", "matmul", "where", "cat", "copy_"))
            if op == "where":
                _maybe_backward(v, ax.where(t > 0, t, other))
            elif op == "cat":
                _maybe_backward(v, ax.cat([t, other]))
            elif op == "copy_":
                t.detach().copy_(other)
            else:
                _maybe_backward(v, getattr(ax, op)(t, other))
        elif what == "model":
            model = _small_model(v).to(arg)
            _maybe_backward(v, model(v.float_tensor((2, 3))))
        elif what == "device":
            d = ax.device(arg)
            ax.zeros(2, device=d)
        else:
            fn = v.pick((ax.cuda.is_available, ax.cuda.device_count, ax.cuda.current_device, ax.cuda.synchronize,
                         ax.cuda.get_device_name))
            try:
                fn(arg)
            except TypeError:
                fn()

    return label, thunk


def _kernel_array(v, shape=None, dtype=None):
    if v.chance(0.1):
        return v.wild()
    return v.array(shape, dtype or v.pick(("float32", "float32", "float64", "float16", "int64")))


def fam_kernel(v):
    """The C++ bindings directly (axonal._C), with arrays of any layout: the last line of defence."""
    from axonal import _C

    n, c, h, w = (v.pick((1, 2, 3)), v.pick((1, 2, 3)), v.pick((1, 3, 5, 8)), v.pick((1, 3, 5, 8)))
    k, r, s = v.pick((1, 2, 4)), v.pick((1, 2, 3)), v.pick((1, 2, 3))
    dt = v.pick(("float32", "float64"))
    geo = lambda lo: v.pick(((1, 1), (lo, lo), (2, 1), (v.r.randint(lo - 1, 3), v.r.randint(lo - 1, 3)), (2**31, 1),
                             (2**62, 2**62), [1], "ab", (1.0, 1)))
    ref = v.chance(0.5)
    op = v.pick(("gemm", "matmul", "conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight",
                 "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
                 "relu_forward", "relu_backward", "bias_relu_forward", "softmax_cross_entropy", "sgd_update",
                 "adam_update", "erf", "erfc", "erfinv"))
    m_, n_, k_ = v.pick((1, 2, 3, 17)), v.pick((1, 2, 3, 17)), v.pick((1, 2, 3, 17))
    A = lambda shape: _kernel_array(v, shape, dt)
    if op == "gemm":
        args = [A((m_, k_)), A((k_, n_)), A((m_, n_)), v.chance(0.3), v.chance(0.3), v.float_value(), v.float_value(), ref]
    elif op == "matmul":
        b = v.pick((1, 2))
        args = v.pick(([A((m_, k_)), A((k_, n_))], [A((b, m_, k_)), A((b, k_, n_))], [A(None), A(None)]))
    elif op == "conv2d_forward":
        args = [A((n, c, h, w)), A((k, c, r, s)), v.pick((None, A((k,)))), geo(1), geo(0), geo(1), ref, v.chance(0.3)]
    elif op == "conv2d_backward_input":
        args = [A((n, k, h, w)), A((k, c, r, s)), v.pick(((n, c, h, w), (n, c, h + r - 1, w + s - 1), (0, 1, 1, 1),
                                                          (2**40, 2**40, 1, 1))), geo(1), geo(0), geo(1), ref,
                v.pick((None, A((n, c, h + r - 1, w + s - 1)), v.wild()))]
    elif op == "conv2d_backward_weight":
        args = [A((n, k, h - r + 1 if h >= r else 1, w - s + 1 if w >= s else 1)), A((n, c, h, w)),
                v.pick(((k, c, r, s), (k, c, 2**31, 2**31))), v.chance(0.5), geo(1), geo(0), geo(1), ref,
                v.pick((None, A((k, c, r, s)))), v.pick((None, A((k,))))]
    elif op == "max_pool2d_forward":
        args = [A((n, c, h, w)), geo(1), geo(1), geo(0)]
    elif op == "max_pool2d_backward":
        g = A((n, c, max(h // 2, 1), max(w // 2, 1)))
        idx = v.pick((v.array(getattr(g, "shape", (1,)), "int32"), v.array(None, "int64"), v.wild()))
        if isinstance(idx, np.ndarray) and idx.dtype == np.int32 and v.chance(0.5):
            idx = v.np.integers(-5, h * w + 5, idx.shape).astype(np.int32)
        args = [g, idx, v.pick(((n, c, h, w), (n, c, 1, 1), (n, c, 2**31, 2**31)))]
    elif op == "avg_pool2d_forward":
        args = [A((n, c, h, w)), geo(1), geo(1), geo(0), v.chance(0.5)]
    elif op == "avg_pool2d_backward":
        args = [A((n, c, max(h // 2, 1), max(w // 2, 1))), (n, c, h, w), geo(1), geo(1), geo(0), v.chance(0.5)]
    elif op == "relu_forward":
        x = A(None)
        args = [x, v.pick((None, x, A(getattr(x, "shape", None)), v.wild())), ref]
    elif op == "relu_backward":
        g = A(None)
        shape = getattr(g, "shape", None)
        args = [g, A(shape), v.pick((None, A(shape))), ref]
    elif op == "bias_relu_forward":
        y = A((m_, n_))
        args = [y, A((n_,)) if v.chance(0.8) else A(None), ref]
    elif op == "softmax_cross_entropy":
        logits = A((m_, n_))
        t = v.pick((v.np.integers(0, n_, m_), v.np.integers(-101, n_ + 2, m_), v.array((m_,), "int32"), v.wild()))
        args = [logits, t, v.pick((None, A((n_,)))), v.pick((-100, 0, -1)), v.pick((0.0, 0.1, 1.0, -0.5, float("nan"))),
                v.chance(0.7), ref]
    elif op == "sgd_update":
        p = A((m_, n_))
        shape = getattr(p, "shape", None)
        mom = v.pick((0.0, 0.9, float("nan")))
        args = [p, v.pick((A(shape), p)), v.pick((None, A(shape), p)), v.float_value(), mom, v.float_value(),
                v.float_value(), v.chance(0.3), v.chance(0.3), v.chance(0.5), ref]
    elif op == "adam_update":
        p = A((m_, n_))
        shape = getattr(p, "shape", None)
        args = [p, A(shape), A(shape), A(shape), v.pick((None, A(shape))), v.float_value(), 0.9, 0.999,
                v.float_value(), v.float_value(), v.chance(0.5), v.chance(0.3), v.float_value(), v.float_value(), ref]
    else:
        args = [A(None)] + ([ref] if op == "erfinv" else [])
    if v.chance(0.05):
        args = args[: v.r.randrange(len(args) + 1)]  # missing arguments
    fn = getattr(_C, op)
    return _label(f"_C.{op}", args, {}), lambda: fn(*args)


def fam_autograd(v):
    """autograd.grad / backward twice / gradcheck / hooks / no_grad around random ops."""
    ax = v.ax
    what = v.pick(("grad", "twice", "gradcheck", "hook", "nograd", "function"))
    x = v.float_tensor(grad=True)
    label = f"autograd.{what}({describe(x)})"

    def thunk():
        if what == "grad":
            y = (x * 2).sum() if x.requires_grad else x
            ax.autograd.grad(v.pick((y, [y], v.wild())), v.pick((x, [x], [x, x], v.wild())),
                             grad_outputs=v.pick((None, v.tensor(), [None])),
                             retain_graph=v.pick((None, True)), create_graph=v.pick((False, True)),
                             allow_unused=v.pick((False, True)))
        elif what == "twice":
            y = (x.exp() * x).sum()
            y.backward(retain_graph=v.pick((True, False)))
            y.backward()
        elif what == "gradcheck":
            xs = x.detach().double().requires_grad_(True) if x.numel() <= 8 else ax.randn(2, dtype=ax.float64,
                                                                                         requires_grad=True)
            fn = v.pick((ax.sin, ax.exp, lambda t: t @ t.T if t.ndim == 2 else t.sum(), ax.nn.functional.relu))
            ax.autograd.gradcheck(fn, (xs,), eps=v.pick((1e-6, 0.0, -1.0, float("nan"))))
        elif what == "hook":
            if x.requires_grad:
                x.register_hook(v.pick((lambda g: None, lambda g: 1 / 0, lambda g: v.wild(), lambda g: g * 2,
                                        lambda g: v.tensor())))
            (x * 3).sum().backward()
        elif what == "nograd":
            with ax.no_grad():
                y = x * 2
            y.sum().backward()
        else:
            class Bad(ax.autograd.Function):
                @staticmethod
                def forward(ctx, a):
                    ctx.save_for_backward(a)
                    return v.pick((a * 2, a, None, 3, v.tensor()))

                @staticmethod
                def backward(ctx, g):
                    return v.pick((g, None, (g, g), v.tensor(), "x"))

            _maybe_backward(v, Bad.apply(x))

    return label, thunk


def fam_train(v):
    """ax.train.fit / evaluate on a tiny random problem with odd arguments."""
    ax = v.ax
    epochs = v.pick((0, 1, 1, 2, -1, 2.5))
    kw = {"progress": False}
    if v.chance(0.3):
        kw["metrics"] = v.pick(((), ("accuracy",), ("bogus",), v.wild()))
    if v.chance(0.2):
        kw["callbacks"] = v.pick(((), (ax.train.EarlyStopping(patience=0),), v.wild()))
    label = f"train.fit(epochs={epochs}, {kw})"

    def thunk():
        model = _small_model(v)
        dev = next(model.parameters()).device
        x = ax.randn(8, 3, dtype=model[0].weight.dtype, device=dev)
        y = ax.randint(0, 2, (8,), device=dev)
        if v.chance(0.2):
            y = v.labels(8, 2)
        loader = ax.data.DataLoader(ax.data.TensorDataset(x, y), batch_size=v.pick((2, 3, 8)))
        opt = ax.optim.SGD(model.parameters(), lr=v.float_value())
        loss = v.pick((ax.nn.CrossEntropyLoss(), ax.nn.MSELoss(), ax.nn.functional.cross_entropy))
        ax.train.fit(model, loss, opt, loader, epochs, val_loader=v.pick((None, loader)), **kw)

    return label, thunk


def fam_threads(v):
    """set_num_threads with odd values (bounded: huge counts are the other section's validation), then a kernel."""
    ax = v.ax
    n = v.pick((1, 2, 3, 4, 8, 0, -1, 2.0, True, "2", None, 2**40))
    label = f"set_num_threads({n!r}) + matmul"

    def thunk():
        ax.set_num_threads(n)
        (ax.randn(33, 17) @ ax.randn(17, 9)).sum()

    return label, thunk


def _cached(key, make, _cache={}):  # noqa: B006 - a per-process cache on purpose
    if key not in _cache:
        _cache[key] = make()
    return _cache[key]


FAMILIES = {
    "function": (fam_function, 20),
    "method": (fam_method, 16),
    "index": (fam_index, 6),
    "creation": (fam_creation, 8),
    "layer": (fam_layer, 12),
    "loss": (fam_loss, 8),
    "optimizer": (fam_optimizer, 6),
    "loader": (fam_loader, 4),
    "io": (fam_io, 5),
    "device": (fam_device, 5),
    "kernel": (fam_kernel, 10),
    "autograd": (fam_autograd, 4),
    "train": (fam_train, 1),
    "threads": (fam_threads, 1),
}


def draw(v, only=None):
    """(family name, label, thunk) for one call."""
    names = [n for n in FAMILIES if only is None or n in only]
    weights = [FAMILIES[n][1] for n in names]
    name = v.r.choices(names, weights)[0]
    label, thunk = FAMILIES[name][0](v)
    return name, label, thunk


__all__ = ["FAMILIES", "draw", "plausible", "call_args"]
