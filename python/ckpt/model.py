"""Running a TF1 model (a checkpoint with its ``.meta``, or a SavedModel) on NumPy arrays."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np

from . import _ckpt
from ._tensors import from_numpy, numpy_dtype, to_numpy

__all__ = ["load_model", "Model", "Signature", "TensorSpec"]


class TensorSpec(NamedTuple):
    """One input or output of a signature."""
    name: str                          # the graph tensor, "x:0"
    dtype: np.dtype
    shape: Optional[List[Optional[int]]]  # None: unknown rank; None dims: unknown


def _specs(d: dict) -> Dict[str, TensorSpec]:
    return {k: TensorSpec(name, numpy_dtype(dtype), shape) for k, (name, dtype, shape) in d.items()}


class Signature:
    """A SignatureDef: call it with its inputs by key, get ``{output key: array}``."""

    def __init__(self, model: "_ckpt.Model", key: str, method_name: str, inputs: dict,
                 outputs: dict):
        self._model = model
        self.key = key
        self.method_name = method_name
        self.inputs: Dict[str, TensorSpec] = _specs(inputs)
        self.outputs: Dict[str, TensorSpec] = _specs(outputs)

    def __call__(self, **inputs: Any) -> Dict[str, np.ndarray]:
        fed = []
        for key, value in inputs.items():
            spec = self.inputs.get(key)
            if spec is not None and spec.dtype != np.dtype(object):
                value = np.asarray(value, dtype=spec.dtype)
            fed.append(from_numpy(key, value))
        out = self._model.run_signature(self.key, fed)
        return {k: to_numpy(*v) for k, v in out.items()}

    def __repr__(self) -> str:
        return (f"Signature({self.key!r}, inputs={list(self.inputs)}, "
                f"outputs={list(self.outputs)})")


class Model:
    """A loaded model (see :func:`load_model`). ``run`` may be called from several threads
    (steps are serialized; the GIL is released while they run)."""

    def __init__(self, path: str, tags: Sequence[str] = ("serve",), restore: bool = True,
                 allow_io: Sequence[str] = (), allow_all_io: bool = False):
        self._model = _ckpt.Model(os.fspath(path), list(tags), restore,
                                  [os.fspath(d) for d in allow_io], allow_all_io)
        self._feed_dtypes: Dict[str, np.dtype] = {}
        self.signatures: Dict[str, Signature] = {
            key: Signature(self._model, key, method, inputs, outputs)
            for key, (method, inputs, outputs) in self._model.signatures().items()}

    @property
    def kind(self) -> str:
        """"saved_model", "checkpoint" or "meta"."""
        return self._model.kind

    @property
    def checkpoint_prefix(self) -> str:
        """The checkpoint restored ("" when none)."""
        return self._model.checkpoint_prefix

    @property
    def tags(self) -> List[str]:
        return self._model.tags

    def resolve(self, name: str) -> str:
        """The tensor a feed/fetch name means: "x:0", a node ("Round" -> "Round:0") or a
        collection ("predict_op" -> its first value)."""
        return self._model.resolve(name)

    def run(self, feeds: Optional[Mapping[str, Any]] = None,
            fetches: Union[str, Sequence[str], None] = None,
            targets: Sequence[str] = (), *, timeout_ms: Optional[int] = None,
            memory_limit_bytes: Optional[int] = None) -> Union[np.ndarray, List[np.ndarray], None]:
        """Feeds ``{name: array}`` and returns the fetched arrays (``Session.run``): one array
        for a single fetch name, a list for a list. Names as :meth:`resolve` takes them; fed
        values are converted to the placeholder's dtype when they are plain Python/NumPy
        numbers. ``targets`` are nodes run for their effects. ``timeout_ms`` stops the run with
        DeadlineExceededError, checked before each op and at each loop iteration;
        ``memory_limit_bytes`` bounds the bytes of tensors the run's ops hold at once
        (ResourceExhaustedError naming the op, before allocating). Errors: NotFoundError for an
        unknown name, InvalidArgumentError for a bad feed (the message names the node)."""
        fed = []
        for name, value in (feeds or {}).items():
            arr = np.asarray(value)
            fed.append(from_numpy(name, self._coerce(name, arr)))
        single = isinstance(fetches, str)
        fetch_list = [fetches] if single else list(fetches or [])
        out = [to_numpy(*t) for t in self._model.run(fed, fetch_list, list(targets),
                                                      timeout_ms or 0, memory_limit_bytes or 0)]
        if single:
            return out[0]
        return out if fetches is not None else None

    def _coerce(self, name: str, arr: np.ndarray) -> np.ndarray:
        # TF's session converts a fed Python/NumPy number to the placeholder's dtype
        # (2.4 -> float32); do the same for numeric feeds.
        if arr.dtype.kind not in "biuf":
            return arr
        want = self._feed_dtypes.get(name)
        if want is None:
            want = numpy_dtype(self._model.output_dtype(name))
            self._feed_dtypes[name] = want
        return arr.astype(want) if want.kind in "biuf" and arr.dtype != want else arr


def load_model(path: str, tags: Sequence[str] = ("serve",), restore: bool = True, *,
               allow_io: Sequence[str] = (), allow_all_io: bool = False) -> Model:
    """Loads a model to run: a SavedModel directory (the meta graph with ``tags``, variables
    restored, init op run), a checkpoint directory (its latest checkpoint's ``.meta``), a
    checkpoint prefix with ``PREFIX.meta``, or a ``.meta`` file. UnimplementedError lists
    the ops this runtime cannot run; NotFoundError when PATH is none of these.

    The model is treated as untrusted: its graph's file ops (RestoreV2, SaveV2, ReadFile, ...)
    may read only inside its own directory and write nowhere (PermissionDeniedError naming
    the op and path); ``allow_io`` lists directories they may also read and write, and
    ``allow_all_io=True`` trusts the model."""
    return Model(path, tags=tags, restore=restore, allow_io=allow_io, allow_all_io=allow_all_io)
