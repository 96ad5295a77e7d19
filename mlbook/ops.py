"""The neutral tensor API: one function per operation, the same on every backend.

Tensors stay the backend's own objects (``numpy.ndarray``, ``mxnet.np.ndarray``,
``torch.Tensor``, ``tf.Tensor``); operators (``+ - * / @ ** []``) work on them natively and
everything else goes through these functions.  Names follow the Python Array API standard
and numpy.  Conventions fixed once for all backends:

* float32 is the default floating type; Python ints become int64; numpy arrays keep their dtype.
* Functions that only make sense for real numbers (``exp``, ``log``, ``mean`` ...) turn integer
  input into float32 first, instead of failing (TensorFlow) or silently going to float64 (numpy).
* Binary functions accept a Python scalar for either argument; mixed dtypes promote as in
  PyTorch (int with float gives the float's type).
* Reductions take ``axis`` as None (all axes), an int or a tuple, and ``keepdims``.
"""

from __future__ import annotations

import builtins as _bi
import math as _math
from typing import Any, Sequence

import numpy as _np

from . import backends as _backends
from . import config as _config
from .backends import _common

Tensor = Any

__all__ = [
    # creation
    "array", "tensor", "arange", "zeros", "ones", "full", "eye", "zeros_like", "ones_like",
    "full_like", "linspace",
    # shape
    "shape", "size", "ndim", "reshape", "transpose", "permute", "swapaxes", "T", "expand_dims",
    "squeeze", "flatten", "concat", "stack", "split", "tile", "repeat", "broadcast_to", "pad",
    # elementwise
    "exp", "log", "log1p", "sqrt", "abs", "sign", "sin", "cos", "tanh", "sigmoid", "relu",
    "maximum", "minimum", "clip", "where", "power", "floor", "round",
    # reductions
    "sum", "mean", "max", "min", "prod", "argmax", "argmin", "var", "std", "cumsum", "logsumexp",
    # linear algebra
    "matmul", "dot", "mv", "outer", "tensordot", "einsum", "norm",
    # comparison and logic
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
    "logical_or", "logical_not", "any", "all",
    # dtype and conversion
    "float16", "float32", "float64", "int32", "int64", "uint8", "bool_", "dtype", "astype",
    "is_floating", "is_tensor", "to_numpy", "from_numpy", "item", "tolist",
    # indexing
    "take", "gather", "take_along_axis", "one_hot", "boolean_mask", "index_update",
    # softmax
    "softmax", "log_softmax",
]

# dtype names (mlbook passes dtypes around as these strings)
float16, float32, float64 = "float16", "float32", "float64"
int32, int64, uint8, bool_ = "int32", "int64", "uint8", "bool"


def _b() -> Any:
    return _backends.active


def _float(b: Any, x: Tensor) -> Tensor:
    """``x`` as a tensor of a floating type (int and bool become float32)."""
    x = b.coerce(x)
    return x if b.is_floating(x) else b.astype(x, _config.DEFAULT_FLOAT)


def _promote(dx: str, dy: str) -> str:
    if dx == dy:
        return dx
    fx, fy = dx.startswith("float"), dy.startswith("float")
    if fx != fy:                                  # int/bool with float: the float's type
        return dx if fx else dy
    return _np.result_type(dx, dy).name


def _dtype_of(x: Tensor) -> str:
    b = _b()
    return b.dtype_name(b.coerce(x))


def _pair(b: Any, x: Any, y: Any) -> tuple[Tensor, Tensor]:
    """Two operands of a binary function as tensors of one dtype (Python scalars adapt)."""
    xs, ys = _common.is_python_scalar(x), _common.is_python_scalar(y)
    if xs and not ys:
        y = b.coerce(y)
        return b.full((), x, _scalar_dtype(x, b.dtype_name(y))), y
    if ys and not xs:
        x = b.coerce(x)
        return x, b.full((), y, _scalar_dtype(y, b.dtype_name(x)))
    x, y = b.coerce(x), b.coerce(y)
    dx, dy = b.dtype_name(x), b.dtype_name(y)
    if dx != dy:
        d = _promote(dx, dy)
        x = x if dx == d else b.astype(x, d)
        y = y if dy == d else b.astype(y, d)
    return x, y


