"""A safetensors checkpoint whose header length starts with pickle's protocol bytes still loads.

The header length is the file's first 8 bytes (little-endian); 896 = 0x0380 starts with 0x80 0x03, which the
pickle detector in io.load once took for a protocol-3 pickle: fashion_mlp()'s state_dict has such a header,
so saving and loading that model failed. Pickles are still refused."""
import pickle

import numpy as np
import pytest

import axonal as ax


@pytest.mark.parametrize("header_len", [0x280, 0x380, 0x480, 0x580])
def test_header_length_that_looks_like_a_pickle_opcode(tmp_path, header_len):
    # Lengthen one name until safetensors' header (JSON, padded to 8 bytes) has exactly this length. The header
    # grows by a few bytes per character (the name is in it more than once): start from the measured slope.
    path = tmp_path / "ckpt.safetensors"

    def header_length(pad):
        ax.save({"w" + "x" * pad: ax.ones(3)}, path)
        return int.from_bytes(path.read_bytes()[:8], "little")

    base = header_length(0)
    slope = (header_length(64) - base) / 64
    estimate = max(0, int((header_len - base) / slope) - 8)
    for pad in range(estimate, estimate + 64):
        n = header_length(pad)
        if n >= header_len:
            break
    assert n == header_len  # the header grows by less than its 8-byte padding per character: every size is hit
    assert path.read_bytes()[0] == 0x80
    loaded = ax.load(path)
    np.testing.assert_array_equal(next(iter(loaded.values())).numpy(), np.ones(3, np.float32))


def test_fashion_mlp_round_trip(tmp_path):
    from axonal.models import fashion_mlp

    model = fashion_mlp()
    ax.save(model.state_dict(), tmp_path / "mlp.safetensors")
    fresh = fashion_mlp()
    fresh.load_state_dict(ax.load(tmp_path / "mlp.safetensors"))
    for (name, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickles_still_refused(tmp_path, protocol):
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=protocol))
    with pytest.raises(ValueError, match="pickle"):
        ax.load(path)
