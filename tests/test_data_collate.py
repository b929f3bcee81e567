"""default_collate / default_convert: the same collated structures as torch's, with axonal Tensors in place of
torch's (one stated difference: Python floats collate to the default float dtype, float32, where torch makes
float64)."""
import collections

import numpy as np
import pytest

import axonal as ax
from axonal.data import default_collate, default_convert

Point = collections.namedtuple("Point", "x y")


def torch_collate():
    return pytest.importorskip("torch.utils.data._utils.collate")


def describe(obj, python_floats_as=None):
    """A comparable picture of a collated structure, for axonal and torch alike: containers by type, tensors as
    ("tensor", dtype name, values)."""
    if isinstance(obj, ax.Tensor):
        return ("tensor", str(obj.dtype), obj.numpy().tolist())
    if type(obj).__module__.startswith("torch") and hasattr(obj, "numpy"):
        return ("tensor", str(obj.numpy().dtype), obj.numpy().tolist())
    if isinstance(obj, Point):
        return ("Point", [describe(v) for v in obj])
    if isinstance(obj, dict):
        return (type(obj).__name__, [(k, describe(v)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [describe(v) for v in obj])
    return (type(obj).__name__, obj)


CASES = {
    "ints": [1, 2, 3],
    "bools": [True, False],
    "numpy scalars": [np.float64(1.5), np.float64(2.0)],
    "numpy int32 scalars": [np.int32(4), np.int32(-1)],
    "numpy bool scalars": [np.bool_(True), np.bool_(False)],
    "uint8 arrays": [np.arange(4, dtype=np.uint8), np.ones(4, dtype=np.uint8)],
    "float64 arrays": [np.zeros((2, 2)), np.ones((2, 2))],
    "0-d arrays": [np.array(1.0, np.float32), np.array(2.0, np.float32)],
    "tuples": [(np.zeros(2, np.float32), 1), (np.ones(2, np.float32), 0)],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"image": np.zeros(3, np.float32), "label": 1, "name": "a"},
              {"image": np.ones(3, np.float32), "label": 2, "name": "b"}],
    "ordered dicts": [collections.OrderedDict(b=1, a=2), collections.OrderedDict(b=3, a=4)],
    "nested": [{"pair": (1, [True, np.int64(3)]), "meta": {"id": "x"}},
               {"pair": (2, [False, np.int64(4)]), "meta": {"id": "y"}}],
    "namedtuples": [Point(1, np.zeros(2, np.float32)), Point(2, np.ones(2, np.float32))],
    "strings": ["a", "bc"],
    "bytes": [b"a", b"b"],
    "numpy strings": [np.str_("a"), np.str_("b")],
}


@pytest.mark.parametrize("name", list(CASES))
def test_default_collate_matches_torch(name):
    tc = torch_collate()
    samples = CASES[name]
    assert describe(default_collate(samples)) == describe(tc.default_collate(samples))


def test_tensors_stack_keeping_dtype_and_python_floats_become_float32():
    batch = default_collate([ax.tensor([1, 2]), ax.tensor([3, 4])])
    assert isinstance(batch, ax.Tensor) and batch.dtype == np.int64 and batch.tolist() == [[1, 2], [3, 4]]
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == np.float32 and floats.tolist() == [0.5, 1.5]
    ax.set_default_dtype(ax.float64)
    try:
        assert default_collate([0.5, 1.5]).dtype == np.float64  # the default dtype, whatever it is
    finally:
        ax.set_default_dtype(ax.float32)
    mixed = default_collate([{"x": 1.0}, {"x": 2.0}])
    assert mixed["x"].dtype == np.float32
    tc = pytest.importorskip("torch.utils.data._utils.collate")
    assert str(tc.default_collate([0.5, 1.5]).dtype) == "torch.float64"  # the one stated difference


def test_collate_keeps_mapping_and_sequence_types():
    class Record(dict):
        pass

    out = default_collate([Record(a=1), Record(a=2)])
    assert type(out) is Record and out["a"].tolist() == [1, 2]
    dd = collections.defaultdict(list, {"a": 1})
    assert type(default_collate([dd, dd])) is collections.defaultdict
    assert type(default_collate([(1, 2), (3, 4)])) is list  # tuples become lists, as in torch
    assert isinstance(default_collate([Point(1, 2)] * 2), Point)


@pytest.mark.parametrize("samples", [
    [[1, 2], [3]],                                       # sequences of different lengths
    [np.zeros(2), np.zeros(3)],                          # arrays of different shapes
    [ax.zeros(2), ax.zeros(3)],
    [object(), object()],                                # unsupported element
    [None, None],
    [np.array(["a", "b"]), np.array(["c", "d"])],        # string arrays
    [np.array([object()]), np.array([object()])],        # object arrays
    [1 + 2j, 3j],                                        # Python complex: torch has no rule for it
])
def test_collate_errors_match_torch(samples):
    tc = torch_collate()
    import torch
    theirs_samples = [torch.zeros(2), torch.zeros(3)] if isinstance(samples[0], ax.Tensor) else samples
    with pytest.raises(Exception) as torchs:
        tc.default_collate(theirs_samples)
    with pytest.raises(type(torchs.value)) as mine:
        default_collate(samples)
    assert str(mine.value).startswith("[default_collate]")


def test_stack_error_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"\[default_collate\] stack expects each tensor to be equal size, but got "
                                           r"\(2,\) at entry 0 and \(3,\) at entry 1"):
        default_collate([np.zeros(2), np.zeros(3)])


CONVERT_CASES = {
    "array": np.arange(3),
    "numpy scalar": np.float32(2.5),
    "int": 3,
    "float": 1.5,
    "string": "abc",
    "tuple": (np.zeros(2), 1, "s"),
    "dict": {"a": np.ones(2, np.float32), "b": [np.int64(1), 2]},
    "namedtuple": Point(np.zeros(1), 2),
    "string array": np.array(["a"]),
}


@pytest.mark.parametrize("name", list(CONVERT_CASES))
def test_default_convert_matches_torch(name):
    tc = torch_collate()
    value = CONVERT_CASES[name]
    ours, theirs = default_convert(value), tc.default_convert(value)
    if isinstance(value, np.ndarray) and value.dtype.kind == "U":
        assert ours is value and theirs is value
        return
    assert describe(ours) == describe(theirs)


def test_default_convert_shares_memory():
    a = np.arange(4.0)
    t = default_convert(a)
    assert isinstance(t, ax.Tensor) and np.shares_memory(t.numpy(), a)
    same = ax.ones(2)
    assert default_convert(same) is same
