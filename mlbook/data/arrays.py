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
    pass over the data then sees new random variants of the examples."""

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
    """The book's ``load_array``: minibatches of ``data_arrays``, shuffled when ``is_train``."""
    return ArrayLoader(data_arrays, batch_size, shuffle=is_train)


def synthetic_data(w: Any, b: float, num_examples: int, noise: float = 0.01) -> tuple[Any, Any]:
    """:math:`y = Xw + b + \\epsilon` with :math:`X \\sim \\mathcal{N}(0, 1)` and
    :math:`\\epsilon \\sim \\mathcal{N}(0, \\mathrm{noise}^2)`; returns ``(X, y)`` with ``y`` of
    shape (n, 1)."""
    w_np = np.asarray(ops.to_numpy(w) if not isinstance(w, (list, np.ndarray)) else w,
                      dtype=config.DEFAULT_FLOAT).reshape(-1)
    gen = config.generator()
    X = gen.normal(0, 1, (num_examples, len(w_np))).astype(config.DEFAULT_FLOAT)
    y = X @ w_np + b + gen.normal(0, noise, num_examples)
    return ops.from_numpy(X), ops.from_numpy(y.reshape(-1, 1).astype(config.DEFAULT_FLOAT))
