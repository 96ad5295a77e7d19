"""Softmax, cross-entropy, convolution and pooling.

Convolution and pooling take NCHW tensors.  Each backend uses its native kernel
(``torch.nn.functional``, ``mxnet.npx``, ``tf.nn`` with an NHWC transpose, ``jax.lax``); the
numpy backend has hand-written im2col kernels with their gradients.  Output size along each
spatial axis:

.. math:: \\lfloor (n + 2p - k) / s \\rfloor + 1

for input size :math:`n`, padding :math:`p`, kernel :math:`k` and stride :math:`s`.
Average pooling counts the zero padding (``count_include_pad=True`` in PyTorch terms);
max pooling pads with :math:`-\\infty`.
"""

from __future__ import annotations

from typing import Any

from ..backends import common
from .core import Tensor, as_float, backend
from .reductions import logsumexp


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    r""":math:`x_i - \log\sum_j e^{x_j}` along ``axis``, computed stably (see :func:`logsumexp`).

    >>> mb.show(mb.log_softmax(mb.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])), decimals=4)
    tensor([[-2.4076, -1.4076, -0.4076],
            [-1.0986, -1.0986, -1.0986]], shape=(2, 3), dtype=float32)
    >>> mb.show(mb.log_softmax(mb.array([1000.0, 0.0])))    # log(softmax) would give -inf
    tensor([    0., -1000.], shape=(2,), dtype=float32)
    """
    b = backend()
    x = as_float(b, x)
    axis = common.norm_axis(axis, len(b.shape(x)), "log_softmax")
    native = getattr(b, "log_softmax", None)
    if native is not None:
        return native(x, axis)
    lse = logsumexp(x, axis, keepdims=True)
    # (lse - lse) * 0 is 0 for a finite lse (no bit changes) and NaN for +inf, so that a row
    # with +inf is NaN throughout, as in the frameworks' own log_softmax
    return x - lse + (lse - lse) * 0


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    r""":math:`e^{x_i} / \sum_j e^{x_j}` along ``axis``, stable for large inputs.

    >>> mb.show(mb.softmax(mb.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])), decimals=4)
    tensor([[0.09  , 0.2447, 0.6652],
            [0.3333, 0.3333, 0.3333]], shape=(2, 3), dtype=float32)
    >>> mb.show(mb.softmax(mb.array([[1.0, 2.0], [1.0, 4.0]]), axis=0), decimals=4)  # columns
    tensor([[0.5   , 0.1192],
            [0.5   , 0.8808]], shape=(2, 2), dtype=float32)
    >>> mb.show(mb.softmax(mb.array([1000.0, 0.0])))     # exp(1000) would overflow
    tensor([1., 0.], shape=(2,), dtype=float32)
    """
    b = backend()
    x = as_float(b, x)
    axis = common.norm_axis(axis, len(b.shape(x)), "softmax")
    native = getattr(b, "softmax", None)
    if native is not None:
        return native(x, axis)
    return b.exp(log_softmax(x, axis))


def fused_cross_entropy(logits: Tensor, labels: Tensor) -> Tensor | None:
    """Per-example softmax cross-entropy of 2-D float ``logits`` and int64 ``labels`` from the
    backend's fused kernel, or None when the backend has none (the caller computes it from
    :func:`logsumexp`)."""
    b = backend()
    native = getattr(b, "cross_entropy", None)
    return None if native is None else native(b.coerce(logits), b.coerce(labels))


