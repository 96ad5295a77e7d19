"""Layers written once on mlbook's neutral ops (as Keras 3 layers are written on ``keras.ops``).

Conventions, the same on every backend: images are NCHW; ``Linear`` computes
:math:`y = xW + b` with ``weight`` of shape (in, out); convolution weights are (out, in, kh, kw);
BatchNorm updates its running statistics as

.. math:: \\hat\\mu \\leftarrow (1 - m)\\,\\hat\\mu + m\\,\\mu_B, \\qquad
          \\hat\\sigma^2 \\leftarrow (1 - m)\\,\\hat\\sigma^2 + m\\,\\sigma_B^2

with momentum :math:`m` = 0.1 (PyTorch's convention; Keras writes 0.99 for :math:`1 - m`) and the
biased batch variance :math:`\\sigma_B^2`, and normalises with :math:`\\epsilon` = 1e-5.
"""

from __future__ import annotations

from typing import Any


from .. import compiled
from .. import init as _init
from .. import ops
from ..autograd import stop_gradient
from . import functional as F
from .module import Module, Parameter

__all__ = ["Linear", "LazyLinear", "Dense", "Flatten", "ReLU", "Sigmoid", "Tanh", "Softmax",
           "Dropout", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "GlobalAvgPool2d",
           "BatchNorm", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding"]


def init_parameter(init: Any, shape: tuple[int, ...], fan_in: int, fan_out: int) -> Parameter:
    """A parameter of ``shape`` drawn by initialiser ``init`` (given the layer's fans)."""
    return Parameter(ops.from_numpy(init(shape, fan_in, fan_out)))


class _WeightAndBias(Module):
    """What Linear and Conv2d share: a weight that may be shaped lazily and an optional bias,
    drawn by their initialisers with the fans the subclass reports (weight first, then bias)."""

    def _declare(self, bias: bool, weight_init: Any, bias_init: Any) -> None:
        self.use_bias = bias
        self.weight_init = weight_init or _init.xavier("uniform")
        self.bias_init = bias_init or _init.zeros()
        self.weight = Parameter(None)
        self.bias = Parameter(None) if bias else None

    def _create(self, weight_shape: tuple[int, ...], bias_size: int) -> None:
        fan_in, fan_out = self.fans("weight")
        self.weight = init_parameter(self.weight_init, weight_shape, fan_in, fan_out)
        if self.use_bias:
            self.bias = init_parameter(self.bias_init, (bias_size,), fan_in, fan_out)


class Linear(_WeightAndBias):
    """Fully connected layer :math:`y = xW + b`, ``weight`` (in, out), ``bias`` (out,).

    ``in_features=None`` makes it lazy: the input size is read from the first input (as
    ``torch.nn.LazyLinear`` and Keras ``Dense``).  Weights default to Xavier-uniform, biases to 0.

    >>> mb.seed(0)
    >>> net = nn.Linear(3, 2)
    >>> net
    Linear(in_features=3, out_features=2)
    >>> mb.shape(net.weight), mb.shape(net.bias)           # weight (in, out): y = xW + b
    ((3, 2), (2,))
    >>> x = mb.array([[1.0, 2.0, 3.0]])
    >>> mb.show(net(x), decimals=4)
    tensor([[0.3477, 0.0901]], shape=(1, 2), dtype=float32)
    >>> mb.show(mb.matmul(x, net.weight) + net.bias, decimals=4)
    tensor([[0.3477, 0.0901]], shape=(1, 2), dtype=float32)
    >>> net(mb.ones((4, 5)))
    Traceback (most recent call last):
    ValueError: Linear(3, 2) got an input with 5 features (shape (4, 5))
    """

    def __init__(self, in_features: int | None, out_features: int | None = None,
                 bias: bool = True, weight_init: Any = None, bias_init: Any = None) -> None:
        super().__init__()
        if out_features is None:                  # Linear(out) is the lazy form, as Dense(out)
            in_features, out_features = None, in_features
        self.in_features, self.out_features = in_features, out_features
        self._declare(bias, weight_init, bias_init)
        if in_features is not None:
            self._build(in_features)

    def _build(self, in_features: int) -> None:
        self.in_features = in_features
        self._create((in_features, self.out_features), self.out_features)

    def fans(self, name: str) -> tuple[int, int]:
        return self.in_features, self.out_features

    def forward(self, x: Any) -> Any:
        if self.weight is None:
            self._build(ops.shape(x)[-1])
        shape = ops.shape(x)
        if shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) got an input with "
                             f"{shape[-1]} features (shape {shape})")
        y = ops.matmul(x, self.weight)
        return y + self.bias if self.use_bias else y

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"


