"""Shapes: reading, reshaping, joining and splitting tensors."""

from __future__ import annotations

import math as _math
from typing import Any, Sequence

import numpy as _np

from ..backends import common
from .core import Tensor, backend, broadcast_error, same_dtype


def shape(x: Tensor) -> tuple[int, ...]:
    """The shape of ``x`` as a tuple of Python ints."""
    b = backend()
    return b.shape(b.coerce(x))


def size(x: Tensor) -> int:
    """The number of elements of ``x``."""
    return _math.prod(shape(x))


def ndim(x: Tensor) -> int:
    """The number of axes of ``x``."""
    return len(shape(x))


def reshape(x: Tensor, shape: int | Sequence[int]) -> Tensor:
    """``x`` with a new shape of the same size; one entry may be -1 (inferred)."""
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
    """Permute the axes of ``x`` (reverse them when ``axes`` is None), as ``numpy.transpose``."""
    b = backend()
    x = b.coerce(x)
    n = len(b.shape(x))
    axes = tuple(range(n))[::-1] if axes is None else tuple(common.norm_axis(a, n, "transpose") for a in axes)
    if sorted(axes) != list(range(n)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {n} axes")
    return b.transpose(x, axes)


def permute(x: Tensor, *axes: int) -> Tensor:
    """PyTorch-style ``permute(x, 2, 0, 1)`` (or a tuple): same as :func:`transpose`."""
    if len(axes) == 1 and not isinstance(axes[0], (int, _np.integer)):
        axes = tuple(axes[0])
    return transpose(x, axes)


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes of ``x``."""
    n = ndim(x)
    a, b = common.norm_axis(axis1, n, "swapaxes"), common.norm_axis(axis2, n, "swapaxes")
    axes = list(range(n))
    axes[a], axes[b] = axes[b], axes[a]
    return transpose(x, axes)


def T(x: Tensor) -> Tensor:
    """The transpose of ``x`` (all axes reversed), like numpy's ``x.T``."""
    return transpose(x)


def expand_dims(x: Tensor, axis: int) -> Tensor:
    """Insert an axis of length 1 at position ``axis``."""
    b = backend()
    x = b.coerce(x)
    return b.expand_dims(x, common.norm_axis(axis, len(b.shape(x)) + 1, "expand_dims"))


def squeeze(x: Tensor, axis: int | Sequence[int] | None = None) -> Tensor:
    """Remove axes of length 1 (all of them, or those named by ``axis``)."""
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
    """Merge the axes from ``start_axis`` on into one (``start_axis=1`` keeps the batch axis)."""
    shp = shape(x)
    start_axis = common.norm_axis(start_axis, len(shp), "flatten")
    return reshape(x, shp[:start_axis] + (-1,))


def concat(xs: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``, ``numpy.concatenate``)."""
    b = backend()
    xs = same_dtype(b, xs)
    axis = common.norm_axis(axis, len(b.shape(xs[0])), "concat") if xs else int(axis)
    try:
        return b.concat(xs, axis)
    except Exception as err:
        raise ValueError(f"concat along axis {axis}: shapes {[b.shape(x) for x in xs]} must "
                         "agree on every other axis") from err


def stack(xs: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    b = backend()
    xs = same_dtype(b, xs)
    shapes = {b.shape(x) for x in xs}
    if len(shapes) > 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    axis = common.norm_axis(axis, len(next(iter(shapes))) + 1, "stack") if xs else int(axis)
    return b.stack(xs, axis)


def split(x: Tensor, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split along ``axis``, as ``numpy.split``: into N equal parts, or at the given indices."""
    b = backend()
    x = b.coerce(x)
    shp = b.shape(x)
    axis = common.norm_axis(axis, len(shp), "split")
    return b.split(x, common.split_sizes(shp[axis], indices_or_sections), axis)


def tile(x: Tensor, reps: int | Sequence[int]) -> Tensor:
    """Repeat the whole of ``x`` ``reps`` times along each axis, as ``numpy.tile``."""
    b = backend()
    x = b.coerce(x)
    reps = common.shape_tuple(reps)
    shp = b.shape(x)
    if len(reps) > len(shp):
        x = b.reshape(x, (1,) * (len(reps) - len(shp)) + shp)
    reps = (1,) * (len(b.shape(x)) - len(reps)) + reps
    return b.tile(x, reps)


def repeat(x: Tensor, repeats: int, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times (along ``axis``, or of the flattened tensor)."""
    b = backend()
    x = b.coerce(x)
    if axis is not None:
        axis = common.norm_axis(axis, len(b.shape(x)), "repeat")
    return b.repeat(x, int(repeats), axis)


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """``x`` broadcast to ``shape`` (numpy rules)."""
    b = backend()
    x = b.coerce(x)
    new = common.shape_tuple(shape)
    try:
        return b.broadcast_to(x, new)
    except Exception as err:
        raise broadcast_error("broadcast_to", err, b.shape(x), new) from err


def pad(x: Tensor, pad_width: Any, value: float = 0) -> Tensor:
    """Constant padding, ``pad_width`` as in ``numpy.pad``: an int, a (before, after) pair, or a
    pair per axis."""
    b = backend()
    x = b.coerce(x)
    n = len(b.shape(x))
    pw = _np.broadcast_to(_np.asarray(pad_width, dtype=int), (n, 2))
    return b.pad(x, tuple((int(p), int(q)) for p, q in pw), value)
