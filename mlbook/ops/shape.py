"""Shapes: reading, reshaping, joining and splitting tensors."""

from __future__ import annotations

import math as _math
from typing import Any, Sequence

import numpy as _np

from ..backends import common
from .core import Tensor, backend, broadcast_error, same_dtype


def shape(x: Tensor) -> tuple[int, ...]:
    """The shape of ``x`` as a tuple of Python ints.

    >>> mb.shape(mb.zeros((2, 3)))
    (2, 3)
    >>> mb.shape(mb.array(5.0))
    ()
    >>> mb.shape([[1, 2, 3]])          # nested lists are read as a tensor
    (1, 3)
    """
    b = backend()
    return b.shape(b.coerce(x))


def size(x: Tensor) -> int:
    """The number of elements of ``x``.

    >>> mb.size(mb.zeros((2, 3, 4)))
    24
    >>> mb.size(mb.array(5.0))
    1
    """
    return _math.prod(shape(x))


def ndim(x: Tensor) -> int:
    """The number of axes of ``x``.

    >>> mb.ndim(mb.zeros((2, 3)))
    2
    >>> mb.ndim(mb.array(5.0))
    0
    """
    return len(shape(x))


def reshape(x: Tensor, shape: int | Sequence[int]) -> Tensor:
    """``x`` with a new shape of the same size; one entry may be -1 (inferred).

    >>> x = mb.arange(6)
    >>> mb.show(mb.reshape(x, (2, 3)))
    tensor([[0, 1, 2],
            [3, 4, 5]], shape=(2, 3), dtype=int64)
    >>> mb.shape(mb.reshape(x, (-1, 2)))   # -1: whatever makes the size 6
    (3, 2)
    >>> mb.reshape(x, (4, 2))
    Traceback (most recent call last):
    ValueError: cannot reshape a tensor of shape (6,) (6 elements) into shape (4, 2)
    """
    b = backend()
    x = b.coerce(x)
    new = common.shape_tuple(shape)
    try:
        return b.reshape(x, new)
    except Exception as err:
        old = b.shape(x)
        raise ValueError(f"cannot reshape a tensor of shape {old} ({_math.prod(old)} elements) "
                         f"into shape {new}") from err


def transpose(x: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes of ``x`` (reverse them when ``axes`` is None), as ``numpy.transpose``.

    >>> x = mb.reshape(mb.arange(6), (2, 3))
    >>> mb.show(mb.transpose(x))
    tensor([[0, 3],
            [1, 4],
            [2, 5]], shape=(3, 2), dtype=int64)
    >>> mb.shape(mb.transpose(mb.zeros((2, 3, 4)), (1, 0, 2)))
    (3, 2, 4)
    """
    b = backend()
    x = b.coerce(x)
    n = len(b.shape(x))
    axes = tuple(range(n))[::-1] if axes is None else tuple(common.norm_axis(a, n, "transpose") for a in axes)
    if sorted(axes) != list(range(n)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {n} axes")
    return b.transpose(x, axes)


def permute(x: Tensor, *axes: int) -> Tensor:
    """PyTorch-style ``permute(x, 2, 0, 1)`` (or a tuple): same as :func:`transpose`.

    >>> x = mb.zeros((32, 32, 3))          # an image, channels last (H, W, C)
    >>> mb.shape(mb.permute(x, 2, 0, 1))   # channels first (C, H, W)
    (3, 32, 32)
    >>> mb.shape(mb.permute(x, (2, 0, 1)))
    (3, 32, 32)
    """
    if len(axes) == 1 and not isinstance(axes[0], (int, _np.integer)):
        axes = tuple(axes[0])
    return transpose(x, axes)


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes of ``x``.

    >>> x = mb.reshape(mb.arange(6), (1, 2, 3))
    >>> mb.show(mb.swapaxes(x, 1, 2))
    tensor([[[0, 3],
             [1, 4],
             [2, 5]]], shape=(1, 3, 2), dtype=int64)
    >>> mb.shape(mb.swapaxes(mb.zeros((2, 3, 4)), 0, -1))
    (4, 3, 2)
    """
    n = ndim(x)
    a, b = common.norm_axis(axis1, n, "swapaxes"), common.norm_axis(axis2, n, "swapaxes")
    axes = list(range(n))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, axes)