def _scalar_dtype(value: Any, other: str) -> str:
    own = _common.scalar_dtype(value)
    if own == "bool":
        return other
    if own.startswith("int"):
        return other if other != "bool" else own
    return other if other.startswith("float") else own


def _broadcast_error(op: str, err: Exception, *shapes: tuple[int, ...]) -> Exception:
    """A clear ValueError when ``shapes`` do not broadcast, else the original error."""
    try:
        _np.broadcast_shapes(*shapes)
    except ValueError:
        return ValueError(f"{op}: shapes {', '.join(map(str, shapes))} cannot be broadcast "
                          "together (each axis must match or be 1)")
    return err


def _binary(op: str, x: Any, y: Any) -> Tensor:
    b = _b()
    x, y = _pair(b, x, y)
    try:
        return getattr(b, op)(x, y)
    except Exception as err:
        raise _broadcast_error(op, err, b.shape(x), b.shape(y)) from err


# ============================================================================ creation
def array(data: Any, dtype: Any = None) -> Tensor:
    """A new tensor holding ``data`` (nested lists, scalars, a numpy array or a tensor).

    Without ``dtype``: Python floats give float32, ints int64, bools bool; numpy arrays and
    tensors keep their dtype.  The data is copied.
    """
    b = _b()
    if b.is_native(data):
        x = b.from_numpy(b.to_numpy(data))
        return x if dtype is None else b.astype(x, _common.dtype_name(dtype))
    if _backends.backend_of(data) not in (None, "numpy"):
        raise _backends.foreign_error(data, b.NAME)
    return b.from_numpy(_common.host_array(data, dtype))


tensor = array


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``: ``arange(4)`` is ``[0, 1, 2, 3]`` (int64).

    Integer arguments give int64, any float argument float32 (as ``arange(4.0)``).  The values
    are computed by numpy and converted, so they are identical on every backend.
    """
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        ints = _bi.all(isinstance(v, (int, _np.integer)) for v in (start, stop, step))
        dtype = _config.DEFAULT_INT if ints else _config.DEFAULT_FLOAT
    return _b().from_numpy(_np.arange(start, stop, step, dtype=_common.dtype_name(dtype)))


def zeros(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    return _b().zeros(_common.shape_tuple(shape), _common.dtype_name(dtype or _config.DEFAULT_FLOAT))


def ones(shape: int | Sequence[int], dtype: Any = None) -> Tensor:
    """A tensor of ones (float32 unless ``dtype`` says otherwise)."""
    return _b().ones(_common.shape_tuple(shape), _common.dtype_name(dtype or _config.DEFAULT_FLOAT))


def full(shape: int | Sequence[int], fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``; dtype from the value (float32/int64/bool) by default."""
    d = _common.dtype_name(dtype) if dtype is not None else _common.scalar_dtype(fill_value)
    return _b().full(_common.shape_tuple(shape), fill_value, d)


