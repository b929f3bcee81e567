"""Which backend owns an array: a dict from each device's array type to its backend, filled as backends load."""

_by_type = {}


def register(backend):
    """Makes ``of()`` recognise the arrays of ``backend``."""
    _by_type[backend.array_type] = backend


def of(array):
    """The backend of ``array`` (a device array of a registered type)."""
    backend = _by_type.get(type(array))
    if backend is None:
        raise TypeError(f"[backend] {type(array).__name__} is not an array of any axonal device")
    return backend


def transfer(array, target):
    """``array`` (of any device) as an array of backend ``target``: itself when it is already there."""
    source = of(array)
    if source is target:
        return array
    return target.from_host(source.to_host(array))
