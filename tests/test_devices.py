"""Devices: on a machine without a GPU every backend falls back to the CPU."""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from helpers import check


def test_cpu_fallback(backend):
    x = mb.arange(3.0)
    assert mb.device_of(x) == mb.cpu() and repr(mb.cpu()) == "cpu" and repr(mb.gpu(1)) == "gpu:1"
    n = mb.num_gpus()
    assert mb.try_gpu() == (mb.gpu(0) if n else mb.cpu())
    assert mb.try_gpu(5) == (mb.gpu(5) if n > 5 else mb.cpu())
    assert mb.try_all_gpus() == ([mb.gpu(i) for i in range(n)] or [mb.cpu()])
    y = mb.to_device(x, mb.try_gpu())
    check(y, np.arange(3.0, dtype="float32"))
    assert mb.device_of(y) == mb.try_gpu()
    assert mb.to_device(x, mb.cpu()) is x


def test_missing_gpu_is_a_clear_error(backend):
    n = mb.num_gpus()
    with pytest.raises(ValueError, match=f"gpu:{n} does not exist.*try_gpu"):
        mb.to_device(mb.ones(2), mb.gpu(n))
