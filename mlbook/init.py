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

Initializer = Callable[[Sequence[int], int, int], np.ndarray]


def _f32(a: np.ndarray) -> np.ndarray:
    return execution.perturb(np.asarray(a, dtype=config.DEFAULT_FLOAT))


def normal(mean: float = 0.0, std: float = 0.01) -> Initializer:
    """:math:`w \\sim \\mathcal{N}(\\mathrm{mean}, \\mathrm{std}^2)`."""
    def init(shape: Sequence[int], fan_in: int = 0, fan_out: int = 0) -> np.ndarray:
        return _f32(config.generator().normal(mean, std, tuple(shape)))
    init.__name__ = f"normal(mean={mean}, std={std})"
    return init


def uniform(low: float = -0.07, high: float = 0.07) -> Initializer:
    """:math:`w \\sim U(\\mathrm{low}, \\mathrm{high})`."""
    def init(shape: Sequence[int], fan_in: int = 0, fan_out: int = 0) -> np.ndarray:
        return _f32(config.generator().uniform(low, high, tuple(shape)))
    init.__name__ = f"uniform({low}, {high})"
    return init


def xavier(distribution: str = "uniform", gain: float = 1.0) -> Initializer:
    """Glorot/Xavier: variance :math:`2 / (n_\\mathrm{in} + n_\\mathrm{out})`, so activations and
    gradients keep their scale through the layer; uniform on :math:`\\pm\\sqrt{6/(n_\\mathrm{in}
    + n_\\mathrm{out})}` or normal."""
    def init(shape: Sequence[int], fan_in: int, fan_out: int) -> np.ndarray:
        std = gain * math.sqrt(2.0 / (fan_in + fan_out))
        return _draw(distribution, std, shape)
    init.__name__ = f"xavier({distribution})"
    return init


def kaiming(distribution: str = "normal", gain: float = math.sqrt(2.0)) -> Initializer:
    """He/Kaiming: variance :math:`\\mathrm{gain}^2 / n_\\mathrm{in}` (gain √2 suits ReLU)."""
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
    """Every entry equal to ``value``."""
    def init(shape: Sequence[int], fan_in: int = 0, fan_out: int = 0) -> np.ndarray:
        return np.full(tuple(shape), value, dtype=config.DEFAULT_FLOAT)
    init.__name__ = f"constant({value})"
    return init


def zeros() -> Initializer:
    """All zeros (the usual bias initialiser)."""
    return constant(0.0)


def ones() -> Initializer:
    """All ones (BatchNorm and LayerNorm scales)."""
    return constant(1.0)


def bilinear() -> Initializer:
    r"""The bilinear-interpolation kernel for a transposed convolution's weight
    (in, out, k, k): channel :math:`i` to channel :math:`i` gets

    .. math:: w_{a,b} = \Big(1 - \frac{|a - c|}{f}\Big)\Big(1 - \frac{|b - c|}{f}\Big),
              \quad f = \lceil k/2 \rceil,\ c = f - 1 \text{ (k odd) or } f - \tfrac12,

    the other channel pairs 0.  With ``kernel_size=2s, stride=s, padding=s/2``
    (``nn.ConvTranspose2d``) the layer then upsamples by :math:`s` exactly as bilinear
    interpolation does away from the border: the usual start for a fully convolutional
    network's upsampling layer."""
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