def LazyLinear(out_features: int, bias: bool = True, **kwargs: Any) -> Linear:
    """A :class:`Linear` layer whose input size is inferred on the first call.

    >>> layer = nn.LazyLinear(2)
    >>> layer
    Linear(in_features=None, out_features=2)
    >>> mb.shape(layer(mb.ones((4, 5))))
    (4, 2)
    >>> layer                                     # the first input fixed the input size
    Linear(in_features=5, out_features=2)
    >>> mb.shape(layer.weight)
    (5, 2)
    >>> nn.Dense is nn.LazyLinear
    True
    """
    return Linear(None, out_features, bias=bias, **kwargs)


Dense = LazyLinear


class Flatten(Module):
    """Flatten all axes but the first (the batch): (N, C, H, W) -> (N, C*H*W).

    >>> x = mb.reshape(mb.arange(8), (2, 2, 1, 2))
    >>> mb.show(nn.Flatten()(x))
    tensor([[0, 1, 2, 3],
            [4, 5, 6, 7]], shape=(2, 4), dtype=int64)
    >>> mb.shape(nn.Flatten()(mb.ones((4, 3, 28, 28))))
    (4, 2352)
    """

    def forward(self, x: Any) -> Any:
        return ops.flatten(x, 1)


class ReLU(Module):
    """:math:`\\max(x, 0)`.

    >>> mb.show(nn.ReLU()(mb.array([-2.0, -0.5, 0.0, 1.5])))
    tensor([0. , 0. , 0. , 1.5], shape=(4,), dtype=float32)
    >>> mb.show(mb.grad(lambda x: mb.sum(nn.ReLU()(x)))(mb.array([-2.0, 1.5])))   # 0 or 1
    tensor([0., 1.], shape=(2,), dtype=float32)
    """

    def forward(self, x: Any) -> Any:
        return ops.relu(x)


class Sigmoid(Module):
    """:math:`1 / (1 + e^{-x})`.

    >>> mb.show(nn.Sigmoid()(mb.array([-2.0, 0.0, 2.0])), decimals=4)
    tensor([0.1192, 0.5   , 0.8808], shape=(3,), dtype=float32)
    >>> mb.show(mb.grad(lambda x: mb.sum(nn.Sigmoid()(x)))(mb.array([0.0])))    # s (1 - s)
    tensor([0.25], shape=(1,), dtype=float32)
    """

    def forward(self, x: Any) -> Any:
        return ops.sigmoid(x)


class Tanh(Module):
    """:math:`\\tanh x`.

    >>> mb.show(nn.Tanh()(mb.array([-2.0, 0.0, 2.0])), decimals=4)
    tensor([-0.964,  0.   ,  0.964], shape=(3,), dtype=float32)
    >>> mb.show(mb.grad(lambda x: mb.sum(nn.Tanh()(x)))(mb.array([0.0])))     # 1 - tanh^2
    tensor([1.], shape=(1,), dtype=float32)
    """

    def forward(self, x: Any) -> Any:
        return ops.tanh(x)