def eye(n: int, m: int | None = None, dtype: Any = None) -> Tensor:
    """The ``n``×``m`` identity matrix (``m`` defaults to ``n``), float32 by default."""
    d = _common.dtype_name(dtype or _config.DEFAULT_FLOAT)
    return _b().from_numpy(_np.eye(n, m, dtype=d))


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive (float32 by default)."""
    d = _common.dtype_name(dtype or _config.DEFAULT_FLOAT)
    return _b().from_numpy(_np.linspace(start, stop, num).astype(d))


def zeros_like(x: Tensor, dtype: Any = None) -> Tensor:
    """Zeros with the shape of ``x`` and its dtype (or ``dtype``)."""
    return zeros(shape(x), dtype or _dtype_of(x))


def ones_like(x: Tensor, dtype: Any = None) -> Tensor:
    """Ones with the shape of ``x`` and its dtype (or ``dtype``)."""
    return ones(shape(x), dtype or _dtype_of(x))


def full_like(x: Tensor, fill_value: Any, dtype: Any = None) -> Tensor:
    """``fill_value`` everywhere, with the shape of ``x`` and its dtype (or ``dtype``)."""
    return full(shape(x), fill_value, dtype or _dtype_of(x))


# ============================================================================ shape
def shape(x: Tensor) -> tuple[int, ...]:
    """The shape of ``x`` as a tuple of Python ints."""
    b = _b()
    return b.shape(b.coerce(x))


def size(x: Tensor) -> int:
    """The number of elements of ``x``."""
    return _math.prod(shape(x))


def ndim(x: Tensor) -> int:
    """The number of axes of ``x``."""
    return len(shape(x))


def reshape(x: Tensor, shape: int | Sequence[int]) -> Tensor:
    """``x`` with a new shape of the same size; one entry may be -1 (inferred)."""
    b = _b()
    x = b.coerce(x)
    new = _common.shape_tuple(shape)
    try:
        return b.reshape(x, new)
    except Exception as err:
        old = b.shape(x)
        raise ValueError(f"cannot reshape a tensor of shape {old} ({_math.prod(old)} elements) "
                         f"into shape {new}") from err


def transpose(x: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes of ``x`` (reverse them when ``axes`` is None), as ``numpy.transpose``."""
    b = _b()
    x = b.coerce(x)
    n = len(b.shape(x))
    axes = tuple(range(n))[::-1] if axes is None else tuple(int(a) % _bi.max(n, 1) for a in axes)
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
    axes = list(range(n))
    axes[axis1 % n], axes[axis2 % n] = axes[axis2 % n], axes[axis1 % n]
    return transpose(x, axes)


def T(x: Tensor) -> Tensor:
    """The transpose of ``x`` (all axes reversed), like numpy's ``x.T``."""
    return transpose(x)


def expand_dims(x: Tensor, axis: int) -> Tensor:
    """Insert an axis of length 1 at position ``axis``."""
    b = _b()
    return b.expand_dims(b.coerce(x), int(axis))


def squeeze(x: Tensor, axis: int | Sequence[int] | None = None) -> Tensor:
    """Remove axes of length 1 (all of them, or those named by ``axis``)."""
    b = _b()
    x = b.coerce(x)
    shp = b.shape(x)
    axes = _common.norm_axes(axis, len(shp))
    if axes is not None:
        bad = [a for a in axes if shp[a] != 1]
        if bad:
            raise ValueError(f"squeeze: axis {bad[0]} of shape {shp} has length {shp[bad[0]]}, "
                             "not 1")
    return b.squeeze(x, axes)


def flatten(x: Tensor, start_axis: int = 0) -> Tensor:
    """Merge the axes from ``start_axis`` on into one (``start_axis=1`` keeps the batch axis)."""
    shp = shape(x)
    start_axis %= _bi.max(len(shp), 1)
    return reshape(x, shp[:start_axis] + (-1,))


def concat(xs: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``, ``numpy.concatenate``)."""
    b = _b()
    xs = _same_dtype(b, xs)
    try:
        return b.concat(xs, int(axis))
    except Exception as err:
        raise ValueError(f"concat along axis {axis}: shapes {[b.shape(x) for x in xs]} must "
                         "agree on every other axis") from err


def stack(xs: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    b = _b()
    xs = _same_dtype(b, xs)
    shapes = {b.shape(x) for x in xs}
    if len(shapes) > 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    return b.stack(xs, int(axis))


def _same_dtype(b: Any, xs: Sequence[Tensor]) -> list[Tensor]:
    xs = [b.coerce(x) for x in xs]
    if not xs:
        raise ValueError("need at least one tensor")
    names = [b.dtype_name(x) for x in xs]
    target = names[0]
    for n in names[1:]:
        target = _promote(target, n)
    return [x if n == target else b.astype(x, target) for x, n in zip(xs, names)]


def split(x: Tensor, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """Split along ``axis``, as ``numpy.split``: into N equal parts, or at the given indices."""
    b = _b()
    x = b.coerce(x)
    shp = b.shape(x)
    axis = int(axis) % len(shp)
    return b.split(x, _common.split_sizes(shp[axis], indices_or_sections), axis)


def tile(x: Tensor, reps: int | Sequence[int]) -> Tensor:
    """Repeat the whole of ``x`` ``reps`` times along each axis, as ``numpy.tile``."""
    b = _b()
    x = b.coerce(x)
    reps = _common.shape_tuple(reps)
    shp = b.shape(x)
    if len(reps) > len(shp):
        x = b.reshape(x, (1,) * (len(reps) - len(shp)) + shp)
    reps = (1,) * (len(b.shape(x)) - len(reps)) + reps
    return b.tile(x, reps)


def repeat(x: Tensor, repeats: int, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times (along ``axis``, or of the flattened tensor)."""
    b = _b()
    return b.repeat(b.coerce(x), int(repeats), None if axis is None else int(axis))


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    """``x`` broadcast to ``shape`` (numpy rules)."""
    b = _b()
    x = b.coerce(x)
    new = _common.shape_tuple(shape)
    try:
        return b.broadcast_to(x, new)
    except Exception as err:
        raise _broadcast_error("broadcast_to", err, b.shape(x), new) from err


