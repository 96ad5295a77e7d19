"""The numpy backend: plain ``numpy.ndarray`` tensors, gradients from HIPS autograd.

Every function goes through ``autograd.numpy`` so that it can be traced; inside a gradient
computation tensors are autograd ``ArrayBox`` objects wrapping ndarrays.

numpy 1.x promotes a float32 scalar combined with a Python float to float64
(``np.float32(3) * 0.5`` is float64), unlike PyTorch, TensorFlow, MXNet and numpy 2.  Loading
this backend switches numpy 1.x to numpy 2's rule (NEP 50, "weak" Python scalars), so that
``mlbook.sum(x) / n`` stays float32 here as on the other backends.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import autograd.numpy as anp
import numpy as np
from autograd.core import VJPNode, add_outgrads, defvjp, make_vjp
from autograd.extend import primitive
from autograd.numpy.numpy_boxes import ArrayBox
from autograd.tracer import getval, isbox, new_box, toposort, trace_stack

from . import common
from . import backend_of, foreign_error

# float(x), int(x) of a value being differentiated read its value, as on the other backends
# (autograd's ArrayBox defines bool() and len() but not these)
ArrayBox.__float__ = lambda self: float(self._value)
ArrayBox.__int__ = lambda self: int(self._value)

if hasattr(np, "_set_promotion_state"):          # numpy 1.24-1.26; numpy 2 does this already
    np._set_promotion_state("weak")

NAME = "numpy"
_NATIVE = (np.ndarray, np.generic, ArrayBox)


# ----------------------------------------------------------------------------- identity, conversion
def is_native(x: Any) -> bool:
    return isinstance(x, _NATIVE)


def coerce(x: Any) -> Any:
    if isinstance(x, _NATIVE):
        return x
    if isinstance(x, (bool, int, float, list, tuple)):
        return common.host_array(x)
    if backend_of(x) not in (None, NAME):
        raise foreign_error(x, NAME)
    return common.host_array(x)


def from_numpy(a: np.ndarray) -> np.ndarray:
    return np.array(a)


def to_numpy(x: Any) -> np.ndarray:
    return np.asarray(getval(x))


def dtype_name(x: Any) -> str:
    return getval(x).dtype.name


def is_floating(x: Any) -> bool:
    return getval(x).dtype.kind == "f"


def astype(x: Any, dtype: str) -> Any:
    return x.astype(dtype)


def shape(x: Any) -> tuple[int, ...]:
    return tuple(anp.shape(x))


# ----------------------------------------------------------------------------- creation
def zeros(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


def ones(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    return np.ones(shape, dtype=dtype)


def full(shape: tuple[int, ...], value: Any, dtype: str) -> np.ndarray:
    return np.full(shape, value, dtype=dtype)


# ----------------------------------------------------------------------------- shape
reshape = anp.reshape
transpose = anp.transpose
expand_dims = anp.expand_dims
tile = anp.tile


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    extra = len(shape) - anp.ndim(x)                 # autograd's rule needs equal ranks
    if extra > 0:
        x = anp.reshape(x, (1,) * extra + anp.shape(x))
    return anp.broadcast_to(x, shape)


def squeeze(x: Any, axis: tuple[int, ...] | None) -> Any:
    return anp.squeeze(x, axis=axis)


def concat(xs: Sequence[Any], axis: int) -> Any:
    return anp.concatenate(xs, axis=axis)


def stack(xs: Sequence[Any], axis: int) -> Any:
    return anp.stack(xs, axis=axis)


def split(x: Any, sizes: list[int], axis: int) -> list[Any]:
    return list(anp.split(x, np.cumsum(sizes)[:-1].tolist(), axis=axis))


def repeat(x: Any, repeats: int, axis: int | None) -> Any:
    return anp.repeat(x, repeats, axis=axis)


def pad(x: Any, pad_width: tuple[tuple[int, int], ...], value: float) -> Any:
    return anp.pad(x, pad_width, mode="constant", constant_values=value)


# ----------------------------------------------------------------------------- elementwise
exp, log, log1p, sqrt, abs = anp.exp, anp.log, anp.log1p, anp.sqrt, anp.abs
sign, sin, cos, tanh, floor, round = anp.sign, anp.sin, anp.cos, anp.tanh, anp.floor, anp.round
maximum, minimum, power, where = anp.maximum, anp.minimum, anp.power, anp.where


def sigmoid(x: Any) -> Any:
    # 1/(1+exp(-x)) overflows for large negative x; this form is exact and stable.
    return 0.5 * (anp.tanh(0.5 * x) + 1.0)


@primitive
def relu(x: Any) -> Any:
    return np.maximum(x, 0)


# autograd's own maximum splits the gradient at ties (1/2 at 0); relu's is 0 there, as elsewhere
defvjp(relu, lambda ans, x: lambda g: g * (x > 0))


def clip(x: Any, lo: Any, hi: Any) -> Any:
    return anp.clip(x, lo, hi)


# ----------------------------------------------------------------------------- reductions
# each called as f(x, axis=<tuple or None>, keepdims=<bool>)
max, min, prod = anp.max, anp.min, anp.prod
any, all = anp.any, anp.all


# numpy adds float32 numbers one by one along any axis that is not innermost in memory (a conv
# output is channels-last in memory, so a BatchNorm mean over N, H, W of a 64×16×16×16 batch is
# 16,384 sequential additions: 1e-4 relative error in the variance, and the backends'
# gradients disagree by 0.5% after a few residual blocks).  Low-precision floats are therefore
# summed in float64 and rounded once, as accurate as PyTorch's and MXNet's pairwise sums.
@primitive
def _sum_wide(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    return np.asarray(np.sum(x, axis=axis, keepdims=keepdims, dtype=np.float64), dtype=x.dtype)


def _sum_wide_vjp(ans: Any, x: Any, axis: Any, keepdims: bool) -> Callable[[Any], Any]:
    shape = np.shape(x)
    axes = tuple(range(len(shape))) if axis is None else \
        tuple(a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis))
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    return lambda g: anp.broadcast_to(anp.reshape(g, kept), shape)


defvjp(_sum_wide, _sum_wide_vjp)


def _low_float(x: Any) -> bool:
    return np.result_type(x) in (np.float32, np.float16)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    if _low_float(x):
        return _sum_wide(x, axis, keepdims)
    return anp.sum(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    if not _low_float(x):
        return anp.mean(x, axis=axis, keepdims=keepdims)
    shape = np.shape(x)
    count = int(np.prod(shape)) if axis is None else int(np.prod(
        [shape[a] for a in ((axis,) if isinstance(axis, int) else axis)]))
    return _sum_wide(x, axis, keepdims) / np.asarray(count, dtype=np.result_type(x))


def argmax(x: Any, axis: int | None, keepdims: bool) -> np.ndarray:
    return np.asarray(np.argmax(getval(x), axis=axis, keepdims=keepdims), dtype="int64")


def argmin(x: Any, axis: int | None, keepdims: bool) -> np.ndarray:
    return np.asarray(np.argmin(getval(x), axis=axis, keepdims=keepdims), dtype="int64")


def cumsum(x: Any, axis: int) -> Any:
    return anp.cumsum(x, axis=axis)


# ----------------------------------------------------------------------------- linear algebra
matmul, einsum = anp.matmul, anp.einsum


def tensordot(a: Any, b: Any, axes: Any) -> Any:
    return anp.tensordot(a, b, axes=axes)


# ----------------------------------------------------------------------------- comparison, logic
equal, not_equal, greater, greater_equal = anp.equal, anp.not_equal, anp.greater, anp.greater_equal
less, less_equal = anp.less, anp.less_equal
logical_and, logical_or, logical_not = anp.logical_and, anp.logical_or, anp.logical_not


# ----------------------------------------------------------------------------- indexing
def take(x: Any, indices: Any, axis: int) -> Any:
    return x[(slice(None),) * axis + (getval(indices),)]


def take_along_axis(x: Any, indices: Any, axis: int) -> Any:
    idx = np.asarray(getval(indices))
    grids = list(np.indices(idx.shape, sparse=True))
    grids[axis] = idx
    return x[tuple(grids)]


def boolean_mask(x: Any, mask: Any) -> Any:
    return x[np.asarray(getval(mask), dtype=bool)]


# ----------------------------------------------------------------------------- parameters
def make_parameter(x: Any) -> np.ndarray:
    return np.array(getval(x))


def assign(param: np.ndarray, value: Any) -> None:
    param[...] = getval(value)


def assign_sub(param: np.ndarray, delta: Any) -> None:
    param -= getval(delta)


# ----------------------------------------------------------------------------- optimiser kernels
# mlbook's reference updates (mlbook.optim) with numpy's in-place ufuncs: the same float32
# operations in the same order, so the same bits, without a temporary per operation or
# mlbook's dispatch around each one.
def _sgd(params: list[np.ndarray], grads: list[np.ndarray], states: list[dict[str, Any]],
         lrs: list[float], decays: list[float], t: int, momentum: float) -> None:
    for p, g, state, lr, decay in zip(params, grads, states, lrs, decays):
        g = g + decay * p if decay else g
        if momentum:
            v = state["v"]
            v *= momentum
            v += g
            g = v
        p -= lr * g


def _adam(params: list[np.ndarray], grads: list[np.ndarray], states: list[dict[str, Any]],
          lrs: list[float], decays: list[float], t: int, beta1: float, beta2: float,
          eps: float) -> None:
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t
    for p, g, state, lr, decay in zip(params, grads, states, lrs, decays):
        g = g + decay * p if decay else g
        m, v = state["m"], state["v"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        denom = v / c2
        np.sqrt(denom, out=denom)
        denom += eps
        p -= lr * (m / c1) / denom


def _scaled(p: np.ndarray, g: np.ndarray, s: np.ndarray, lr: float, eps: float) -> None:
    """``w <- w - lr g / sqrt(s + eps)`` for RMSProp and Adagrad."""
    denom = s + eps
    np.sqrt(denom, out=denom)
    p -= lr * g / denom


def _rmsprop(params: list[np.ndarray], grads: list[np.ndarray], states: list[dict[str, Any]],
             lrs: list[float], decays: list[float], t: int, gamma: float, eps: float) -> None:
    for p, g, state, lr, decay in zip(params, grads, states, lrs, decays):
        g = g + decay * p if decay else g
        s = state["s"]
        s *= gamma
        s += (1 - gamma) * g * g
        _scaled(p, g, s, lr, eps)


def _adagrad(params: list[np.ndarray], grads: list[np.ndarray], states: list[dict[str, Any]],
             lrs: list[float], decays: list[float], t: int, eps: float) -> None:
    for p, g, state, lr, decay in zip(params, grads, states, lrs, decays):
        g = g + decay * p if decay else g
        s = state["s"]
        s += g * g
        _scaled(p, g, s, lr, eps)


OPTIMIZER_KERNELS = {"sgd": _sgd, "adam": _adam, "rmsprop": _rmsprop, "adagrad": _adagrad}


# ----------------------------------------------------------------------------- convolution, pooling
# Convolution and pooling are autograd primitives with hand-written gradients: im2col through a
# strided view and one tensordot forward, the transposed products backward, and the input
# gradient scattered back with one strided add per kernel offset.  (Differentiating the slices
# with autograd instead allocates a full-size zero array per offset; deep networks train 5-10x
# slower.)  These gradients are first-order only.

def _window_view(xp: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
                 ) -> tuple[np.ndarray, int, int]:
    """All windows of a padded NCHW array as a read-only (N, C, Ho, Wo, kh, kw) view."""
    (kh, kw), (sh, sw) = kernel, stride
    N, C, H, W = xp.shape
    Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
    s = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp, (N, C, Ho, Wo, kh, kw), (s[0], s[1], s[2] * sh, s[3] * sw, s[2], s[3]),
        writeable=False)
    return view, Ho, Wo


def _pad(x: np.ndarray, padding: tuple[int, int], value: float) -> np.ndarray:
    ph, pw = padding
    if not (ph or pw):
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _scatter_windows(parts: Callable[[int, int], np.ndarray], shape: tuple[int, ...],
                     kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
                     dtype: Any) -> np.ndarray:
    """The input gradient: ``parts(i, j)`` (N, C, Ho, Wo) added at kernel offset (i, j) of a
    padded zero array, then the padding cut off."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    N, C, H, W = shape
    out = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype)
    for i in range(kh):
        for j in range(kw):
            part = parts(i, j)
            Ho, Wo = part.shape[2], part.shape[3]
            out[:, :, i:i + sh * (Ho - 1) + 1:sh, j:j + sw * (Wo - 1) + 1:sw] += part
    return out[:, :, ph:ph + H, pw:pw + W]


