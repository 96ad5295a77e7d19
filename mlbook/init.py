"""Parameter initialisers.

Each initialiser is a callable ``init(shape, fan_in, fan_out) -> numpy.ndarray`` (float32) drawing
from mlbook's one seeded numpy generator, so the same seed gives the same initial weights on
every backend.  Layers take them as ``weight_init=`` / ``bias_init=``; ``Module.initialize``
re-draws the parameters of a whole network::

    net.initialize(init.normal(std=0.01))              # weights
    net.initialize(init.zeros(), kind="bias")           # biases
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from . import config, execution

__all__ = ["Initializer", "normal", "uniform", "xavier", "kaiming", "constant", "zeros", "ones",
           "bilinear"]

#: The type of an initialiser: a function ``(shape, fan_in, fan_out) -> numpy.ndarray``
#: (float32); any such function can be a layer's ``weight_init=`` / ``bias_init=`` or the
#: argument of ``Module.initialize``.
#:
#: >>> def halves(shape, fan_in, fan_out):       # a hand-written Initializer
#: ...     return np.full(shape, 0.5, dtype="float32")
#: >>> layer = nn.Linear(3, 2, weight_init=halves)
#: >>> mb.show(layer.weight)                  # (in, out): fan_in 3, fan_out 2
#: tensor([[0.5, 0.5],
#:         [0.5, 0.5],
#:         [0.5, 0.5]], shape=(3, 2), dtype=float32)
Initializer = Callable[[Sequence[int], int, int], np.ndarray]


def _f32(a: np.ndarray) -> np.ndarray:
    return execution.perturb(np.asarray(a, dtype=config.DEFAULT_FLOAT))


def normal(mean: float = 0.0, std: float = 0.01) -> Initializer:
    """:math:`w \\sim \\mathcal{N}(\\mathrm{mean}, \\mathrm{std}^2)`.

    >>> mb.seed(0)
    >>> w = init.normal(std=0.01)((2, 3))  # a float32 numpy array; fans are not needed
    >>> w
    array([[ 0.0012573 , -0.00132105,  0.00640423],
           [ 0.001049  , -0.00535669,  0.00361595]], dtype=float32)
    >>> net = nn.Sequential(nn.Linear(3, 2)).initialize(init.normal(mean=1.0, std=0.01))
    >>> mb.show(net[0].weight)
    tensor([[0.9767497 , 0.9978121 ],
            [0.9875409 , 0.99267733],
            [0.9945574 , 0.996837  ]], shape=(3, 2), dtype=float32)
    """
    def init(shape: Sequence[int], fan_in: int = 0, fan_out: int = 0) -> np.ndarray:
        return _f32(config.generator().normal(mean, std, tuple(shape)))
    init.__name__ = f"normal(mean={mean}, std={std})"
    return init


def uniform(low: float = -0.07, high: float = 0.07) -> Initializer:
    """:math:`w \\sim U(\\mathrm{low}, \\mathrm{high})`.

    >>> mb.seed(0)
    >>> mb.show(init.uniform(-1, 1)((2, 3)))
    tensor([[ 0.27392337, -0.46042657, -0.918053  ],
            [-0.96694475,  0.6265405 ,  0.82551116]], shape=(2, 3), dtype=float32)
    >>> layer = nn.Linear(2, 3, bias_init=init.uniform(0.0, 0.1))
    >>> mb.show(layer.bias)
    tensor([0.08574042, 0.00335856, 0.07296555], shape=(3,), dtype=float32)
    """
    def init(shape: Sequence[int], fan_in: int = 0, fan_out: int = 0) -> np.ndarray:
        return _f32(config.generator().uniform(low, high, tuple(shape)))
    init.__name__ = f"uniform({low}, {high})"
    return init


def xavier(distribution: str = "uniform", gain: float = 1.0) -> Initializer:
    """Glorot/Xavier: variance :math:`2 / (n_\\mathrm{in} + n_\\mathrm{out})`, so activations and
    gradients keep their scale through the layer; uniform on :math:`\\pm\\sqrt{6/(n_\\mathrm{in}
    + n_\\mathrm{out})}` or normal.

    >>> mb.seed(0)
    >>> w = init.xavier()((200, 100), 200, 100)       # shape, fan_in, fan_out
    >>> round(float(abs(w).max()), 4), round((6 / 300) ** 0.5, 4)    # the uniform bound
    (0.1414, 0.1414)
    >>> w = init.xavier("normal")((200, 100), 200, 100)
    >>> round(float(w.std()), 4), round((2 / 300) ** 0.5, 4)         # the standard deviation
    (0.0823, 0.0816)
    """
    def init(shape: Sequence[int], fan_in: int, fan_out: int) -> np.ndarray:
        std = gain * math.sqrt(2.0 / (fan_in + fan_out))
        return _draw(distribution, std, shape)
    init.__name__ = f"xavier({distribution})"
    return init


def kaiming(distribution: str = "normal", gain: float = math.sqrt(2.0)) -> Initializer:
    """He/Kaiming: variance :math:`\\mathrm{gain}^2 / n_\\mathrm{in}` (gain √2 suits ReLU).

    >>> mb.seed(0)
    >>> w = init.kaiming()((128, 256), 128, 256)      # shape, fan_in, fan_out
    >>> round(float(w.std()), 4), round((2 / 128) ** 0.5, 4)
    (0.1247, 0.125)
    >>> init.kaiming("laplace")((2, 2), 2, 2)
    Traceback (most recent call last):
    ValueError: distribution must be 'normal' or 'uniform', got 'laplace'
    """
    def init(shape: Sequence[int], fan_in: int, fan_out: int) -> np.ndarray:
        return _draw(distribution, gain / math.sqrt(fan_in), shape)
    init.__name__ = f"kaiming({distribution})"
    return init


def _draw(distribution: str, std: float, shape: Sequence[int]) -> np.ndarray:
    if distribution == "normal":
        return _f32(config.generator().normal(0.0, std, tuple(shape)))
    if distribution == "uniform":
        bound = math.sqrt(3.0) * std
        return _f32(config.generator().uniform(-bound, bound, tuple(shape)))
    raise ValueError(f"distribution must be 'normal' or 'uniform', got {distribution!r}")


def constant(value: float) -> Initializer:
    """Every entry equal to ``value``.

    >>> init.constant(0.5)((2, 3))
    array([[0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5]], dtype=float32)
    >>> mb.show(nn.Linear(2, 3, bias_init=init.constant(0.1)).bias)
    tensor([0.1, 0.1, 0.1], shape=(3,), dtype=float32)
    """
    def init(shape: Sequence[int], fan_in: int = 0, fan_out: int = 0) -> np.ndarray:
        return np.full(tuple(shape), value, dtype=config.DEFAULT_FLOAT)
    init.__name__ = f"constant({value})"
    return init


def zeros() -> Initializer:
    """All zeros (the usual bias initialiser).

    >>> init.zeros()((3,))
    array([0., 0., 0.], dtype=float32)
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    >>> mb.show(net.initialize(init.zeros(), kind="weight")[2].weight)
    tensor([[0.],
            [0.],
            [0.]], shape=(3, 1), dtype=float32)
    """
    return constant(0.0)


def ones() -> Initializer:
    """All ones (BatchNorm and LayerNorm scales).

    >>> init.ones()((2, 2))
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    >>> mb.show(nn.Linear(3, 2).initialize(init.ones(), kind="bias").bias)
    tensor([1., 1.], shape=(2,), dtype=float32)
    """
    return constant(1.0)


def bilinear() -> Initializer:
    r"""The bilinear-interpolation kernel for a transposed convolution's weight
    (in, out, k, k): channel :math:`i` to channel :math:`i` gets

    .. math:: w_{a,b} = \Big(1 - \frac{|a - c|}{f}\Big)\Big(1 - \frac{|b - c|}{f}\Big),
              \quad f = \lceil k/2 \rceil,\ c = f - 1 \text{ (k odd) or } f - \tfrac12,

    the other channel pairs 0.  With ``kernel_size=2s, stride=s, padding=s/2``
    (``nn.ConvTranspose2d``) the layer then upsamples by :math:`s` exactly as bilinear
    interpolation does away from the border: the usual start for a fully convolutional
    network's upsampling layer.

    >>> w = init.bilinear()((1, 1, 4, 4))               # in, out, k, k
    >>> mb.show(w[0, 0])
    tensor([[0.0625, 0.1875, 0.1875, 0.0625],
            [0.1875, 0.5625, 0.5625, 0.1875],
            [0.1875, 0.5625, 0.5625, 0.1875],
            [0.0625, 0.1875, 0.1875, 0.0625]], shape=(4, 4), dtype=float32)
    >>> up = nn.ConvTranspose2d(1, 1, kernel_size=4, stride=2, padding=1,
    ...                         weight_init=init.bilinear())
    >>> x = mb.reshape(mb.array([0.0, 1.0, 2.0, 3.0]), (1, 1, 2, 2))
    >>> mb.show(mb.reshape(up(x), (4, 4)), decimals=4)
    tensor([[0.    , 0.1875, 0.5625, 0.5625],
            [0.375 , 0.75  , 1.25  , 1.125 ],
            [1.125 , 1.75  , 2.25  , 1.875 ],
            [1.125 , 1.6875, 2.0625, 1.6875]], shape=(4, 4), dtype=float32)
    """
    def init(shape: Sequence[int], fan_in: int = 0, fan_out: int = 0) -> np.ndarray:
        if len(shape) != 4 or shape[2] != shape[3]:
            raise ValueError(f"init.bilinear needs a square transposed-convolution weight "
                             f"(in, out, k, k), got shape {tuple(shape)}")
        k = int(shape[2])
        factor = (k + 1) // 2
        center = factor - 1 if k % 2 == 1 else factor - 0.5
        a = np.arange(k, dtype="float64")
        filt = np.outer(1 - np.abs(a - center) / factor, 1 - np.abs(a - center) / factor)
        weight = np.zeros(tuple(shape), dtype="float64")
        for i in range(min(shape[0], shape[1])):
            weight[i, i] = filt
        return weight.astype(config.DEFAULT_FLOAT)
    init.__name__ = "bilinear()"
    return init
