"""Converting between TF checkpoints, safetensors and NumPy .npz (``ckpt convert``)."""
from __future__ import annotations

import os
from typing import Iterable, NamedTuple, Optional, Tuple, Union

from . import _ckpt

__all__ = ["convert", "ConvertResult"]

_FORMATS = ("tf", "safetensors", "npz")


class ConvertResult(NamedTuple):
    tensors: int  # tensors written
    bytes: int    # tensor bytes written (strings by content)


def convert(input: Union[str, os.PathLike], output: Union[str, os.PathLike], *,
            input_format: Optional[str] = None, output_format: Optional[str] = None,
            only: Optional[str] = None,
            rename: Iterable[Tuple[str, str]] = ()) -> ConvertResult:
    """Converts ``input`` to ``output`` as ``ckpt convert`` does.

    Formats come from the paths (``*.safetensors``, ``*.npz``, else a TF checkpoint prefix,
    a checkpoint directory or a SavedModel on input) unless ``input_format`` /
    ``output_format`` name one of ``"tf"``, ``"safetensors"``, ``"npz"``. ``only`` keeps the
    tensors whose name contains a match of that regex; each ``(pattern, replacement)`` of
    ``rename`` replaces every match (``$1`` for groups), in order. Partitioned TF variables
    become full tensors; bytes are copied exactly; a dtype the output cannot hold raises
    ``ckpt.InvalidArgumentError`` naming the tensor, before anything is written. The output
    appears atomically (nothing is left at ``output`` on error). Needs no TensorFlow.
    """
    for name, value in (("input_format", input_format), ("output_format", output_format)):
        if value is not None and value not in _FORMATS:
            raise ValueError(f"{name} must be one of {', '.join(_FORMATS)}, not {value!r}")
    rules = []
    for rule in rename:
        if isinstance(rule, str) or len(rule) != 2:
            raise TypeError("rename takes (pattern, replacement) pairs")
        rules.append((str(rule[0]), str(rule[1])))
    tensors, nbytes = _ckpt.convert(os.fspath(input), os.fspath(output), input_format or "",
                                    output_format or "", only or "", rules)
    return ConvertResult(tensors, nbytes)
