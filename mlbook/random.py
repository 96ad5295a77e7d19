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
    """Samples from :math:`\\mathcal{N}(\\mathrm{mean}, \\mathrm{std}^2)` (float32 by default).

    >>> mb.seed(0)
    >>> mb.show(mb.normal(0, 1, (2, 3)), decimals=4)
    tensor([[ 0.1257, -0.1321,  0.6404],
            [ 0.1049, -0.5357,  0.3616]], shape=(2, 3), dtype=float32)
    >>> mb.show(mb.normal(10.0, 0.01, 2, dtype="float64"), decimals=4)
    tensor([10.013 , 10.0095], shape=(2,), dtype=float64)
    """
    values = _config.generator().normal(mean, std, common.shape_tuple(shape))
    return _out(values, dtype or _config.DEFAULT_FLOAT)


def uniform(low: float = 0.0, high: float = 1.0, shape: int | Sequence[int] = (),
            dtype: Any = None) -> Any:
    """Samples from the uniform distribution on ``[low, high)`` (float32 by default).

    >>> mb.seed(0)
    >>> mb.show(mb.uniform(shape=(2, 3)), decimals=4)
    tensor([[0.637 , 0.2698, 0.041 ],
            [0.0165, 0.8133, 0.9128]], shape=(2, 3), dtype=float32)
    >>> mb.show(mb.uniform(-1, 1, 3), decimals=4)
    tensor([0.2133, 0.459 , 0.0872], shape=(3,), dtype=float32)
    """
    values = _config.generator().uniform(low, high, common.shape_tuple(shape))
    return _out(values, dtype or _config.DEFAULT_FLOAT)


def randint(low: int, high: int, shape: int | Sequence[int] = (), dtype: Any = None) -> Any:
    """Random integers in ``[low, high)`` (int64 by default).

    >>> mb.seed(0)
    >>> mb.show(mb.randint(0, 10, (2, 5)))     # 10 itself never comes
    tensor([[8, 6, 5, 2, 3],
            [0, 0, 0, 1, 8]], shape=(2, 5), dtype=int64)
    >>> mb.show(mb.randint(1, 7, 3, dtype=mb.int32))      # three dice
    tensor([4, 6, 4], shape=(3,), dtype=int32)
    """
    values = _config.generator().integers(low, high, common.shape_tuple(shape))
    return _out(values, dtype or _config.DEFAULT_INT)


def permutation(n: int) -> Any:
    """A random permutation of ``range(n)``, as an int64 tensor.

    >>> mb.seed(0)
    >>> mb.show(mb.permutation(5))
    tensor([2, 4, 3, 0, 1], shape=(5,), dtype=int64)
    """
    return _out(_config.generator().permutation(int(n)), "int64")


def shuffle(x: Any) -> Any:
    """A copy of ``x`` with its first axis randomly permuted (tensors are not changed in place).

    >>> mb.seed(0)
    >>> x = mb.reshape(mb.arange(8), (4, 2))
    >>> mb.show(mb.shuffle(x))               # the rows in the order permutation(4) gives
    tensor([[4, 5],
            [0, 1],
            [2, 3],
            [6, 7]], shape=(4, 2), dtype=int64)
    >>> mb.tolist(x)                         # x itself is unchanged
    [[0, 1], [2, 3], [4, 5], [6, 7]]
    """
    from . import ops
    n = ops.shape(x)[0]
    return ops.take(x, permutation(n), axis=0)