@primitive
def _conv2d(x: np.ndarray, w: np.ndarray, stride: tuple[int, int],
            padding: tuple[int, int]) -> np.ndarray:
    cols, _, _ = _window_view(_pad(x, padding, 0), w.shape[2:], stride)
    out = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))           # (N, Ho, Wo, O)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _conv2d_grad_x(ans: Any, x: Any, w: Any, stride: Any, padding: Any) -> Callable:
    def vjp(g: np.ndarray) -> np.ndarray:
        dcols = np.tensordot(g, w, axes=([1], [0]))                    # (N, Ho, Wo, C, kh, kw)
        return _scatter_windows(lambda i, j: dcols[..., i, j].transpose(0, 3, 1, 2), x.shape,
                                w.shape[2:], stride, padding, x.dtype)
    return vjp


def _conv2d_grad_w(ans: Any, x: Any, w: Any, stride: Any, padding: Any) -> Callable:
    def vjp(g: np.ndarray) -> np.ndarray:
        cols, _, _ = _window_view(_pad(x, padding, 0), w.shape[2:], stride)
        return np.tensordot(g, cols, axes=([0, 2, 3], [0, 2, 3])).astype(w.dtype)
    return vjp


defvjp(_conv2d, _conv2d_grad_x, _conv2d_grad_w)


