"""ckpt: TensorFlow checkpoints and SavedModels from Python, without TensorFlow.

Reading (TensorFlow's names)::

    reader = ckpt.load_checkpoint("train_dir")          # prefix, directory or SavedModel
    reader.get_variable_to_shape_map(); reader.get_tensor("dense/kernel")
    ckpt.list_variables(path); ckpt.load_variable(path, name); ckpt.latest_checkpoint(dir)

Zero-copy, safetensors-style::

    with ckpt.safe_open(path, framework="np") as f:
        w = f.get_tensor("dense/kernel")               # read-only view of the mapped file

Writing and managing::

    ckpt.save_checkpoint("/tmp/model", {"w": w})       # TensorFlow reads it
    with ckpt.CheckpointManager("/tmp/run", max_to_keep=3) as mgr:
        mgr.save(step, {"w": w}, metrics={"loss": 0.1}); mgr.restore()

Converting (TF checkpoints, safetensors, .npz)::

    ckpt.convert("train_dir", "model.safetensors", rename=[("^dense/(.*)", "layer.$1")])

Deploying::

    m = ckpt.load_model("saved_model_dir"); m.signatures["serving_default"](x=x)
    m.run({"input:0": x}, "predict_op")

Errors are ckpt.Error subclasses named as tf.errors (NotFoundError, DataLossError, ...).
"""
import os as _os
import sys as _sys

# The compiled core is loaded with RTLD_DEEPBIND: its symbols and its own libprotobuf come
# before the process's global scope. TensorFlow, when imported first, puts its own protobuf
# runtime and the same tensorflow:: proto classes (other versions) in that scope, and the
# core's calls then bound to them: reads returned garbage ("invalid num_shards") or crashed.
# (Not under a sanitizer runtime preloaded with LD_PRELOAD, which refuses RTLD_DEEPBIND.)
_flags = _sys.getdlopenflags()
if hasattr(_os, "RTLD_DEEPBIND") and "san" not in _os.environ.get("LD_PRELOAD", ""):
    _sys.setdlopenflags(_flags | _os.RTLD_DEEPBIND)
try:
    from . import _ckpt  # noqa: F401  (the compiled core)
finally:
    _sys.setdlopenflags(_flags)
from .convert import ConvertResult, convert
from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors_all
from .model import Model, Signature, TensorSpec, load_model
from .reader import (CheckpointPin, CheckpointReader, checkpoints_iterator, latest_checkpoint,
                     list_variables, load_checkpoint, load_variable, pin_checkpoint)
from .safe_open import SafeOpen, TensorSlice, safe_open
from .writer import CheckpointManager, ManagedCheckpoint, save_checkpoint

__version__ = "0.1.0"

__all__ = [
    "load_checkpoint", "CheckpointReader", "list_variables", "load_variable",
    "latest_checkpoint", "checkpoints_iterator", "pin_checkpoint", "CheckpointPin",
    "safe_open", "SafeOpen", "TensorSlice",
    "save_checkpoint", "CheckpointManager", "ManagedCheckpoint",
    "load_model", "Model", "Signature", "TensorSpec",
    "convert", "ConvertResult",
    *_errors_all,
]