def T(x: Tensor) -> Tensor:
    """The transpose of ``x`` (all axes reversed), like numpy's ``x.T``.

    >>> x = mb.reshape(mb.arange(6), (2, 3))
    >>> mb.show(mb.T(x))
    tensor([[0, 3],
            [1, 4],
            [2, 5]], shape=(3, 2), dtype=int64)
    >>> mb.shape(mb.T(mb.zeros((2, 3, 4))))   # all axes reversed, not just the last two
    (4, 3, 2)
    """
    return transpose(x)


def expand_dims(x: Tensor, axis: int) -> Tensor:
    """Insert an axis of length 1 at position ``axis``.

    >>> x = mb.array([1, 2, 3])
    >>> mb.show(mb.expand_dims(x, 0))
    tensor([[1, 2, 3]], shape=(1, 3), dtype=int64)
    >>> mb.shape(mb.expand_dims(x, -1))
    (3, 1)
    """
    b = backend()
    x = b.coerce(x)
    return b.expand_dims(x, common.norm_axis(axis, len(b.shape(x)) + 1, "expand_dims"))


def squeeze(x: Tensor, axis: int | Sequence[int] | None = None) -> Tensor:
    """Remove axes of length 1 (all of them, or those named by ``axis``).

    >>> x = mb.zeros((1, 3, 1))
    >>> mb.shape(mb.squeeze(x))
    (3,)
    >>> mb.shape(mb.squeeze(x, axis=0))
    (3, 1)
    >>> mb.squeeze(x, axis=1)
    Traceback (most recent call last):
    ValueError: squeeze: axis 1 of shape (1, 3, 1) has length 3, not 1
    """
    b = backend()
    x = b.coerce(x)
    shp = b.shape(x)
    axes = common.norm_axes(axis, len(shp), "squeeze")
    if axes is not None:
        bad = [a for a in axes if shp[a] != 1]
        if bad:
            raise ValueError(f"squeeze: axis {bad[0]} of shape {shp} has length {shp[bad[0]]}, "
                             "not 1")
    return b.squeeze(x, axes)


def flatten(x: Tensor, start_axis: int = 0) -> Tensor:
    """Merge the axes from ``start_axis`` on into one (``start_axis=1`` keeps the batch axis).

    >>> x = mb.zeros((2, 3, 4))            # a batch of two 3x4 examples
    >>> mb.shape(mb.flatten(x))
    (24,)
    >>> mb.shape(mb.flatten(x, start_axis=1))
    (2, 12)
    """
    shp = shape(x)
    start_axis = common.norm_axis(start_axis, len(shp), "flatten")
    return reshape(x, shp[:start_axis] + (-1,))


def concat(xs: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``, ``numpy.concatenate``).

    >>> a = mb.reshape(mb.arange(4), (2, 2))
    >>> b = mb.array([[4, 5]])
    >>> mb.show(mb.concat([a, b]))
    tensor([[0, 1],
            [2, 3],
            [4, 5]], shape=(3, 2), dtype=int64)
    >>> mb.shape(mb.concat([a, a], axis=1))
    (2, 4)
    >>> mb.concat([a, b], axis=1)
    Traceback (most recent call last):
    ValueError: concat along axis 1: shapes [(2, 2), (1, 2)] must agree on every other axis
    """
    b = backend()
    xs = same_dtype(b, xs)
    axis = common.norm_axis(axis, len(b.shape(xs[0])), "concat") if xs else int(axis)
    try:
        return b.concat(xs, axis)
    except Exception as err:
        raise ValueError(f"concat along axis {axis}: shapes {[b.shape(x) for x in xs]} must "
                         "agree on every other axis") from err


def stack(xs: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis.

    >>> a, b = mb.array([1, 2]), mb.array([3, 4])
    >>> mb.show(mb.stack([a, b]))
    tensor([[1, 2],
            [3, 4]], shape=(2, 2), dtype=int64)
    >>> mb.show(mb.stack([a, b], axis=1))
    tensor([[1, 3],
            [2, 4]], shape=(2, 2), dtype=int64)
    >>> mb.stack([a, mb.array([1, 2, 3])])
    Traceback (most recent call last):
    ValueError: stack needs tensors of one shape, got [(2,), (3,)]
    """
    b = backend()
    xs = same_dtype(b, xs)
    shapes = {b.shape(x) for x in xs}
    if len(shapes) > 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    axis = common.norm_axis(axis, len(next(iter(shapes))) + 1, "stack") if xs else int(axis)
    return b.stack(xs, axis)