def conv2d(x: Any, w: Any, stride: tuple[int, int], padding: tuple[int, int]) -> Any:
    return _conv2d(x, w, tuple(stride), tuple(padding))


# The transposed convolution is the input gradient of a convolution (scatter the kernel scaled
# by each input element); its gradients are a convolution (for x) and the window products of x
# with the output gradient (for w).
@primitive
def _conv_transpose2d(x: np.ndarray, w: np.ndarray, stride: tuple[int, int],
                      padding: tuple[int, int]) -> np.ndarray:
    (kh, kw), (sh, sw), (ph, pw) = w.shape[2:], stride, padding
    N, _, H, W = x.shape
    shape = (N, w.shape[1], (H - 1) * sh + kh - 2 * ph, (W - 1) * sw + kw - 2 * pw)
    parts = np.tensordot(x, w, axes=([1], [0]))                        # (N, H, W, O, kh, kw)
    return _scatter_windows(lambda i, j: parts[..., i, j].transpose(0, 3, 1, 2), shape,
                            (kh, kw), stride, padding, np.result_type(x, w))


def _conv_transpose2d_grad_x(ans: Any, x: Any, w: Any, stride: Any, padding: Any) -> Callable:
    return lambda g: _conv2d(g, w, stride, padding).astype(x.dtype)


