"""safetensors-style access to a TensorFlow V2 checkpoint, memory-mapped.

    with ckpt.safe_open("model.ckpt-100", framework="np") as f:
        for k in f.keys():
            w = f.get_tensor(k)            # read-only view of the mapped file (no copy)
        rows = f.get_slice("emb")[10:20]   # a view of those rows

Zero copy: a tensor stored contiguously at an address aligned for its dtype is returned as a
read-only NumPy view straight into the mapped data file (``np.shares_memory`` of two gets of
the same key is True; writing raises ValueError). The view keeps the mapping alive, also
after the file is closed. Otherwise (string tensors, partitioned variables, big-endian files,
or an offset not a multiple of the element size, as TensorFlow writes without padding) the
tensor is read into a new array; :meth:`SafeOpen.is_zero_copy` tells which. Each tensor's
CRC32C is checked on its first access (``verify_checksums=False`` skips it, as safetensors
has none to check).
"""
from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np

from . import _ckpt
from ._tensors import to_numpy
from .errors import FailedPreconditionError, InvalidArgumentError

__all__ = ["safe_open", "SafeOpen", "TensorSlice"]


class TensorSlice:
    """A lazily indexed tensor (safetensors' ``PySafeSlice``): ``s[...]`` or ``s[a:b, :, 3]``
    (basic indexing: views of a zero-copy tensor stay views)."""

    def __init__(self, owner: "SafeOpen", key: str):
        self._owner = owner
        self._key = key

    def get_shape(self) -> List[int]:
        return list(self._owner._handle().entry(self._key)[1])

    def get_dtype(self) -> str:
        """TensorFlow's dtype name ("float32", "bfloat16", "string", ...)."""
        return _ckpt.dtype_name(self._owner._handle().entry(self._key)[0])

    def __getitem__(self, index: Any) -> np.ndarray:
        return self._owner.get_tensor(self._key)[index]


class SafeOpen:
    """An open checkpoint for :func:`safe_open`. Thread safe; a context manager."""

    def __init__(self, path: str, framework: str = "np", device: str = "cpu",
                 verify_checksums: bool = True):
        if framework not in ("np", "numpy"):
            raise InvalidArgumentError(
                f"safe_open: framework {framework!r} is not supported (only \"np\")")
        if device != "cpu":
            raise InvalidArgumentError(f"safe_open: device {device!r} is not supported")
        self._bundle = _ckpt.MappedBundle(path, verify_checksums)

    @property
    def prefix(self) -> str:
        return self._handle().prefix

    def _handle(self) -> "_ckpt.MappedBundle":
        if self._bundle is None:
            raise FailedPreconditionError("safe_open: the checkpoint was closed")
        return self._bundle

    def keys(self) -> List[str]:
        """Tensor names, sorted (slices of partitioned variables appear once, full)."""
        return list(self._handle().keys())

    def metadata(self) -> dict:
        """safetensors' free-form metadata: TF checkpoints carry none ({})."""
        return {}

    def get_tensor(self, name: str) -> np.ndarray:
        """The tensor: a read-only zero-copy view when possible, else a copy (see module
        doc). NotFoundError for an unknown name, DataLossError on a bad checksum."""
        return self._get(name)[0]

    def is_zero_copy(self, name: str) -> bool:
        """True when get_tensor(name) returns a view into the mapped file."""
        return self._get(name)[1]

    def get_slice(self, name: str) -> TensorSlice:
        self._handle().entry(name)  # NotFoundError now, not at indexing
        return TensorSlice(self, name)

    def _get(self, name: str) -> Tuple[np.ndarray, bool]:
        dtype, shape, data, zero_copy = self._handle().view(name)
        return to_numpy(dtype, shape, data), zero_copy

    def __enter__(self) -> "SafeOpen":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Drops this handle; views already returned keep the mapping alive."""
        self._bundle = None


def safe_open(path: str, framework: str = "np", device: str = "cpu",
              verify_checksums: bool = True) -> SafeOpen:
    """Opens a V2 checkpoint (PATH as in :func:`ckpt.load_checkpoint`) memory-mapped."""
    return SafeOpen(path, framework=framework, device=device, verify_checksums=verify_checksums)
