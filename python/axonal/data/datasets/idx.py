"""The IDX file format (LeCun's MNIST format), read and written with full validation.

Layout: a 4-byte magic number ``00 00 <type code> <ndim>``, then ``ndim`` big-endian uint32 sizes, then
the values, big-endian, C order. Files may be gzip-compressed (detected by content, not by name).
Every problem is reported as ``IDXError`` (a ValueError) whose message starts with ``[<op>] <path>:``.
"""
import gzip
import io
import os
import struct
import zlib

import numpy as np

# type code → big-endian dtype
_CODES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


class IDXError(ValueError):
    """A file that is not a complete, well-formed IDX file."""


def _read_exact(f, n):
    """Up to n bytes (fewer only at end of file), read in chunks so a lying header costs no memory."""
    buf = bytearray()
    while len(buf) < n:
        chunk = f.read(min(_CHUNK, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def _parse(f, where):
    magic = bytes(_read_exact(f, 4))
    if len(magic) < 4:
        raise IDXError(f"{where}: file too short for an IDX header ({len(magic)} bytes)")
    if magic[:2] != b"\x00\x00" or magic[2] not in _CODES:
        raise IDXError(f"{where}: bad magic number 0x{magic.hex()} (expected 0x0000<type><ndim> with type one of "
                       f"{', '.join(f'0x{c:02x}' for c in _CODES)}); not an IDX file")
    dtype, ndim = _CODES[magic[2]], magic[3]
    if ndim == 0:
        raise IDXError(f"{where}: IDX header declares 0 dimensions")
    raw_dims = bytes(_read_exact(f, 4 * ndim))
    if len(raw_dims) < 4 * ndim:
        raise IDXError(f"{where}: truncated header: {ndim} dimensions declared but only {len(raw_dims)} of "
                       f"{4 * ndim} size bytes present")
    shape = struct.unpack(f">{ndim}I", raw_dims)
    expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
    # one byte more than needed tells trailing garbage apart from a complete file (and, for gzip,
    # reading to the end makes the module check the stream's CRC and length)
    data = _read_exact(f, expected + 1)
    if len(data) < expected:
        raise IDXError(f"{where}: truncated data: shape {shape} of {dtype.newbyteorder('=')} needs {expected} bytes, "
                       f"found {len(data)}")
    if len(data) > expected:
        raise IDXError(f"{where}: unexpected bytes after the {expected} bytes of data for shape {shape}")
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    return array if dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def read_idx(path, op="read_idx"):
    """The array stored in an IDX file (plain or gzip), in native byte order and writable."""
    where = f"[{op}] {os.fspath(path)}"
    try:
        with open(path, "rb") as raw:
            compressed = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            if not compressed:
                return _parse(raw, where)
            with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                return _parse(f, where)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise IDXError(f"{where}: corrupt or truncated gzip stream ({e})") from None


def write_idx(path, array, compresslevel=9):
    """Writes ``array`` as IDX; gzip-compressed when ``path`` ends in .gz (reproducibly: no name, mtime 0)."""
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in _CODES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"[write_idx] dtype {array.dtype} has no IDX type code (supported: "
                        f"{', '.join(str(d) for d in codes)})")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"[write_idx] IDX stores 1 to 255 dimensions, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=_CODES[code]).tobytes()
    path = os.fspath(path)
    if path.endswith(".gz"):
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=compresslevel) as f:
            f.write(payload)
        payload = buf.getvalue()
    with open(path, "wb") as f:
        f.write(payload)
