"""Reading checkpoints: TensorFlow's ``tf.train`` reader functions without TensorFlow.

PATH is what the ``ckpt`` CLI takes: a checkpoint prefix (``dir/model.ckpt-100``; a trailing
``.index`` is dropped), a checkpoint directory (its latest checkpoint, from its ``checkpoint``
state file) or a SavedModel directory (its ``variables/variables``). V2 (bundle) and V1
(TensorSlice) checkpoints are read; partitioned variables come back as full tensors.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np

from . import _ckpt
from ._tensors import numpy_dtype, to_numpy

__all__ = ["CheckpointReader", "load_checkpoint", "list_variables", "load_variable",
           "latest_checkpoint", "checkpoints_iterator", "CheckpointPin", "pin_checkpoint"]


class CheckpointPin:
    """A lease on a checkpoint: while held, no CheckpointManager (in any process) deletes it.

    Use as a context manager, or call :meth:`release`. Pins are lock files
    ``PREFIX.pin.<unique>``; a pin whose process died is ignored and cleaned up.
    """

    def __init__(self, handle: "_ckpt.Pin"):
        self._pin = handle

    @property
    def prefix(self) -> Optional[str]:
        """The pinned prefix (None once released)."""
        return self._pin.prefix

    def release(self) -> None:
        """Releases the pin (idempotent)."""
        self._pin.release()

    def __enter__(self) -> "CheckpointPin":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def pin_checkpoint(prefix: str) -> CheckpointPin:
    """Pins checkpoint ``prefix`` (then checks that its files exist: NotFoundError if not)."""
    return CheckpointPin(_ckpt.Pin(prefix))


class CheckpointReader:
    """A checkpoint opened for reading (``tf.train.load_checkpoint``'s reader).

    Thread safety: methods may be called from several threads; reads release the GIL.
    Use :func:`load_checkpoint` to create one. As a context manager, leaving the block
    releases the pin taken with ``pin=True``.
    """

    def __init__(self, path: str, pin: bool = False):
        prefix = _ckpt.resolve_checkpoint_path(path)
        # Pin first, so a trainer's retention cannot delete the files between open and read.
        self._pin = pin_checkpoint(prefix) if pin else None
        self._reader = _ckpt.Reader(prefix)
        self._variables = self._reader.variables()

    @property
    def prefix(self) -> str:
        """The checkpoint prefix PATH resolved to."""
        return self._reader.prefix

    @property
    def format(self) -> str:
        """"V2" (bundle) or "V1" (TensorSlice tables)."""
        return self._reader.format

    def get_tensor(self, tensor_str: str) -> Any:
        """The tensor's value as a new (writable) NumPy array; as TF's reader, a scalar
        comes back as a NumPy scalar (``bytes`` for a string). Strings are object arrays of
        bytes; bfloat16/float8/int4 use ml_dtypes. Checksums are verified.
        Raises NotFoundError for an unknown name, DataLossError for corrupt data."""
        value = to_numpy(*self._reader.lookup(tensor_str))
        return value[()] if value.ndim == 0 else value

    def has_tensor(self, tensor_str: str) -> bool:
        """True when the checkpoint holds a tensor of this name."""
        return self._reader.contains(tensor_str)

    def get_variable_to_shape_map(self) -> Dict[str, List[int]]:
        """{name: shape as a list of ints} (partitioned variables: the full shape)."""
        return {name: list(shape) for name, _, shape in self._variables}

    def get_variable_to_dtype_map(self) -> Dict[str, np.dtype]:
        """{name: NumPy dtype} (TF returns tf.DType; these are their ``as_numpy_dtype``)."""
        return {name: numpy_dtype(dtype) for name, dtype, _ in self._variables}

    def verify(self) -> None:
        """Checks every checksum; DataLossError naming the file and key on the first problem."""
        self._reader.verify()

    def debug_string(self) -> bytes:
        """One line per tensor: ``name (dtype) [dims]``, as TF's reader prints."""
        lines = [f"{name} ({_ckpt.dtype_name(dtype)}) {list(shape)}"
                 for name, dtype, shape in self._variables]
        return ("\n".join(lines) + "\n").encode() if lines else b""

    def close(self) -> None:
        """Releases the pin, if any."""
        if self._pin is not None:
            self._pin.release()

    def __enter__(self) -> "CheckpointReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def load_checkpoint(ckpt_dir_or_file: str, pin: bool = False) -> CheckpointReader:
    """Opens a checkpoint (``tf.train.load_checkpoint``). ``pin=True`` keeps a
    CheckpointManager from deleting it until the reader is closed.
    Raises NotFoundError when PATH holds no checkpoint."""
    return CheckpointReader(ckpt_dir_or_file, pin=pin)


def list_variables(ckpt_dir_or_file: str) -> List[Tuple[str, List[int]]]:
    """[(name, shape)] sorted by name (``tf.train.list_variables``)."""
    reader = load_checkpoint(ckpt_dir_or_file)
    return sorted(reader.get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file: str, name: str) -> Any:
    """One tensor's value (``tf.train.load_variable``; a ``:0`` suffix is ignored)."""
    if name.endswith(":0"):
        name = name[:-2]
    return load_checkpoint(ckpt_dir_or_file).get_tensor(name)


def latest_checkpoint(checkpoint_dir: str, latest_filename: Optional[str] = None
                      ) -> Optional[str]:
    """The prefix the directory's state file names as latest, when its files exist; None
    otherwise (``tf.train.latest_checkpoint``). DataLossError for a corrupt state file."""
    return _ckpt.latest_checkpoint(checkpoint_dir, latest_filename or "checkpoint")


def checkpoints_iterator(checkpoint_dir: str, min_interval_secs: float = 0,
                         timeout: Optional[float] = None,
                         timeout_fn: Optional[Callable[[], bool]] = None,
                         poll_interval_secs: float = 1.0, pin: bool = True
                         ) -> Iterator[str]:
    """Yields each new latest checkpoint prefix of ``checkpoint_dir`` as it appears
    (``tf.train.checkpoints_iterator``): waits at most ``timeout`` seconds for the next one
    (forever when None); on timeout stops, unless ``timeout_fn`` is given and returns False
    (then it keeps waiting). With ``pin`` (default), the yielded checkpoint is pinned until
    the next one is requested, so retention cannot delete it while it is evaluated."""
    it = _ckpt.Iterator(checkpoint_dir, float(min_interval_secs),
                        None if timeout is None else float(timeout),
                        float(poll_interval_secs), pin)
    while True:
        item = it.next()
        if item is None:
            if timeout_fn is not None and not timeout_fn():
                continue
            return
        prefix, _step, handle = item
        try:
            yield prefix
        finally:
            if handle is not None:
                handle.release()
