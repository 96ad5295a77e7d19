"""Minibatches from in-memory arrays, and the book's synthetic regression data."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .. import ops
from .. import config, ops

__all__ = ["ArrayLoader", "load_array", "synthetic_data"]


class ArrayLoader:
    """Iterates over minibatches of equally long arrays, converted to the active backend's
    tensors.  With ``shuffle`` each pass draws a new order from mlbook's seeded generator (the
    same order on every backend).  ``len(loader)`` is the number of batches; ``loader.arrays``
    holds the numpy arrays it iterates over, in their original order.

    ``transform``, if given, is applied to each minibatch of the first array (the inputs) once
    it is a tensor, e.g. an image augmentation such as ``vision.RandomCrop(8, padding=1)``: every
    pass over the data then sees new random variants of the examples.

    >>> X, y = np.arange(10).reshape(5, 2), np.arange(5)
    >>> loader = data.ArrayLoader((X, y), batch_size=2)
    >>> len(loader)
    3
    >>> for Xb, yb in loader:                   # the last batch is shorter
    ...     print(mb.shape(Xb), mb.tolist(yb))
    (2, 2) [0, 1]
    (2, 2) [2, 3]
    (1, 2) [4]
    >>> mb.seed(0)
    >>> loader = data.ArrayLoader((X, y), batch_size=2, shuffle=True, drop_last=True)
    >>> [mb.tolist(yb) for _, yb in loader], [mb.tolist(yb) for _, yb in loader]
    ([[2, 4], [3, 0]], [[4, 1], [2, 0]])
    """

    def __init__(self, arrays: Sequence[Any], batch_size: int, shuffle: bool = False,
                 drop_last: bool = False, transform: Callable[[Any], Any] | None = None) -> None:
        self.arrays = [np.asarray(ops.to_numpy(a)) if not isinstance(a, np.ndarray) else a
                       for a in arrays]
        lengths = {len(a) for a in self.arrays}
        if len(lengths) != 1:
            raise ValueError(f"arrays must have the same first dimension, got {sorted(lengths)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.n = lengths.pop()
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be callable, got {type(transform).__name__}")
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self.transform = transform

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        order = config.generator().permutation(self.n) if self.shuffle else np.arange(self.n)
        for start in range(0, self.n, self.batch_size):
            idx = order[start:start + self.batch_size]
            if self.drop_last and len(idx) < self.batch_size:
                break
            batch = tuple(ops.from_numpy(a[idx]) for a in self.arrays)
            if self.transform is not None:
                batch = (self.transform(batch[0]),) + batch[1:]
            yield batch


def load_array(data_arrays: Sequence[Any], batch_size: int, is_train: bool = True) -> ArrayLoader:
    """The book's ``load_array``: minibatches of ``data_arrays``, shuffled when ``is_train``.

    >>> features, labels = np.arange(6), np.arange(6) * 10
    >>> mb.seed(0)
    >>> [mb.tolist(y) for _, y in data.load_array((features, labels), batch_size=4)]
    [[30, 20, 50, 40], [0, 10]]
    >>> [mb.tolist(y) for _, y in data.load_array((features, labels), 4, is_train=False)]
    [[0, 10, 20, 30], [40, 50]]
    """
    return ArrayLoader(data_arrays, batch_size, shuffle=is_train)


def synthetic_data(w: Any, b: float, num_examples: int, noise: float = 0.01) -> tuple[Any, Any]:
    """:math:`y = Xw + b + \\epsilon` with :math:`X \\sim \\mathcal{N}(0, 1)` and
    :math:`\\epsilon \\sim \\mathcal{N}(0, \\mathrm{noise}^2)`; returns ``(X, y)`` with ``y`` of
    shape (n, 1).

    >>> mb.seed(0)
    >>> X, y = data.synthetic_data(mb.array([2.0, -3.4]), 4.2, 1000)
    >>> mb.shape(X), mb.shape(y)
    ((1000, 2), (1000, 1))
    >>> mb.show(y[:2], decimals=4)
    tensor([[4.9048],
            [5.1192]], shape=(2, 1), dtype=float32)
    >>> A = np.c_[mb.to_numpy(X), np.ones(1000)]       # least squares recovers w and b
    >>> np.linalg.lstsq(A, mb.to_numpy(y)[:, 0], rcond=None)[0].round(2)
    array([ 2. , -3.4,  4.2])
    """
    w_np = np.asarray(ops.to_numpy(w) if not isinstance(w, (list, np.ndarray)) else w,
                      dtype=config.DEFAULT_FLOAT).reshape(-1)
    gen = config.generator()
    X = gen.normal(0, 1, (num_examples, len(w_np))).astype(config.DEFAULT_FLOAT)
    y = X @ w_np + b + gen.normal(0, noise, num_examples)
    return ops.from_numpy(X), ops.from_numpy(y.reshape(-1, 1).astype(config.DEFAULT_FLOAT))