class Softmax(Module):
    """Softmax along ``axis`` (the last by default).

    >>> x = mb.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    >>> mb.show(nn.Softmax()(x), decimals=4)              # each row sums to 1
    tensor([[0.09  , 0.2447, 0.6652],
            [0.3333, 0.3333, 0.3333]], shape=(2, 3), dtype=float32)
    >>> mb.show(nn.Softmax(axis=0)(x), decimals=4)        # each column sums to 1
    tensor([[0.018 , 0.0474, 0.1192],
            [0.982 , 0.9526, 0.8808]], shape=(2, 3), dtype=float32)
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Any) -> Any:
        return ops.softmax(x, self.axis)


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p`` and scale the
    rest by :math:`1/(1-p)` so the expectation is unchanged; the identity in prediction.
    The mask comes from mlbook's seeded generator (the same on every backend).

    >>> drop = nn.Dropout(0.5)
    >>> x = mb.ones((2, 4))
    >>> mb.show(drop(x))                 # in prediction (the default outside training): identity
    tensor([[1., 1., 1., 1.],
            [1., 1., 1., 1.]], shape=(2, 4), dtype=float32)
    >>> mb.seed(0)
    >>> mb.show(drop.train()(x))         # in training: about half zeroed, the rest times 2
    tensor([[2., 0., 0., 0.],
            [2., 2., 2., 2.]], shape=(2, 4), dtype=float32)
    >>> nn.Dropout(1.0)
    Traceback (most recent call last):
    ValueError: dropout probability must be in [0, 1), got 1.0
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0:
            return x
        return x * compiled.dropout_mask(self, ops.shape(x), ops.dtype(x))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Conv2d(_WeightAndBias):
    """2-D convolution on NCHW input, ``weight`` (out, in, kh, kw), ``bias`` (out,).
    ``in_channels=None`` infers it from the first input (as ``LazyConv2d``).

    >>> conv = nn.Conv2d(1, 1, kernel_size=2, bias=False, weight_init=init.constant(1.0))
    >>> x = mb.reshape(mb.arange(9.0), (1, 1, 3, 3))
    >>> mb.show(x[0, 0])
    tensor([[0., 1., 2.],
            [3., 4., 5.],
            [6., 7., 8.]], shape=(3, 3), dtype=float32)
    >>> mb.show(conv(x))                 # each output: the sum of a 2x2 window
    tensor([[[[ 8., 12.],
              [20., 24.]]]], shape=(1, 1, 2, 2), dtype=float32)
    >>> mb.shape(conv.weight)            # (out, in, kh, kw)
    (1, 1, 2, 2)
    >>> conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
    >>> mb.shape(conv(mb.ones((2, 3, 5, 5))))
    (2, 8, 5, 5)
    >>> mb.shape(nn.Conv2d(None, 8, kernel_size=3, stride=2)(mb.ones((2, 3, 5, 5))))
    (2, 8, 2, 2)
    """

    def __init__(self, in_channels: int | None, out_channels: int,
                 kernel_size: int | tuple[int, int], stride: int | tuple[int, int] = 1,
                 padding: int | tuple[int, int] = 0, bias: bool = True,
                 weight_init: Any = None, bias_init: Any = None) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = ops.window_pair(kernel_size, "kernel_size")
        self.stride, self.padding = stride, padding
        self._declare(bias, weight_init, bias_init)
        if in_channels is not None:
            self._build(in_channels)

    def fans(self, name: str) -> tuple[int, int]:
        k = self.kernel_size[0] * self.kernel_size[1]
        return self.in_channels * k, self.out_channels * k

    def _build(self, in_channels: int) -> None:
        self.in_channels = in_channels
        self._create((self.out_channels, in_channels) + self.kernel_size, self.out_channels)

    def forward(self, x: Any) -> Any:
        if self.weight is None:
            self._build(ops.shape(x)[1])
        return F.conv2d(x, self.weight, self.bias if self.use_bias else None, self.stride,
                        self.padding)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


class ConvTranspose2d(Conv2d):
    """2-D transposed convolution on NCHW input (:func:`~mlbook.nn.functional.conv_transpose2d`),
    ``weight`` (in, out, kh, kw) as in PyTorch, ``bias`` (out,): it upsamples by ``stride``,
    giving :math:`(n - 1)s + k - 2p` rows.  ``in_channels=None`` infers it from the first
    input.  Fans are counted as PyTorch does (``in`` fan from ``weight.shape[1]``, the output
    channels), so default initialisations match ``torch.nn.ConvTranspose2d``'s scale.

    >>> up = nn.ConvTranspose2d(1, 1, kernel_size=2, stride=2, bias=False,
    ...                         weight_init=init.constant(1.0))
    >>> x = mb.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    >>> mb.show(up(x))                   # each pixel spread over a 2x2 block
    tensor([[[[1., 1., 2., 2.],
              [1., 1., 2., 2.],
              [3., 3., 4., 4.],
              [3., 3., 4., 4.]]]], shape=(1, 1, 4, 4), dtype=float32)
    >>> mb.shape(up.weight)              # (in, out, kh, kw)
    (1, 1, 2, 2)
    >>> up = nn.ConvTranspose2d(4, 2, kernel_size=3, stride=2, padding=1)
    >>> mb.shape(up(mb.ones((1, 4, 5, 5))))   # (5 - 1) * 2 + 3 - 2 * 1 = 9
    (1, 2, 9, 9)
    """

    def fans(self, name: str) -> tuple[int, int]:
        k = self.kernel_size[0] * self.kernel_size[1]
        return self.out_channels * k, self.in_channels * k

    def _build(self, in_channels: int) -> None:
        self.in_channels = in_channels
        self._create((in_channels, self.out_channels) + self.kernel_size, self.out_channels)

    def forward(self, x: Any) -> Any:
        if self.weight is None:
            self._build(ops.shape(x)[1])
        return F.conv_transpose2d(x, self.weight, self.bias if self.use_bias else None,
                                  self.stride, self.padding)


class MaxPool2d(Module):
    """Max pooling over ``kernel_size`` windows (stride defaults to the kernel size).

    >>> x = mb.reshape(mb.arange(16.0), (1, 1, 4, 4))
    >>> mb.show(nn.MaxPool2d(2)(x))
    tensor([[[[ 5.,  7.],
              [13., 15.]]]], shape=(1, 1, 2, 2), dtype=float32)
    >>> mb.show(nn.MaxPool2d(3, stride=1, padding=1)(x))
    tensor([[[[ 5.,  6.,  7.,  7.],
              [ 9., 10., 11., 11.],
              [13., 14., 15., 15.],
              [13., 14., 15., 15.]]]], shape=(1, 1, 4, 4), dtype=float32)
    """

    def __init__(self, kernel_size: int | tuple[int, int], stride: Any = None,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Any) -> Any:
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(MaxPool2d):
    """Average pooling over ``kernel_size`` windows (zero padding counts in the average).

    >>> x = mb.reshape(mb.arange(16.0), (1, 1, 4, 4))
    >>> mb.show(nn.AvgPool2d(2)(x))
    tensor([[[[ 2.5,  4.5],
              [10.5, 12.5]]]], shape=(1, 1, 2, 2), dtype=float32)
    >>> mb.show(nn.AvgPool2d(2, padding=1)(mb.ones((1, 1, 2, 2))))   # zeros padded count
    tensor([[[[0.25, 0.25],
              [0.25, 0.25]]]], shape=(1, 1, 2, 2), dtype=float32)
    """

    def forward(self, x: Any) -> Any:
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` (H, W); the input size must be a multiple of it
    (``(1, 1)`` is global average pooling, NiN's and ResNet's head).

    >>> x = mb.reshape(mb.arange(16.0), (1, 1, 4, 4))
    >>> mb.show(nn.AdaptiveAvgPool2d((2, 1))(x))
    tensor([[[[ 3.5],
              [11.5]]]], shape=(1, 1, 2, 1), dtype=float32)
    >>> mb.show(nn.AdaptiveAvgPool2d(1)(x))
    tensor([[[[7.5]]]], shape=(1, 1, 1, 1), dtype=float32)
    >>> nn.AdaptiveAvgPool2d(3)(x)
    Traceback (most recent call last):
    ValueError: AdaptiveAvgPool2d(3, 3): input 4x4 is not a multiple of the output size
    """

    def __init__(self, output_size: int | tuple[int, int]) -> None:
        super().__init__()
        self.output_size = ops.window_pair(output_size, "output_size")

    def forward(self, x: Any) -> Any:
        n, c, h, w = ops.shape(x)
        oh, ow = self.output_size
        if h % oh or w % ow:
            raise ValueError(f"AdaptiveAvgPool2d{self.output_size}: input {h}x{w} is not a "
                             "multiple of the output size")
        return ops.mean(ops.reshape(x, (n, c, oh, h // oh, ow, w // ow)), axis=(3, 5))


class GlobalAvgPool2d(Module):
    """Mean over the spatial axes: (N, C, H, W) -> (N, C, 1, 1).

    >>> x = mb.reshape(mb.arange(8.0), (1, 2, 2, 2))
    >>> y = nn.GlobalAvgPool2d()(x)
    >>> mb.shape(y)
    (1, 2, 1, 1)
    >>> mb.show(y[0, :, 0, 0])                  # the mean of each channel
    tensor([1.5, 5.5], shape=(2,), dtype=float32)
    >>> mb.shape(nn.GlobalAvgPool2d()(mb.ones((4, 16, 7, 7))))
    (4, 16, 1, 1)
    """

    def forward(self, x: Any) -> Any:
        return ops.mean(x, axis=(2, 3), keepdims=True)


class BatchNorm(Module):
    """Batch normalisation over the batch (and spatial) axes, one scale ``gamma`` and shift
    ``beta`` per feature/channel.  In training it normalises with the batch statistics and
    updates ``running_mean``/``running_var`` (see the module docstring for the rule); in
    prediction it uses the running statistics.  Input (N, C) or (N, C, H, W).

    >>> bn = nn.BatchNorm(2)
    >>> x = mb.array([[1.0, 10.0], [3.0, 30.0]])
    >>> mb.show(bn.train()(x), decimals=4)    # in training: each feature normalised over the batch
    tensor([[-1., -1.],
            [ 1.,  1.]], shape=(2, 2), dtype=float32)
    >>> mb.show(bn.running_mean)              # 0.9 * 0 + 0.1 * [2, 20]
    tensor([0.2, 2. ], shape=(2,), dtype=float32)
    >>> mb.show(bn.running_var, decimals=4)   # 0.9 * 1 + 0.1 * [1, 100]
    tensor([ 1. , 10.9], shape=(2,), dtype=float32)
    >>> mb.show(bn.eval()(x), decimals=4)     # in prediction: the running statistics
    tensor([[0.8   , 2.4231],
            [2.8   , 8.481 ]], shape=(2, 2), dtype=float32)
    >>> nn.BatchNorm1d is nn.BatchNorm2d is nn.BatchNorm
    True
    >>> bn = nn.BatchNorm()                   # lazy: the channels from the first input
    >>> mb.shape(bn(mb.ones((2, 3, 4, 4)))), mb.shape(bn.gamma)
    ((2, 3, 4, 4), (3,))
    """

    MOMENTUM = 0.1
    EPS = 1e-5

    def __init__(self, num_features: int | None = None, momentum: float = MOMENTUM,
                 eps: float = EPS) -> None:
        super().__init__()
        self.num_features, self.momentum, self.eps = num_features, momentum, eps
        self.gamma = Parameter(None)
        self.beta = Parameter(None)
        self.register_buffer("running_mean", None)
        self.register_buffer("running_var", None)
        if num_features is not None:
            self._build(num_features)

    def _build(self, n: int) -> None:
        self.num_features = n
        self.gamma = Parameter(ops.ones(n))
        self.beta = Parameter(ops.zeros(n))
        self.register_buffer("running_mean", ops.zeros(n))
        self.register_buffer("running_var", ops.ones(n))

    def forward(self, x: Any) -> Any:
        shape = ops.shape(x)
        if len(shape) not in (2, 4):
            raise ValueError(f"BatchNorm expects (N, C) or (N, C, H, W) input, got {shape}")
        if self.gamma is None:
            self._build(shape[1])
        axes = (0,) if len(shape) == 2 else (0, 2, 3)
        view = (1, -1) if len(shape) == 2 else (1, -1, 1, 1)
        if self.training:
            mean = ops.mean(x, axis=axes, keepdims=True)
            centred = x - mean
            var = ops.mean(centred * centred, axis=axes, keepdims=True)   # `*`: faster than `**`
            m = self.momentum
            self.running_mean = stop_gradient(
                (1 - m) * self.running_mean + m * ops.reshape(mean, (-1,)))
            self.running_var = stop_gradient(
                (1 - m) * self.running_var + m * ops.reshape(var, (-1,)))
        else:
            centred = x - ops.reshape(self.running_mean, view)
            var = ops.reshape(self.running_var, view)
        # gamma (x - mean) / sqrt(var + eps) + beta, with the per-channel factor formed first:
        # two full-size operations instead of four (each broadcast is a full pass, and its
        # gradient a reduction over the batch and the pixels)
        scale = ops.reshape(self.gamma, view) / ops.sqrt(var + self.eps)
        return centred * scale + ops.reshape(self.beta, view)

    def extra_repr(self) -> str:
        return f"{self.num_features}, momentum={self.momentum}, eps={self.eps}"


BatchNorm1d = BatchNorm
BatchNorm2d = BatchNorm


class LayerNorm(Module):
    """Normalise each example over its last ``len(normalized_shape)`` axes, then scale and shift:
    :math:`\\gamma (x - \\mu)/\\sqrt{\\sigma^2 + \\epsilon} + \\beta`.

    >>> ln = nn.LayerNorm(3)
    >>> x = mb.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]])
    >>> mb.show(ln(x), decimals=4)            # each row: mean 0, variance 1
    tensor([[-1.2247,  0.    ,  1.2247],
            [ 0.    ,  0.    ,  0.    ]], shape=(2, 3), dtype=float32)
    >>> mb.shape(ln.gamma), mb.shape(ln.beta)
    ((3,), (3,))
    >>> ln(mb.ones((2, 4)))
    Traceback (most recent call last):
    ValueError: LayerNorm(3,) got input of shape (2, 4)
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
            tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        self.gamma = Parameter(ops.ones(shape))
        self.beta = Parameter(ops.zeros(shape))

    def forward(self, x: Any) -> Any:
        k = len(self.normalized_shape)
        if ops.shape(x)[-k:] != self.normalized_shape:
            raise ValueError(f"LayerNorm{self.normalized_shape} got input of shape "
                             f"{ops.shape(x)}")
        axes = tuple(range(-k, 0))
        mean = ops.mean(x, axis=axes, keepdims=True)
        var = ops.mean((x - mean) ** 2, axis=axes, keepdims=True)
        return self.gamma * (x - mean) / ops.sqrt(var + self.eps) + self.beta


class Embedding(Module):
    """A lookup table: integer token ids (any shape) -> vectors of size ``embedding_dim``.
    ``weight`` (num_embeddings, embedding_dim), initialised from N(0, 1).

    >>> mb.seed(0)
    >>> emb = nn.Embedding(3, 2)
    >>> mb.show(emb.weight, decimals=4)
    tensor([[ 0.1257, -0.1321],
            [ 0.6404,  0.1049],
            [-0.5357,  0.3616]], shape=(3, 2), dtype=float32)
    >>> mb.show(emb(mb.array([2, 0, 2])), decimals=4)   # rows 2, 0 and 2 of the table
    tensor([[-0.5357,  0.3616],
            [ 0.1257, -0.1321],
            [-0.5357,  0.3616]], shape=(3, 2), dtype=float32)
    >>> mb.shape(emb(mb.array([[0, 1, 2, 1], [1, 1, 0, 2]])))
    (2, 4, 2)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, weight_init: Any = None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = init_parameter(weight_init or _init.normal(0.0, 1.0),
                             (num_embeddings, embedding_dim), num_embeddings, embedding_dim)

    def forward(self, indices: Any) -> Any:
        shape = ops.shape(indices)
        rows = ops.take(self.weight, ops.reshape(indices, (-1,)), axis=0)
        return ops.reshape(rows, shape + (self.embedding_dim,))