def _conv_transpose2d_grad_w(ans: Any, x: Any, w: Any, stride: Any, padding: Any) -> Callable:
    def vjp(g: np.ndarray) -> np.ndarray:
        cols, _, _ = _window_view(_pad(g, padding, 0), w.shape[2:], stride)   # (N,O,H,W,kh,kw)
        return np.tensordot(x, cols, axes=([0, 2, 3], [0, 2, 3])).astype(w.dtype)
    return vjp


defvjp(_conv_transpose2d, _conv_transpose2d_grad_x, _conv_transpose2d_grad_w)


def conv_transpose2d(x: Any, w: Any, stride: tuple[int, int], padding: tuple[int, int]) -> Any:
    return _conv_transpose2d(x, w, tuple(stride), tuple(padding))


@primitive
def _max_pool2d(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int]) -> np.ndarray:
    view, Ho, Wo = _window_view(_pad(x, padding, -np.inf), kernel, stride)
    return np.ascontiguousarray(view.max(axis=(4, 5)))


def _max_pool2d_grad(ans: Any, x: Any, kernel: Any, stride: Any, padding: Any) -> Callable:
    # the gradient goes to the first maximum of each window (row-major), as in PyTorch,
    # TensorFlow and MXNet; with ties (common after ReLU) splitting it would change training
    def vjp(g: np.ndarray) -> np.ndarray:
        view, Ho, Wo = _window_view(_pad(x, padding, -np.inf), kernel, stride)
        first = view.reshape(view.shape[:4] + (-1,)).argmax(axis=4)   # (N, C, Ho, Wo)
        kw = kernel[1]
        return _scatter_windows(lambda i, j: np.where(first == i * kw + j, g, 0), x.shape,
                                kernel, stride, padding, x.dtype)
    return vjp


defvjp(_max_pool2d, _max_pool2d_grad)


@primitive
def _avg_pool2d(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
                padding: tuple[int, int]) -> np.ndarray:
    # the window sums accumulated offset by offset in float64 (exact for float32 inputs, as a
    # float64 mean of the strided view is, and 5x faster than reducing that 6-D view)
    view, _, _ = _window_view(_pad(x, padding, 0), kernel, stride)
    total = view[..., 0, 0].astype(np.float64)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            if i or j:
                total += view[..., i, j]
    return (total / (kernel[0] * kernel[1])).astype(x.dtype)


def _tiles(kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
           shape: tuple[int, ...]) -> bool:
    """Whether the windows tile the input exactly (stride = kernel, no padding, no remainder)."""
    return (tuple(stride) == tuple(kernel) and not any(padding)
            and shape[2] % kernel[0] == 0 and shape[3] % kernel[1] == 0)


