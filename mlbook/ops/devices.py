"""Where tensors live, for :mod:`mlbook.devices` (which readers use)."""

from __future__ import annotations

from .core import Tensor, backend


def backend_name() -> str:
    """The name of the active backend."""
    return backend().NAME


def gpu_count() -> int:
    """How many GPUs the active backend can use."""
    return int(backend().num_gpus())


def placement(x: Tensor) -> tuple[str, int]:
    """``(kind, index)`` of the device ``x`` lives on: ``("cpu", 0)``, ``("gpu", 1)`` ..."""
    b = backend()
    return b.device_of(b.coerce(x))


def move(x: Tensor, kind: str, index: int) -> Tensor:
    """A copy of ``x`` on device ``(kind, index)``."""
    b = backend()
    return b.to_device(b.coerce(x), kind, index)


def move_parameter(p: Tensor, kind: str, index: int) -> Tensor:
    """A new parameter holding the value of parameter ``p``, on device ``(kind, index)``."""
    b = backend()
    return b.parameter_on(b.coerce(p), kind, index)
