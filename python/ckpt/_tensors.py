"""NumPy <-> ckpt tensors: the dtype table and the conversions the other modules share."""
from __future__ import annotations

from typing import Any, Tuple

import sys

import ml_dtypes
import numpy as np

from .errors import InvalidArgumentError, UnimplementedError

STRING = 7  # DT_STRING
_LITTLE = sys.byteorder == "little"

# TensorFlow DataType enum -> NumPy dtype (TF's own `as_numpy_dtype`: quantized types are
# structured dtypes, bfloat16/float8/int4 come from ml_dtypes).
_ENUM_TO_NUMPY = {
    1: np.dtype(np.float32), 2: np.dtype(np.float64), 3: np.dtype(np.int32),
    4: np.dtype(np.uint8), 5: np.dtype(np.int16), 6: np.dtype(np.int8),
    7: np.dtype(object), 8: np.dtype(np.complex64), 9: np.dtype(np.int64),
    10: np.dtype(np.bool_),
    11: np.dtype([("qint8", np.int8)]), 12: np.dtype([("quint8", np.uint8)]),
    13: np.dtype([("qint32", np.int32)]), 14: np.dtype(ml_dtypes.bfloat16),
    15: np.dtype([("qint16", np.int16)]), 16: np.dtype([("quint16", np.uint16)]),
    17: np.dtype(np.uint16), 18: np.dtype(np.complex128), 19: np.dtype(np.float16),
    22: np.dtype(np.uint32), 23: np.dtype(np.uint64),
    24: np.dtype(ml_dtypes.float8_e5m2), 25: np.dtype(ml_dtypes.float8_e4m3fn),
    26: np.dtype(ml_dtypes.float8_e4m3fnuz), 27: np.dtype(ml_dtypes.float8_e4m3b11fnuz),
    28: np.dtype(ml_dtypes.float8_e5m2fnuz), 29: np.dtype(ml_dtypes.int4),
    30: np.dtype(ml_dtypes.uint4),
}
for _enum, _name in ((31, "int2"), (32, "uint2"), (33, "float4_e2m1fn")):
    if hasattr(ml_dtypes, _name):  # ml_dtypes >= 0.5
        _ENUM_TO_NUMPY[_enum] = np.dtype(getattr(ml_dtypes, _name))
_NUMPY_TO_ENUM = {dt: e for e, dt in _ENUM_TO_NUMPY.items() if e != STRING}


def numpy_dtype(enum: int) -> np.dtype:
    """The NumPy dtype of a TensorFlow DataType enum value."""
    try:
        return _ENUM_TO_NUMPY[enum]
    except KeyError:
        raise UnimplementedError(
            f"dtype {_dtype_name(enum)} has no NumPy equivalent") from None


def _dtype_name(enum: int) -> str:
    from . import _ckpt
    return _ckpt.dtype_name(enum)


def to_numpy(dtype: int, shape, data) -> np.ndarray:
    """An array over what the extension returned: `data` is a flat uint8 array owning (or
    keeping alive) the bytes, which is reinterpreted without a copy; or a list of bytes."""
    if dtype == STRING:
        out = np.empty(len(data), dtype=object)
        out[:] = data
        return out.reshape(shape)
    return data.view(numpy_dtype(dtype)).reshape(shape)


def from_numpy(name: str, value: Any) -> Tuple[str, int, list, Any]:
    """(name, dtype enum, shape, data) for the extension. POD data is a flat uint8 view of a
    C-contiguous array (no copy when `value` already is one); the caller keeps it alive while
    the extension uses it. str/bytes/object arrays become DT_STRING (str encoded as UTF-8)."""
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind in "SU":
        flat = arr.reshape(-1)
        values = []
        for v in flat:
            if isinstance(v, (bytes, np.bytes_)):
                values.append(bytes(v))
            elif isinstance(v, str):
                values.append(v.encode("utf-8"))
            else:
                raise InvalidArgumentError(
                    f"tensor {name!r}: string tensors hold bytes or str, got "
                    f"{type(v).__name__}")
        return name, STRING, list(arr.shape), values
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and not _LITTLE):
        arr = arr.astype(arr.dtype.newbyteorder("<"))  # checkpoints are little-endian
    enum = _NUMPY_TO_ENUM.get(arr.dtype.newbyteorder("=") if arr.dtype.byteorder == "<"
                              else arr.dtype)
    if enum is None:
        raise InvalidArgumentError(
            f"tensor {name!r}: NumPy dtype {arr.dtype} has no TensorFlow equivalent")
    shape = list(arr.shape)  # before ascontiguousarray, which makes a scalar 1-D
    return name, enum, shape, np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