def window_pair(v: int | tuple[int, int], what: str) -> tuple[int, int]:
    """A kernel size, stride or padding given as an int or a pair, as a checked pair of ints."""
    pair = (int(v), int(v)) if isinstance(v, int) else tuple(int(i) for i in v)
    low = 0 if what == "padding" else 1
    if len(pair) != 2 or min(pair) < low:
        raise ValueError(f"{what} must be an int or a pair of ints >= {low}, got {v!r}")
    return pair  # type: ignore[return-value]


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Length of a convolution or pooling output along one axis: ``(n + 2p - k) // s + 1``.

    >>> from mlbook.nn import functional as F
    >>> F.conv_output_size(28, 5), F.conv_output_size(28, 5, padding=2)
    (24, 28)
    >>> F.conv_output_size(28, 3, stride=2, padding=1)     # (28 + 2 - 3) // 2 + 1
    14
    """
    return (n + 2 * padding - kernel) // stride + 1


def _check_input(name: str, x: Any, kernel: tuple[int, int], padding: tuple[int, int]) -> None:
    shape = backend().shape(x)
    if len(shape) != 4:
        raise ValueError(f"{name} needs an NCHW input with 4 axes, got shape {shape}")
    for axis, n, k, p in zip("HW", shape[2:], kernel, padding):
        if n + 2 * p < k:
            raise ValueError(f"{name}: kernel {k} is larger than the padded input along {axis} "
                             f"({n} + 2*{p}); input shape {shape}")


def _conv_arguments(name: str, x: Any, weight: Any, stride: Any, padding: Any,
                    transposed: bool) -> tuple[Any, Any, tuple[int, ...], tuple[int, int],
                                               tuple[int, int]]:
    """The checks :func:`conv2d` and :func:`conv_transpose2d` share: a 4-axis weight, an NCHW
    input whose channels match the weight's input axis (axis 1, or 0 when ``transposed``),
    and stride and padding pairs.  Returns ``(x, weight, weight shape, stride, padding)``."""
    b = backend()
    x, weight = b.coerce(x), b.coerce(weight)
    ws = b.shape(weight)
    layout = "(in, out, kh, kw)" if transposed else "(out, in, kh, kw)"
    if len(ws) != 4:
        raise ValueError(f"{name} needs a weight of shape {layout}, got {ws}")
    stride, padding = window_pair(stride, "stride"), window_pair(padding, "padding")
    shape = b.shape(x)
    if len(shape) != 4:
        raise ValueError(f"{name} needs an NCHW input with 4 axes, got shape {shape}")
    expected = ws[0] if transposed else ws[1]
    if shape[1] != expected:
        raise ValueError(f"{name}: input has {shape[1]} channels but the weight expects "
                         f"{expected} (weight shape {ws}, laid out {layout})")
    return x, weight, ws, stride, padding


def conv2d(x: Any, weight: Any, bias: Any = None, stride: int | tuple[int, int] = 1,
           padding: int | tuple[int, int] = 0) -> Any:
    """2-D cross-correlation of ``x`` (N, C, H, W) with ``weight`` (O, C, kh, kw), plus ``bias``
    (O,) if given: :math:`y_{n,o,i,j} = b_o + \\sum_{c,a,b} x_{n,c,si+a,sj+b} w_{o,c,a,b}`.

    >>> from mlbook.nn import functional as F
    >>> x = mb.reshape(mb.arange(9.0), (1, 1, 3, 3))
    >>> w = mb.array([[[[1.0, 0.0], [0.0, -1.0]]]])        # x[i, j] - x[i + 1, j + 1]
    >>> mb.show(F.conv2d(x, w, bias=mb.array([10.0])))
    tensor([[[[6., 6.],
              [6., 6.]]]], shape=(1, 1, 2, 2), dtype=float32)
    >>> mb.shape(F.conv2d(mb.ones((8, 3, 28, 28)), mb.ones((16, 3, 5, 5)), padding=2))
    (8, 16, 28, 28)
    >>> F.conv2d(mb.ones((3, 28, 28)), mb.ones((16, 3, 5, 5)))     # one image needs a batch axis
    Traceback (most recent call last):
    ValueError: conv2d needs an NCHW input with 4 axes, got shape (3, 28, 28)
    """
    b = backend()
    x, weight, ws, stride, padding = _conv_arguments("conv2d", x, weight, stride, padding,
                                                     transposed=False)
    _check_input("conv2d", x, ws[2:], padding)
    if bias is not None and hasattr(b, "conv2d_bias"):   # one native call instead of three
        return b.conv2d_bias(x, weight, b.coerce(bias), stride, padding)
    out = b.conv2d(x, weight, stride, padding)
    if bias is not None:
        out = out + b.reshape(b.coerce(bias), (1, -1, 1, 1))
    return out


def conv_transpose_output_size(n: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """Length of a transposed convolution's output along one axis: ``(n - 1) s + k - 2p``, the
    input length of the convolution it is the adjoint of.

    >>> from mlbook.nn import functional as F
    >>> F.conv_transpose_output_size(14, 4, stride=2, padding=1)   # doubles the size
    28
    >>> F.conv_output_size(28, 4, stride=2, padding=1)             # the convolution halves it
    14
    """
    return (n - 1) * stride + kernel - 2 * padding


def conv_transpose2d(x: Any, weight: Any, bias: Any = None, stride: int | tuple[int, int] = 1,
                     padding: int | tuple[int, int] = 0) -> Any:
    r"""2-D transposed convolution of ``x`` (N, C, H, W) with ``weight`` (C, O, kh, kw) (the
    layout of PyTorch, MXNet and Keras: input channels first), plus ``bias`` (O,) if given.

    Every input element scatters a copy of the kernel, scaled by its value, into the output at
    stride :math:`s`; then :math:`p` rows and columns are cut from each border:

    .. math:: y_{n,o,\,s i + a - p,\,s j + b - p} \mathrel{+}= x_{n,c,i,j}\, w_{c,o,a,b}

    so the output has :math:`(n - 1)s + k - 2p` rows (:func:`conv_transpose_output_size`).  It
    is the adjoint of :func:`conv2d` with the same weight, stride and padding,

    .. math:: \langle \mathrm{conv2d}(z, w), x\rangle
              = \langle z, \mathrm{conv\_transpose2d}(x, w)\rangle,

    i.e. the gradient of a convolution with respect to its input.

    >>> from mlbook.nn import functional as F
    >>> x = mb.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> mb.show(F.conv_transpose2d(x, mb.ones((1, 1, 2, 2)), stride=2))   # a block per input
    tensor([[[[1., 1., 2., 2.],
              [1., 1., 2., 2.],
              [3., 3., 4., 4.],
              [3., 3., 4., 4.]]]], shape=(1, 1, 4, 4), dtype=float32)
    >>> w = mb.ones((4, 2, 4, 4))                         # (in, out, kh, kw)
    >>> mb.shape(F.conv_transpose2d(mb.ones((1, 4, 7, 7)), w, stride=2, padding=1))
    (1, 2, 14, 14)
    >>> w = mb.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> g = mb.grad(lambda z: mb.sum(F.conv2d(z, w, stride=2) * x))(mb.zeros((1, 1, 4, 4)))
    >>> mb.item(mb.all(mb.equal(g, F.conv_transpose2d(x, w, stride=2))))
    True
    """
    b = backend()
    x, weight, ws, stride, padding = _conv_arguments("conv_transpose2d", x, weight, stride,
                                                     padding, transposed=True)
    for axis, n, k, s, p in zip("HW", b.shape(x)[2:], ws[2:], stride, padding):
        size = conv_transpose_output_size(n, k, s, p)
        if size < 1:
            raise ValueError(f"conv_transpose2d: padding {p} cuts away the whole output along "
                             f"{axis} ((n - 1)*s + k - 2p = {size} for n={n}, k={k}, s={s}); "
                             f"use a smaller padding")
    out = b.conv_transpose2d(x, weight, stride, padding)
    if bias is not None:
        out = out + b.reshape(b.coerce(bias), (1, -1, 1, 1))
    return out


def max_pool2d(x: Any, kernel_size: int | tuple[int, int], stride: Any = None,
               padding: int | tuple[int, int] = 0) -> Any:
    """Maximum over each ``kernel_size`` window (stride defaults to the kernel size).

    >>> from mlbook.nn import functional as F
    >>> x = mb.reshape(mb.arange(16.0), (1, 1, 4, 4))
    >>> mb.show(F.max_pool2d(x, 2))
    tensor([[[[ 5.,  7.],
              [13., 15.]]]], shape=(1, 1, 2, 2), dtype=float32)
    >>> mb.show(F.max_pool2d(x, 3, stride=1))
    tensor([[[[10., 11.],
              [14., 15.]]]], shape=(1, 1, 2, 2), dtype=float32)
    """
    return _pool("max_pool2d", x, kernel_size, stride, padding)


def avg_pool2d(x: Any, kernel_size: int | tuple[int, int], stride: Any = None,
               padding: int | tuple[int, int] = 0) -> Any:
    """Mean over each ``kernel_size`` window (stride defaults to the kernel size).

    >>> from mlbook.nn import functional as F
    >>> x = mb.reshape(mb.arange(16.0), (1, 1, 4, 4))
    >>> mb.show(F.avg_pool2d(x, 2))
    tensor([[[[ 2.5,  4.5],
              [10.5, 12.5]]]], shape=(1, 1, 2, 2), dtype=float32)
    >>> mb.show(F.avg_pool2d(x, 2, padding=1))      # the zero padding counts in the mean
    tensor([[[[0.  , 0.75, 0.75],
              [3.  , 7.5 , 4.5 ],
              [3.  , 6.75, 3.75]]]], shape=(1, 1, 3, 3), dtype=float32)
    """
    return _pool("avg_pool2d", x, kernel_size, stride, padding)


def _pool(name: str, x: Any, kernel_size: Any, stride: Any, padding: Any) -> Any:
    b = backend()
    x = b.coerce(x)
    kernel = window_pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else window_pair(stride, "stride")
    padding = window_pair(padding, "padding")
    if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel {kernel}")
    _check_input(name, x, kernel, padding)
    return getattr(b, name)(x, kernel, stride, padding)
