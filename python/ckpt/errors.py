"""Exceptions raised by ckpt: one class per Status code, named as TensorFlow's ``tf.errors``.

Every error is a subclass of :class:`ckpt.Error`; ``str(e)`` and ``e.message`` are the C++
Status message (it names the file, key or node and what was expected), ``e.error_code`` the
canonical code (the same numbers as ``tf.errors``).
"""
from __future__ import annotations

from . import _ckpt

__all__ = [
    "Error", "CancelledError", "UnknownError", "InvalidArgumentError", "DeadlineExceededError",
    "NotFoundError", "AlreadyExistsError", "PermissionDeniedError", "ResourceExhaustedError",
    "FailedPreconditionError", "AbortedError", "OutOfRangeError", "UnimplementedError",
    "InternalError", "UnavailableError", "DataLossError", "UnauthenticatedError",
]


class Error(Exception):
    """Base class of every ckpt error (tf.errors.OpError's counterpart)."""

    error_code: int = 2  # UNKNOWN

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CancelledError(Error):
    """The operation was cancelled."""
    error_code = 1


class UnknownError(Error):
    """An error without a more specific code."""
    error_code = 2


class InvalidArgumentError(Error):
    """An argument (a dtype, shape, name, option) is not acceptable."""
    error_code = 3


class DeadlineExceededError(Error):
    """A deadline expired."""
    error_code = 4


class NotFoundError(Error):
    """A file, checkpoint, tensor, node or signature does not exist."""
    error_code = 5


class AlreadyExistsError(Error):
    """What was to be created already exists."""
    error_code = 6


class PermissionDeniedError(Error):
    """The operating system refused access."""
    error_code = 7


class ResourceExhaustedError(Error):
    """Out of memory or another resource (e.g. a tensor too large to allocate)."""
    error_code = 8


class FailedPreconditionError(Error):
    """The system is not in a state that allows the operation (e.g. a locked directory)."""
    error_code = 9


class AbortedError(Error):
    """The operation was aborted."""
    error_code = 10


class OutOfRangeError(Error):
    """A value or position is out of range."""
    error_code = 11


class UnimplementedError(Error):
    """Not supported (e.g. an op this runtime cannot run)."""
    error_code = 12


class InternalError(Error):
    """An internal invariant broke."""
    error_code = 13


class UnavailableError(Error):
    """A resource is temporarily unavailable."""
    error_code = 14


class DataLossError(Error):
    """A file is corrupt or truncated (bad checksum, bad extent)."""
    error_code = 15


class UnauthenticatedError(Error):
    """Missing credentials."""
    error_code = 16


_ckpt._register_error_classes({cls.error_code: cls for cls in (
    CancelledError, UnknownError, InvalidArgumentError, DeadlineExceededError, NotFoundError,
    AlreadyExistsError, PermissionDeniedError, ResourceExhaustedError, FailedPreconditionError,
    AbortedError, OutOfRangeError, UnimplementedError, InternalError, UnavailableError,
    DataLossError, UnauthenticatedError)})
