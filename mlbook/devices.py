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
    """A device: ``Device("cpu")`` or ``Device("gpu", 0)``; prints as ``cpu`` / ``gpu:0``.

    >>> mb.Device("gpu", 1)
    gpu:1
    >>> d = mb.Device("cpu")
    >>> d, d.kind, d.index, d == mb.cpu()
    (cpu, 'cpu', 0, True)
    """

    kind: str
    index: int = 0

    def __repr__(self) -> str:
        return "cpu" if self.kind == "cpu" else f"{self.kind}:{self.index}"


def cpu() -> Device:
    """The CPU.

    >>> mb.cpu()
    cpu
    >>> mb.device_of(mb.to_device(mb.arange(3), mb.cpu()))
    cpu
    """
    return Device("cpu")


def gpu(i: int = 0) -> Device:
    """GPU number ``i`` (it may not exist: see :func:`try_gpu`).

    >>> mb.gpu(), mb.gpu(1)
    (gpu:0, gpu:1)
    >>> mb.gpu(1) == mb.Device("gpu", 1)
    True
    """
    return Device("gpu", i)


def num_gpus() -> int:
    """How many GPUs the active backend can use.

    >>> len(mb.try_all_gpus()) == max(mb.num_gpus(), 1)
    True
    >>> _ = mb.set_backend("numpy")         # numpy has only the CPU
    >>> mb.num_gpus()
    0
    """
    return _ops_devices.gpu_count()


def try_gpu(i: int = 0) -> Device:
    """GPU ``i`` if it exists, else the CPU.

    >>> mb.try_gpu(99)                      # no GPU 99 here: the CPU
    cpu
    >>> _ = mb.set_backend("numpy")         # numpy has only the CPU
    >>> mb.try_gpu()
    cpu
    """
    return gpu(i) if num_gpus() > i else cpu()


def try_all_gpus() -> list[Device]:
    """All GPUs, or ``[cpu()]`` when there is none.

    >>> _ = mb.set_backend("numpy")         # numpy has only the CPU
    >>> mb.try_all_gpus()
    [cpu]
    """
    n = num_gpus()
    return [gpu(i) for i in range(n)] if n else [cpu()]


def device_of(x: Any) -> Device:
    """The device a tensor lives on.

    >>> x = mb.to_device(mb.arange(3), mb.cpu())
    >>> mb.device_of(x)
    cpu
    >>> mb.device_of(x) == mb.cpu()
    True
    """
    kind, index = _ops_devices.placement(x)
    return Device(kind, index)


def check_device(device: Device) -> Device:
    """``device`` itself if the active backend has it; a ValueError naming the fix otherwise.

    >>> mb.check_device(mb.cpu())
    cpu
    >>> _ = mb.set_backend("numpy")         # numpy has only the CPU
    >>> mb.check_device(mb.gpu(0))
    Traceback (most recent call last):
    ValueError: gpu:0 does not exist: the numpy backend sees 0 GPU(s); use mlbook.try_gpu() to fall back to the CPU
    """
    if not isinstance(device, Device):
        raise TypeError(f"expected a device such as mb.cpu() or mb.gpu(0), got {device!r}")
    if device.kind == "gpu" and device.index >= num_gpus():
        raise ValueError(f"{device!r} does not exist: the {_ops_devices.backend_name()} backend "
                         f"sees {num_gpus()} "
                         "GPU(s); use mlbook.try_gpu() to fall back to the CPU")
    return device


def to_device(x: Any, device: Device) -> Any:
    """A copy of ``x`` on ``device`` (``x`` itself when it is already there).

    >>> x = mb.to_device(mb.arange(3), mb.try_gpu())    # the first GPU, or the CPU
    >>> mb.device_of(x) == mb.try_gpu()
    True
    >>> y = mb.to_device(x, mb.cpu())
    >>> mb.device_of(y), mb.to_device(y, mb.cpu()) is y
    (cpu, True)
    """
    check_device(device)
    if device_of(x) == device:
        return x
    return _ops_devices.move(x, device.kind, device.index)