def pad(x: Tensor, pad_width: Any, value: float = 0) -> Tensor:
    """Constant padding, ``pad_width`` as in ``numpy.pad``: an int, a (before, after) pair, or a
    pair per axis."""
    b = _b()
    x = b.coerce(x)
    n = len(b.shape(x))
    pw = _np.broadcast_to(_np.asarray(pad_width, dtype=int), (n, 2))
    return b.pad(x, tuple((int(p), int(q)) for p, q in pw), value)


# ============================================================================ elementwise
def exp(x: Tensor) -> Tensor:
    """Elementwise :math:`e^x`."""
    b = _b()
    return b.exp(_float(b, x))


def log(x: Tensor) -> Tensor:
    """Elementwise natural logarithm."""
    b = _b()
    return b.log(_float(b, x))


def log1p(x: Tensor) -> Tensor:
    """Elementwise :math:`\\log(1 + x)`, accurate for small ``x``."""
    b = _b()
    return b.log1p(_float(b, x))


def sqrt(x: Tensor) -> Tensor:
    """Elementwise square root."""
    b = _b()
    return b.sqrt(_float(b, x))


def sin(x: Tensor) -> Tensor:
    """Elementwise sine."""
    b = _b()
    return b.sin(_float(b, x))


def cos(x: Tensor) -> Tensor:
    """Elementwise cosine."""
    b = _b()
    return b.cos(_float(b, x))


