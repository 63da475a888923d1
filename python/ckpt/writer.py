"""Writing checkpoints TensorFlow reads, and managing a directory of them."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, NamedTuple, Optional

import numpy as np

from . import _ckpt
from ._tensors import from_numpy
from .errors import NotFoundError
from .reader import CheckpointPin, load_checkpoint, pin_checkpoint

__all__ = ["save_checkpoint", "CheckpointManager", "ManagedCheckpoint"]


def _tensor_list(tensors: Mapping[str, Any]) -> list:
    if not isinstance(tensors, Mapping):
        raise TypeError("tensors must be a mapping {name: array}")
    return [from_numpy(str(name), value) for name, value in tensors.items()]


def save_checkpoint(prefix: str, tensors: Mapping[str, Any], sync: bool = True,
                    alignment: int = 1, num_shards: int = 1) -> str:
    """Writes ``{name: array}`` as a V2 checkpoint ``PREFIX.index`` +
    ``PREFIX.data-00000-of-00001`` that ``tf.train.load_checkpoint`` (and a ``tf.train.Saver``
    restoring variables of those names) reads. Any NumPy dtype TF has (bfloat16 and float8
    via ml_dtypes); str/bytes/object arrays become string tensors. Files appear atomically
    (index last); ``sync`` fsyncs them first. ``alignment`` pads so each tensor starts at a
    multiple of it (TF's data_alignment; 64 makes every tensor a zero-copy view for
    :func:`ckpt.safe_open`). ``num_shards`` > 1 writes that many data files
    ``PREFIX.data-K-of-N`` concurrently (tensors balanced by size); 0 picks one per 256 MiB,
    at most one per CPU. Returns ``prefix``."""
    _ckpt.save_bundle(os.fspath(prefix), _tensor_list(tensors), sync, int(alignment),
                      int(num_shards))
    return os.fspath(prefix)


class ManagedCheckpoint(NamedTuple):
    """One checkpoint kept by a CheckpointManager."""
    prefix: str
    step: int
    timestamp: float  # seconds since the epoch
    metrics: Dict[str, float]


def _managed(d: Optional[dict]) -> Optional[ManagedCheckpoint]:
    return None if d is None else ManagedCheckpoint(d["prefix"], d["step"], d["timestamp"],
                                                    dict(d["metrics"]))


class CheckpointManager:
    """A checkpoint directory written the way ``tf.train.CheckpointManager`` does
    (``DIR/<checkpoint_name>-<step>`` plus the ``checkpoint`` state file TF reads), with
    crash-safe saves, keep-best-by-metric retention and async saves.

    ``max_to_keep``: recent checkpoints kept (None: all). ``keep_best`` more are kept by
    ``best_metric`` (``best_mode`` "min" or "max"). ``sync=False`` skips fsync (TF's
    durability). ``num_shards`` as in :func:`save_checkpoint`. One manager per directory (a second one, in any process, raises
    FailedPreconditionError); close it (or use ``with``) to release the lock. Numbering
    continues after a restart (:attr:`last_step`).
    """

    def __init__(self, directory: str, max_to_keep: Optional[int] = 5, keep_best: int = 0,
                 best_metric: Optional[str] = None, best_mode: str = "min",
                 checkpoint_name: str = "model.ckpt",
                 keep_checkpoint_every_n_hours: float = 0, sync: bool = True,
                 num_shards: int = 1):
        if best_mode not in ("min", "max"):
            raise ValueError(f"best_mode must be 'min' or 'max', not {best_mode!r}")
        self._mgr = _ckpt.Manager(os.fspath(directory), max_to_keep, int(keep_best),
                                  best_metric or "", best_mode == "max", checkpoint_name,
                                  float(keep_checkpoint_every_n_hours), sync, int(num_shards))

    def save(self, step: int, tensors: Mapping[str, Any],
             metrics: Optional[Mapping[str, float]] = None) -> str:
        """Saves ``tensors`` as checkpoint ``step`` (with ``metrics`` for keep_best and
        ``ckpt ls``), commits the state file, applies retention. Returns the prefix. First
        raises a pending async-save error, if any."""
        return self._mgr.save(int(step), _tensor_list(tensors), dict(metrics or {}), False)

    def save_async(self, step: int, tensors: Mapping[str, Any],
                   metrics: Optional[Mapping[str, float]] = None) -> None:
        """Copies ``tensors`` (the arrays may be modified as soon as this returns) and saves
        them in the background; waits for a previous async save first. Errors surface from
        the next save/save_async/:meth:`wait`."""
        self._mgr.save(int(step), _tensor_list(tensors), dict(metrics or {}), True)

    def wait(self) -> None:
        """Waits for the in-flight async save; raises its error, if any."""
        self._mgr.wait()

    def restore(self, step: Optional[int] = None) -> Dict[str, np.ndarray]:
        """{name: array} of checkpoint ``step`` (default: the latest). The checkpoint is
        pinned while it is read. NotFoundError when there is none."""
        prefix = self.latest if step is None else self._mgr.prefix_for_step(int(step))
        if prefix is None:
            raise NotFoundError(f"no checkpoint in {self.directory}")
        with load_checkpoint(prefix, pin=True) as reader:
            return {name: reader.get_tensor(name)
                    for name in reader.get_variable_to_shape_map()}

    def pin(self, step: Optional[int] = None) -> CheckpointPin:
        """Pins checkpoint ``step`` (default latest) against retention (a context manager)."""
        prefix = self.latest if step is None else self._mgr.prefix_for_step(int(step))
        if prefix is None:
            raise NotFoundError(f"no checkpoint in {self.directory}")
        return pin_checkpoint(prefix)

    @property
    def directory(self) -> str:
        return self._mgr.directory

    @property
    def latest(self) -> Optional[str]:
        """The latest committed checkpoint prefix (None before the first save)."""
        return self._mgr.latest

    @property
    def latest_checkpoint(self) -> Optional[str]:
        """Alias of :attr:`latest` (tf.train.CheckpointManager's name)."""
        return self._mgr.latest

    @property
    def checkpoints(self) -> List[ManagedCheckpoint]:
        """The kept checkpoints, oldest first."""
        return [_managed(d) for d in self._mgr.checkpoints]

    @property
    def best(self) -> Optional[ManagedCheckpoint]:
        """The best kept checkpoint by ``best_metric`` (None if none has it)."""
        return _managed(self._mgr.best)

    @property
    def last_step(self) -> int:
        """The highest step saved in the directory (-1 when none)."""
        return self._mgr.last_step

    def close(self) -> None:
        """Waits for an async save (raising its error) and releases the directory lock."""
        self._mgr.close()

    def __enter__(self) -> "CheckpointManager":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
