"""Functions of the layers: convolution and pooling on NCHW tensors (defined in
:mod:`mlbook.ops.nn`, next to the other tensor functions) and sequence masks."""

from __future__ import annotations

from typing import Any

from .. import ops
from ..ops.nn import (avg_pool2d, conv2d, conv_output_size, conv_transpose2d,
                      conv_transpose_output_size, max_pool2d)

__all__ = ["conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "conv_output_size",
           "conv_transpose_output_size", "sequence_mask"]


def sequence_mask(X: Any, valid_len: Any, value: float = 0.0) -> Any:
    """``X`` (batch, steps, ...) with every entry past each sequence's valid length (along axis
    1) replaced by ``value``: padding tokens are then ignored by a sum, or by a softmax when
    ``value`` is a large negative number.  ``valid_len`` holds one length per sequence.

    >>> from mlbook.nn import functional as F
    >>> X = mb.reshape(mb.arange(1.0, 7.0), (2, 3))
    >>> mb.show(F.sequence_mask(X, mb.array([1, 2])))
    tensor([[1., 0., 0.],
            [4., 5., 0.]], shape=(2, 3), dtype=float32)
    >>> masked = F.sequence_mask(mb.ones((2, 3)), mb.array([1, 2]), value=-1e6)
    >>> mb.show(mb.softmax(masked), decimals=4)      # no weight on the padding
    tensor([[1. , 0. , 0. ],
            [0.5, 0.5, 0. ]], shape=(2, 3), dtype=float32)
    """
    shape = ops.shape(X)
    if len(shape) < 2 or ops.shape(valid_len) != shape[:1]:
        raise ValueError(f"sequence_mask: X of shape {shape} needs (batch, steps, ...) and "
                         f"valid_len one length per sequence, got shape {ops.shape(valid_len)}")
    steps = ops.reshape(ops.arange(shape[1]), (1, shape[1]))
    mask = ops.less(steps, ops.reshape(ops.astype(valid_len, "int64"), (-1, 1)))  # (batch, steps)
    mask = ops.reshape(mask, shape[:2] + (1,) * (len(shape) - 2))
    return ops.where(mask, X, ops.full_like(X, value))
