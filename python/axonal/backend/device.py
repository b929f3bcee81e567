"""device: where a tensor's memory lives, spelled as in torch (``ax.device("cuda:0")``, ``t.device``)."""

_TYPES = ("cpu", "cuda")


class device:  # noqa: N801 - torch's spelling
    """A device type ("cpu" or "cuda") and, for cuda, an index. Compares equal to itself and to its string
    form, so ``t.device == "cpu"`` works as it does in torch."""

    __slots__ = ("type", "index")

    def __init__(self, spec, index=None):
        if isinstance(spec, device):
            kind, idx = spec.type, spec.index
        elif isinstance(spec, str):
            kind, _, rest = spec.strip().partition(":")
            idx = None
            if rest:
                if not rest.isdigit():
                    raise RuntimeError(f"[device] invalid device string {spec!r}")
                idx = int(rest)
        else:
            raise TypeError(f"[device] expected a string like 'cpu' or 'cuda:0', got {type(spec).__name__}")
        if kind not in _TYPES:
            raise RuntimeError(f"[device] expected one of {', '.join(_TYPES)} as the device type, got {spec!r}")
        if index is not None:
            if idx is not None:
                raise RuntimeError(f"[device] the index is given twice: {spec!r} and index={index}")
            idx = int(index)
        if idx is not None and idx < 0:
            raise RuntimeError(f"[device] the device index must be >= 0, got {idx}")
        if kind == "cpu" and idx not in (None, 0):
            raise RuntimeError(f"[device] the cpu device has no index {idx}")
        object.__setattr__(self, "type", kind)
        object.__setattr__(self, "index", None if kind == "cpu" else idx)

    def __setattr__(self, name, value):
        raise AttributeError("[device] device objects are immutable")

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        if self.index is None:
            return f"device(type={self.type!r})"
        return f"device(type={self.type!r}, index={self.index})"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, TypeError):
                return False
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))


CPU = device("cpu")