def tanh(x: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent."""
    b = _b()
    return b.tanh(_float(b, x))


def sigmoid(x: Tensor) -> Tensor:
    """Elementwise logistic function :math:`1 / (1 + e^{-x})`."""
    b = _b()
    return b.sigmoid(_float(b, x))


def relu(x: Tensor) -> Tensor:
    """Elementwise :math:`\\max(x, 0)`; its gradient at 0 is 0 on every backend."""
    b = _b()
    return b.relu(b.coerce(x))


def abs(x: Tensor) -> Tensor:
    """Elementwise absolute value."""
    b = _b()
    return b.abs(b.coerce(x))


def sign(x: Tensor) -> Tensor:
    """Elementwise sign: -1, 0 or 1."""
    b = _b()
    return b.sign(b.coerce(x))


def floor(x: Tensor) -> Tensor:
    """Elementwise floor."""
    b = _b()
    return b.floor(_float(b, x))


def round(x: Tensor) -> Tensor:
    """Round to the nearest integer, halves to even (``round(2.5) == 2``), as numpy does."""
    b = _b()
    return b.round(_float(b, x))


def maximum(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise maximum of two tensors (or a tensor and a scalar), broadcasting."""
    return _binary("maximum", x, y)


def minimum(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise minimum, broadcasting."""
    return _binary("minimum", x, y)


def power(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise :math:`x^y`, broadcasting."""
    return _binary("power", x, y)


def clip(x: Tensor, min: float | Tensor | None, max: float | Tensor | None) -> Tensor:
    """Limit values to ``[min, max]`` (either bound may be None)."""
    b = _b()
    x = b.coerce(x)
    if (min is None or _common.is_python_scalar(min)) and \
            (max is None or _common.is_python_scalar(max)):
        return b.clip(x, min, max)
    if min is not None:
        x = maximum(x, min)
    return x if max is None else minimum(x, max)


def where(condition: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """``x`` where ``condition`` is true, else ``y`` (all three broadcast)."""
    b = _b()
    c = b.coerce(condition)
    if b.dtype_name(c) != "bool":
        c = b.astype(c, "bool")
    x, y = _pair(b, x, y)
    try:
        return b.where(c, x, y)
    except Exception as err:
        raise _broadcast_error("where", err, b.shape(c), b.shape(x), b.shape(y)) from err


# ============================================================================ reductions
def _reduction(op: str, x: Tensor, axis: Any, keepdims: bool, floating: bool = False) -> Tensor:
    b = _b()
    x = _float(b, x) if floating else b.coerce(x)
    return getattr(b, op)(x, axis=_common.norm_axes(axis, len(b.shape(x))),
                          keepdims=bool(keepdims))


def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes by default): ``sum(x, axis=(1, 3), keepdims=True)``."""
    return _reduction("sum", x, axis, keepdims)


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis`` (integers are averaged as float32)."""
    return _reduction("mean", x, axis, keepdims, floating=True)


def max(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Largest value over ``axis``."""
    return _reduction("max", x, axis, keepdims)


def min(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Smallest value over ``axis``."""
    return _reduction("min", x, axis, keepdims)


def prod(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis``."""
    return _reduction("prod", x, axis, keepdims)


def any(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether any element over ``axis`` is true (non-zero)."""
    return _reduction("any", x, axis, keepdims)


def all(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Whether every element over ``axis`` is true (non-zero)."""
    return _reduction("all", x, axis, keepdims)


def _arg(op: str, x: Tensor, axis: int | None, keepdims: bool) -> Tensor:
    b = _b()
    x = b.coerce(x)
    if axis is not None:
        axis = int(axis) % _bi.max(len(b.shape(x)), 1)
    return getattr(b, op)(x, axis, bool(keepdims))


def argmax(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the largest value along ``axis`` (of the flattened tensor if None)."""
    return _arg("argmax", x, axis, keepdims)


def argmin(x: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the smallest value along ``axis`` (of the flattened tensor if None)."""
    return _arg("argmin", x, axis, keepdims)


def var(x: Tensor, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    r"""Variance :math:`\frac{1}{n - \mathrm{ddof}}\sum_i (x_i - \bar x)^2` (numpy's ``ddof=0``
    by default; PyTorch's default is ``ddof=1``)."""
    b = _b()
    x = _float(b, x)
    shp = b.shape(x)
    axes = _common.norm_axes(axis, len(shp))
    n = _math.prod(shp) if axes is None else _math.prod(shp[a] for a in axes)
    centred = x - b.mean(x, axis=axes, keepdims=True)
    return b.sum(centred * centred, axis=axes, keepdims=bool(keepdims)) / (n - ddof)


def std(x: Tensor, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation, the square root of :func:`var`."""
    return sqrt(var(x, axis, keepdims, ddof))


def cumsum(x: Tensor, axis: int | None = None) -> Tensor:
    """Cumulative sum along ``axis`` (of the flattened tensor when None)."""
    b = _b()
    x = b.coerce(x)
    if axis is None:
        return b.cumsum(b.reshape(x, (-1,)), 0)
    return b.cumsum(x, int(axis) % _bi.max(len(b.shape(x)), 1))


def logsumexp(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    r""":math:`\log \sum_i e^{x_i}` over ``axis``, computed stably as
    :math:`m + \log \sum_i e^{x_i - m}` with :math:`m = \max_i x_i` (no overflow for large x)."""
    b = _b()
    x = _float(b, x)
    axes = _common.norm_axes(axis, len(b.shape(x)))
    native = getattr(b, "logsumexp", None)
    if native is not None:
        return native(x, axes, bool(keepdims))
    m = b.stop_gradient(b.max(x, axis=axes, keepdims=True))
    m = b.maximum(m, b.full((), -3.0e38, b.dtype_name(m)))     # all -inf: avoid inf - inf
    out = b.log(b.sum(b.exp(x - m), axis=axes, keepdims=True)) + m
    return out if keepdims else b.squeeze(out, axes if axes is not None
                                          else tuple(range(len(b.shape(x)))))


# ============================================================================ linear algebra
def _contract_error(op: str, err: Exception, sa: tuple[int, ...], sb: tuple[int, ...],
                    ka: int | None, kb: int | None) -> Exception:
    if ka is not None and kb is not None and ka != kb:
        return ValueError(f"{op}: shapes {sa} and {sb} do not align: {ka} (last axis of the "
                          f"first) != {kb} (contracted axis of the second)")
    return err


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with numpy's rules (1-D operands, batched leading axes): ``a @ b``."""
    bk = _b()
    a, b = _pair(bk, a, b)
    try:
        return bk.matmul(a, b)
    except Exception as err:
        sa, sb = bk.shape(a), bk.shape(b)
        ka = sa[-1] if sa else None
        kb = (sb[0] if len(sb) == 1 else sb[-2]) if sb else None
        raise _contract_error("matmul", err, sa, sb, ka, kb) from err


def dot(a: Tensor, b: Tensor) -> Tensor:
    """``numpy.dot``: the inner product of two vectors :math:`\\sum_i a_i b_i`, a matrix-vector or
    matrix-matrix product, and for N-D tensors a sum over the last axis of ``a`` and the
    second-to-last of ``b``."""
    bk = _b()
    a, b = _pair(bk, a, b)
    na, nb = len(bk.shape(a)), len(bk.shape(b))
    if na == 0 or nb == 0:
        return a * b
    if na <= 2 and nb <= 2 or nb == 1:
        return matmul(a, b)
    return tensordot(a, b, ([na - 1], [nb - 2]))


def mv(A: Tensor, x: Tensor) -> Tensor:
    """Matrix-vector product :math:`A x` for a matrix ``A`` (m, n) and a vector ``x`` (n,)."""
    sa, sx = shape(A), shape(x)
    if len(sa) != 2 or len(sx) != 1:
        raise ValueError(f"mv needs a matrix and a vector, got shapes {sa} and {sx}")
    return matmul(A, x)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """Outer product :math:`a_i b_j` of two vectors (flattened first, as ``numpy.outer``)."""
    bk = _b()
    a, b = _pair(bk, a, b)
    return bk.reshape(a, (-1, 1)) * bk.reshape(b, (1, -1))


def tensordot(a: Tensor, b: Tensor, axes: int | Sequence[Sequence[int]] = 2) -> Tensor:
    """Sum products over the given axes, as ``numpy.tensordot``."""
    bk = _b()
    a, b = _pair(bk, a, b)
    if not isinstance(axes, (int, _np.integer)):
        axes = [list(_common.shape_tuple(axes[0])), list(_common.shape_tuple(axes[1]))]
    return bk.tensordot(a, b, axes)


def einsum(subscripts: str, *operands: Tensor) -> Tensor:
    """Einstein summation, e.g. ``einsum("ij,jk->ik", A, B)``."""
    b = _b()
    return b.einsum(subscripts, *_same_dtype(b, operands))


def norm(x: Tensor, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    r"""Vector norm of ``x`` over ``axis`` (all elements by default, so a matrix gives its
    Frobenius norm).

    ``ord=None``, ``2`` or ``"fro"``: :math:`\sqrt{\sum_i x_i^2}` (L2 / Frobenius);
    ``ord=1``: :math:`\sum_i |x_i|` (L1); ``ord=inf``: :math:`\max_i |x_i|`.
    """
    b = _b()
    x = _float(b, x)
    axes = _common.norm_axes(axis, len(b.shape(x)))
    if ord in (None, 2, "fro"):
        return b.sqrt(b.sum(x * x, axis=axes, keepdims=bool(keepdims)))
    if ord == 1:
        return b.sum(b.abs(x), axis=axes, keepdims=bool(keepdims))
    if ord == _math.inf:
        return b.max(b.abs(x), axis=axes, keepdims=bool(keepdims))
    raise ValueError(f"norm: unsupported ord {ord!r}; use None/2/'fro' (L2), 1 (L1) or inf")


# ============================================================================ comparison, logic
def equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x == y`` (a bool tensor)."""
    return _binary("equal", x, y)


def not_equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x != y``."""
    return _binary("not_equal", x, y)


def greater(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x > y``."""
    return _binary("greater", x, y)


def greater_equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x >= y``."""
    return _binary("greater_equal", x, y)


def less(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x < y``."""
    return _binary("less", x, y)


def less_equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x <= y``."""
    return _binary("less_equal", x, y)


def _bool(b: Any, x: Tensor) -> Tensor:
    x = b.coerce(x)
    return x if b.dtype_name(x) == "bool" else b.astype(x, "bool")


def logical_and(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise logical and (non-zero counts as true)."""
    b = _b()
    return b.logical_and(_bool(b, x), _bool(b, y))


def logical_or(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise logical or."""
    b = _b()
    return b.logical_or(_bool(b, x), _bool(b, y))


def logical_not(x: Tensor) -> Tensor:
    """Elementwise logical not."""
    b = _b()
    return b.logical_not(_bool(b, x))


# ============================================================================ dtype, conversion
def dtype(x: Tensor) -> str:
    """The dtype of ``x`` as a name: ``"float32"``, ``"int64"``, ``"bool"`` ..."""
    return _dtype_of(x)


def astype(x: Tensor, dtype: Any) -> Tensor:
    """``x`` converted to ``dtype`` (a name such as ``"float64"``, or ``mlbook.float64``)."""
    b = _b()
    return b.astype(b.coerce(x), _common.dtype_name(dtype))


def is_floating(x: Tensor) -> bool:
    """Whether ``x`` has a floating-point dtype."""
    b = _b()
    return b.is_floating(b.coerce(x))


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a tensor of the active backend."""
    return bool(_b().is_native(x))


def to_numpy(x: Tensor) -> _np.ndarray:
    """``x`` as a numpy array (detached from any gradient computation)."""
    b = _b()
    return _np.asarray(b.to_numpy(b.coerce(x)))


def from_numpy(a: _np.ndarray) -> Tensor:
    """A tensor of the active backend from a numpy array, keeping its dtype."""
    return _b().from_numpy(_np.asarray(a))


def item(x: Tensor) -> bool | int | float:
    """The single value of a one-element tensor as a Python scalar."""
    a = to_numpy(x)
    if a.size != 1:
        raise ValueError(f"item() needs a tensor with one element, got shape {a.shape}")
    return a.item()


def tolist(x: Tensor) -> Any:
    """``x`` as (nested) Python lists."""
    return to_numpy(x).tolist()


# ============================================================================ indexing
def _indices(b: Any, indices: Any) -> Tensor:
    idx = b.coerce(indices)
    if b.is_floating(idx):
        raise TypeError(f"indices must be integers, got {b.dtype_name(idx)}")
    return idx if b.dtype_name(idx) == "int64" else b.astype(idx, "int64")


def take(x: Tensor, indices: Any, axis: int | None = None) -> Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` when None), as
    ``numpy.take`` and ``tf.gather``: ``take(x, [2, 0], axis=1)``."""
    b = _b()
    x = b.coerce(x)
    if axis is None:
        x, axis = b.reshape(x, (-1,)), 0
    n = len(b.shape(x))
    axis = int(axis) % _bi.max(n, 1)
    idx = _indices(b, indices)
    length = b.shape(x)[axis]
    host = b.to_numpy(idx)
    if host.size and (host.max() >= length or host.min() < -length):
        raise IndexError(f"take: index {int(host.max() if host.max() >= length else host.min())}"
                         f" is out of range for axis {axis} with length {length}")
    if host.size and host.min() < 0:
        idx = b.from_numpy(host % length)
    return b.take(x, idx, axis)


def gather(x: Tensor, indices: Any, axis: int = 0) -> Tensor:
    """TensorFlow's name for :func:`take`: slices of ``x`` at ``indices`` along ``axis``."""
    return take(x, indices, axis)


def take_along_axis(x: Tensor, indices: Any, axis: int) -> Tensor:
    """Pick one element per position along ``axis``, as ``numpy.take_along_axis`` (and
    ``torch.gather``): for ``y_hat`` (n, q) and labels ``y`` (n,),
    ``take_along_axis(y_hat, expand_dims(y, 1), 1)`` is ``y_hat[i, y[i]]``."""
    b = _b()
    x = b.coerce(x)
    idx = _indices(b, indices)
    sx, si = b.shape(x), b.shape(idx)
    if len(sx) != len(si):
        raise ValueError(f"take_along_axis: x {sx} and indices {si} need the same number of "
                         "axes")
    return b.take_along_axis(x, idx, int(axis) % len(sx))


def one_hot(indices: Any, depth: int, dtype: Any = None) -> Tensor:
    """One-hot encoding: a new last axis of length ``depth`` with 1 at each index (float32)."""
    b = _b()
    idx = _indices(b, indices)
    hot = b.equal(b.expand_dims(idx, -1), b.from_numpy(_np.arange(depth, dtype="int64")))
    return b.astype(hot, _common.dtype_name(dtype or _config.DEFAULT_FLOAT))


def boolean_mask(x: Tensor, mask: Any) -> Tensor:
    """The elements of ``x`` where ``mask`` (same leading shape) is true, as ``x[mask]``."""
    b = _b()
    x, m = b.coerce(x), _bool(b, mask)
    sx, sm = b.shape(x), b.shape(m)
    if sx[:len(sm)] != sm:
        raise ValueError(f"boolean_mask: mask shape {sm} must match the leading axes of {sx}")
    return b.boolean_mask(x, m)


def index_update(x: Tensor, index: Any, value: Any) -> Tensor:
    """A copy of ``x`` with ``x[index] = value`` applied, on every backend (TensorFlow tensors
    are immutable, so mlbook never assigns in place).  ``index`` is anything numpy accepts
    (ints, slices, lists, bool masks, tuples of these); ``value`` broadcasts to the selection.
    Gradients flow to both ``x`` and ``value``.
    """
    b = _b()
    x = b.coerce(x)
    shp = b.shape(x)
    n = _math.prod(shp)
    host_index = _host_index(b, index)
    positions = _np.arange(n).reshape(shp)[host_index]
    selected = _np.shape(positions)
    positions = _np.ravel(positions)
    if positions.size == 0:
        return x
    v = b.coerce(value) if not _common.is_python_scalar(value) else b.full((), value,
                                                                         b.dtype_name(x))
    if b.dtype_name(v) != b.dtype_name(x):
        v = b.astype(v, b.dtype_name(x))
    try:
        v = b.reshape(b.broadcast_to(v, selected), (-1,))
    except Exception as err:
        raise ValueError(f"index_update: value of shape {b.shape(v)} cannot be broadcast to the "
                         f"selection of shape {selected}") from err
    source = _np.zeros(n, dtype="int64")
    source[positions] = _np.arange(positions.size)           # later writes win, as in numpy
    mask = _np.zeros(n, dtype=bool)
    mask[positions] = True
    scattered = b.reshape(b.take(v, b.from_numpy(source), 0), shp)
    return b.where(b.from_numpy(mask.reshape(shp)), scattered, x)


def _host_index(b: Any, index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_host_index(b, i) for i in index)
    if b.is_native(index) or _backends.backend_of(index) is not None:
        return _np.asarray(b.to_numpy(b.coerce(index)))
    return index


# ============================================================================ softmax
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    r""":math:`x_i - \log\sum_j e^{x_j}` along ``axis``, computed stably (see :func:`logsumexp`)."""
    b = _b()
    x = _float(b, x)
    native = getattr(b, "log_softmax", None)
    if native is not None:
        return native(x, int(axis))
    return x - logsumexp(x, axis, keepdims=True)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    r""":math:`e^{x_i} / \sum_j e^{x_j}` along ``axis``, stable for large inputs."""
    b = _b()
    x = _float(b, x)
    native = getattr(b, "softmax", None)
    if native is not None:
        return native(x, int(axis))
    return b.exp(log_softmax(x, axis))