def split(x: Tensor, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split along ``axis``, as ``numpy.split``: into N equal parts, or at the given indices.

    >>> x = mb.arange(6)
    >>> [mb.tolist(p) for p in mb.split(x, 3)]
    [[0, 1], [2, 3], [4, 5]]
    >>> [mb.tolist(p) for p in mb.split(x, [1, 4])]   # cut before index 1 and index 4
    [[0], [1, 2, 3], [4, 5]]
    >>> mb.split(x, 4)
    Traceback (most recent call last):
    ValueError: cannot split an axis of length 6 into 4 equal parts
    """
    b = backend()
    x = b.coerce(x)
    shp = b.shape(x)
    axis = common.norm_axis(axis, len(shp), "split")
    return b.split(x, common.split_sizes(shp[axis], indices_or_sections), axis)


def tile(x: Tensor, reps: int | Sequence[int]) -> Tensor:
    """Repeat the whole of ``x`` ``reps`` times along each axis, as ``numpy.tile``.

    >>> x = mb.array([1, 2])
    >>> mb.show(mb.tile(x, 3))
    tensor([1, 2, 1, 2, 1, 2], shape=(6,), dtype=int64)
    >>> mb.show(mb.tile(x, (2, 2)))
    tensor([[1, 2, 1, 2],
            [1, 2, 1, 2]], shape=(2, 4), dtype=int64)
    """
    b = backend()
    x = b.coerce(x)
    reps = common.shape_tuple(reps)
    shp = b.shape(x)
    if len(reps) > len(shp):
        x = b.reshape(x, (1,) * (len(reps) - len(shp)) + shp)
    reps = (1,) * (len(b.shape(x)) - len(reps)) + reps
    return b.tile(x, reps)


def repeat(x: Tensor, repeats: int, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times (along ``axis``, or of the flattened tensor).

    >>> x = mb.array([[1, 2], [3, 4]])
    >>> mb.show(mb.repeat(x, 2))           # without axis: of the flattened tensor
    tensor([1, 1, 2, 2, 3, 3, 4, 4], shape=(8,), dtype=int64)
    >>> mb.show(mb.repeat(x, 2, axis=0))
    tensor([[1, 2],
            [1, 2],
            [3, 4],
            [3, 4]], shape=(4, 2), dtype=int64)
    """
    b = backend()
    x = b.coerce(x)
    if axis is not None:
        axis = common.norm_axis(axis, len(b.shape(x)), "repeat")
    return b.repeat(x, int(repeats), axis)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """``x`` broadcast to ``shape`` (numpy rules).

    >>> mb.show(mb.broadcast_to(mb.array([1, 2, 3]), (2, 3)))
    tensor([[1, 2, 3],
            [1, 2, 3]], shape=(2, 3), dtype=int64)
    >>> mb.broadcast_to(mb.array([1, 2]), (2, 3))
    Traceback (most recent call last):
    ValueError: broadcast_to: shapes (2,), (2, 3) cannot be broadcast together (each axis must match or be 1)
    """
    b = backend()
    x = b.coerce(x)
    new = common.shape_tuple(shape)
    try:
        return b.broadcast_to(x, new)
    except Exception as err:
        raise broadcast_error("broadcast_to", err, b.shape(x), new) from err


def pad(x: Tensor, pad_width: Any, value: float = 0) -> Tensor:
    """Constant padding, ``pad_width`` as in ``numpy.pad``: an int, a (before, after) pair, or a
    pair per axis.

    >>> x = mb.array([[1, 2], [3, 4]])
    >>> mb.show(mb.pad(x, 1))
    tensor([[0, 0, 0, 0],
            [0, 1, 2, 0],
            [0, 3, 4, 0],
            [0, 0, 0, 0]], shape=(4, 4), dtype=int64)
    >>> mb.show(mb.pad(x, ((0, 0), (1, 2)), value=-1))   # the last axis only
    tensor([[-1,  1,  2, -1, -1],
            [-1,  3,  4, -1, -1]], shape=(2, 5), dtype=int64)
    """
    b = backend()
    x = b.coerce(x)
    n = len(b.shape(x))
    pw = _np.broadcast_to(_np.asarray(pad_width, dtype=int), (n, 2))
    return b.pad(x, tuple((int(p), int(q)) for p, q in pw), value)
