"""mlbook: an executable deep-learning textbook whose code runs on numpy, MXNet, PyTorch and
TensorFlow.

Choose the backend with the environment variable ``MLBOOK_BACKEND`` (numpy by default) or
:func:`set_backend`; then write code once against these functions::

    import mlbook as mb
    x = mb.arange(12.0)
    mb.sum(mb.reshape(x, (3, 4)), axis=0)
"""

from __future__ import annotations

from . import execution as _execution

_execution.apply()              # MLBOOK_THREADS: pin the thread pools before a framework starts

from . import backends as _backends  # noqa: E402
from . import config
from .autograd import (Tape, grad, is_training, predict_mode, record, stop_gradient,
                       train_mode, value_and_grad)
from .config import BACKENDS, seed
from .ops import *  # noqa: F401,F403 - the neutral tensor API is mlbook's top level
from .ops import __all__ as _ops_all
from .devices import (Device, check_device, cpu, device_of, gpu, num_gpus, to_device,
                      try_all_gpus,
                      try_gpu)
from .random import normal, permutation, randint, shuffle, uniform
from . import init  # noqa: E402  (initialisers are used as mb.init.normal(...))

__version__ = "0.1.0"


def set_backend(name: str) -> str:
    """Make ``name`` (one of ``mlbook.BACKENDS``; aliases allowed: np, mx, pytorch, tf) the
    active backend and return its canonical name.  Raises ``ValueError`` for an unknown name and ``ImportError`` naming the pip
    extra when the framework is not installed.  Tensors made before keep their old type.

    >>> mb.set_backend("NP")                # case-insensitive; np is numpy's alias
    'numpy'
    >>> isinstance(mb.arange(3), np.ndarray)
    True
    >>> mb.set_backend("theano")
    Traceback (most recent call last):
    ValueError: unknown mlbook backend 'theano'; valid names: numpy (np), mxnet (mx), torch (pytorch), tensorflow (tf), jax
    """
    return _backends.set_backend(name)


def backend() -> str:
    """The name of the active backend: ``"numpy"``, ``"mxnet"``, ``"torch"``, ``"tensorflow"``
    or ``"jax"``.

    >>> mb.backend() in mb.BACKENDS
    True
    >>> _ = mb.set_backend("np")
    >>> mb.backend()
    'numpy'
    """
    return _backends.name()


__all__ = sorted(set(_ops_all) | {
    "BACKENDS", "Device", "Tape", "backend", "config", "cpu", "device_of", "gpu", "num_gpus",
    "to_device", "check_device", "try_all_gpus", "try_gpu", "grad", "is_training", "normal", "permutation",
    "predict_mode", "randint", "record", "seed", "set_backend", "shuffle", "stop_gradient",
    "train_mode", "uniform", "value_and_grad"})