def _avg_pool2d_grad(ans: Any, x: Any, kernel: Any, stride: Any, padding: Any) -> Callable:
    def vjp(g: np.ndarray) -> np.ndarray:
        share = (g / (kernel[0] * kernel[1])).astype(x.dtype)
        if _tiles(kernel, stride, padding, x.shape):     # each input in exactly one window
            N, C, Ho, Wo = share.shape
            return np.broadcast_to(share[:, :, :, None, :, None],
                                   (N, C, Ho, kernel[0], Wo, kernel[1])).reshape(x.shape)
        return _scatter_windows(lambda i, j: share, x.shape, kernel, stride, padding, x.dtype)
    return vjp


defvjp(_avg_pool2d, _avg_pool2d_grad)


def max_pool2d(x: Any, kernel: tuple[int, int], stride: tuple[int, int],
               padding: tuple[int, int]) -> Any:
    return _max_pool2d(x, tuple(kernel), tuple(stride), tuple(padding))


def avg_pool2d(x: Any, kernel: tuple[int, int], stride: tuple[int, int],
               padding: tuple[int, int]) -> Any:
    return _avg_pool2d(x, tuple(kernel), tuple(stride), tuple(padding))


# ----------------------------------------------------------------------------- devices
def num_gpus() -> int:
    return 0                                     # numpy computes on the CPU only


def device_of(x: Any) -> tuple[str, int]:
    return ("cpu", 0)


def to_device(x: Any, kind: str, index: int) -> Any:
    if kind != "cpu":
        raise ValueError("the numpy backend has only the CPU")
    return np.array(getval(x))


def parameter_on(x: Any, kind: str, index: int) -> np.ndarray:
    if kind != "cpu":
        raise ValueError("the numpy backend has only the CPU")
    return make_parameter(x)


# ----------------------------------------------------------------------------- autograd
def stop_gradient(x: Any) -> Any:
    return np.asarray(getval(x))


def _cast_like(g: Any, x: Any) -> Any:
    g = np.asarray(g)
    return g.astype(x.dtype) if g.dtype != x.dtype else g


def value_and_grad(fun: Callable[[list[Any]], Any], leaves: list[Any],
                   has_aux: bool) -> tuple[Any, Any, list[Any]]:
    """Evaluate ``fun(leaves)`` and the gradient of its scalar output w.r.t. each leaf."""
    aux_out: list[Any] = []

    def traced(boxed: list[Any]) -> Any:
        out, aux = common.scalar_and_aux(fun(list(boxed)), has_aux, lambda x: x)
        aux_out.append(aux)
        return out

    with warnings.catch_warnings():      # a constant function has a zero gradient: no warning
        warnings.filterwarnings("ignore", "Output seems independent of input")
        vjp, value = make_vjp(traced, list(leaves))
    value = np.asarray(value)
    grads = vjp(np.ones_like(value))
    grads = [_cast_like(g, leaf) for g, leaf in zip(grads, leaves)]
    return value.reshape(()), common.detach_tree(aux_out[0], getval), grads


class Tape:
    """Records computations on watched tensors (an autograd trace), as ``GradientTape`` does."""

    def __init__(self, persistent: bool = False) -> None:
        self._trace: int | None = None          # a trace is kept whatever ``persistent`` says
        self._context: Any = None

    def __enter__(self) -> "Tape":
        self._context = trace_stack.new_trace()
        self._trace = self._context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._context.__exit__(*exc)

    def watch(self, x: Any) -> Any:
        x = np.asarray(getval(coerce(x)))
        return new_box(x, self._trace, VJPNode.new_root())

    def gradient(self, y: Any, sources: list[Any], head: Any = None) -> list[Any]:
        if not (isbox(y) and y._trace == self._trace):
            return [np.zeros_like(getval(s)) for s in sources]
        wanted = {id(s._node): i for i, s in enumerate(sources) if isbox(s)}
        grads: list[Any] = [None] * len(sources)
        seed = np.ones_like(getval(y)) if head is None else np.asarray(getval(head))
        outgrads = {y._node: (seed, False)}
        for node in toposort(y._node):
            outgrad = outgrads.pop(node)
            if id(node) in wanted:
                grads[wanted[id(node)]] = outgrad[0]
            for parent, ingrad in zip(node.parents, node.vjp(outgrad[0])):
                outgrads[parent] = add_outgrads(outgrads.get(parent), ingrad)
        return [np.zeros_like(getval(s)) if g is None else _cast_like(g, getval(s))
                for g, s in zip(grads, sources)]
