"""Devices: the CPU and GPUs, named the same way on every backend.

``mb.try_gpu()`` returns the first GPU when the active backend sees one and the CPU otherwise, so
code written for a GPU runs on a laptop unchanged.  ``mb.to_device(x, device)`` copies a tensor.
The numpy backend has only the CPU.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .ops import devices as _ops_devices

__all__ = ["Device", "cpu", "gpu", "num_gpus", "try_gpu", "try_all_gpus", "device_of",
           "to_device", "check_device"]


@dataclasses.dataclass(frozen=True)
class Device:
    """A device: ``Device("cpu")`` or ``Device("gpu", 0)``; prints as ``cpu`` / ``gpu:0``."""

    kind: str
    index: int = 0

    def __repr__(self) -> str:
        return "cpu" if self.kind == "cpu" else f"{self.kind}:{self.index}"


def cpu() -> Device:
    """The CPU."""
    return Device("cpu")


def gpu(i: int = 0) -> Device:
    """GPU number ``i`` (it may not exist: see :func:`try_gpu`)."""
    return Device("gpu", i)


def num_gpus() -> int:
    """How many GPUs the active backend can use."""
    return _ops_devices.gpu_count()


def try_gpu(i: int = 0) -> Device:
    """GPU ``i`` if it exists, else the CPU."""
    return gpu(i) if num_gpus() > i else cpu()


def try_all_gpus() -> list[Device]:
    """All GPUs, or ``[cpu()]`` when there is none."""
    n = num_gpus()
    return [gpu(i) for i in range(n)] if n else [cpu()]


def device_of(x: Any) -> Device:
    """The device a tensor lives on."""
    kind, index = _ops_devices.placement(x)
    return Device(kind, index)


def check_device(device: Device) -> Device:
    """``device`` itself if the active backend has it; a ValueError naming the fix otherwise."""
    if not isinstance(device, Device):
        raise TypeError(f"expected a device such as mb.cpu() or mb.gpu(0), got {device!r}")
    if device.kind == "gpu" and device.index >= num_gpus():
        raise ValueError(f"{device!r} does not exist: the {_ops_devices.backend_name()} backend "
                         f"sees {num_gpus()} "
                         "GPU(s); use mlbook.try_gpu() to fall back to the CPU")
    return device


def to_device(x: Any, device: Device) -> Any:
    """A copy of ``x`` on ``device`` (``x`` itself when it is already there)."""
    check_device(device)
    if device_of(x) == device:
        return x
    return _ops_devices.move(x, device.kind, device.index)
