"""Random tensors that are the same on every backend.

All values come from one numpy ``Generator`` (seeded by :func:`mlbook.seed`) and are then
converted to the active backend, so ``seed(0); normal(0, 1, (2, 3))`` prints the same numbers
on numpy, MXNet, PyTorch and TensorFlow.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as _np

from . import ops as _ops
from . import config as _config
from . import execution as _execution
from .backends import common

__all__ = ["seed", "normal", "uniform", "randint", "permutation", "shuffle"]

seed = _config.seed


def _out(values: _np.ndarray, dtype: Any) -> Any:
    values = _execution.perturb(_np.asarray(values, dtype=common.dtype_name(dtype)))
    return _ops.from_numpy(values)


def normal(mean: float = 0.0, std: float = 1.0, shape: int | Sequence[int] = (),
           dtype: Any = None) -> Any:
    """Samples from :math:`\\mathcal{N}(\\mathrm{mean}, \\mathrm{std}^2)` (float32 by default)."""
    values = _config.generator().normal(mean, std, common.shape_tuple(shape))
    return _out(values, dtype or _config.DEFAULT_FLOAT)


def uniform(low: float = 0.0, high: float = 1.0, shape: int | Sequence[int] = (),
            dtype: Any = None) -> Any:
    """Samples from the uniform distribution on ``[low, high)`` (float32 by default)."""
    values = _config.generator().uniform(low, high, common.shape_tuple(shape))
    return _out(values, dtype or _config.DEFAULT_FLOAT)


def randint(low: int, high: int, shape: int | Sequence[int] = (), dtype: Any = None) -> Any:
    """Random integers in ``[low, high)`` (int64 by default)."""
    values = _config.generator().integers(low, high, common.shape_tuple(shape))
    return _out(values, dtype or _config.DEFAULT_INT)


def permutation(n: int) -> Any:
    """A random permutation of ``range(n)``, as an int64 tensor."""
    return _out(_config.generator().permutation(int(n)), "int64")


def shuffle(x: Any) -> Any:
    """A copy of ``x`` with its first axis randomly permuted (tensors are not changed in place)."""
    from . import ops
    n = ops.shape(x)[0]
    return ops.take(x, permutation(n), axis=0)
