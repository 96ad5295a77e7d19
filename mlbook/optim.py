"""Optimisers, each written once on the neutral ops.

An optimiser updates named tensors in place: a module's parameters (``SGD(net, lr=0.1)``) or
any dict/list of parameter tensors.  ``step(grads)`` takes gradients with the same names (or in
the same order), as returned by ``value_and_grad`` over ``net.parameter_dict()``.  The new values
are computed with mlbook ops and written through the backend's one update hook (in place for
numpy, PyTorch and MXNet; ``Variable.assign`` for TensorFlow).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from . import backends as _backends
from . import ops
from .nn.module import Module

__all__ = ["Optimizer", "SGD", "Adam", "RMSProp", "Adagrad", "clip_grad_norm", "global_norm"]


def global_norm(grads: Any) -> Any:
    """:math:`\\sqrt{\\sum_i \\|g_i\\|^2}` over every tensor in ``grads`` (dict or list)."""
    values = list(grads.values()) if isinstance(grads, dict) else list(grads)
    return ops.sqrt(sum(ops.sum(g * g) for g in values))


def clip_grad_norm(grads: Any, max_norm: float) -> tuple[Any, float]:
    """Scale all gradients by :math:`\\min(1, \\theta / \\|g\\|)` so their global norm is at most
    ``max_norm`` (gradient clipping, for RNNs).  Returns ``(clipped, norm before clipping)``."""
    norm = float(ops.item(global_norm(grads)))
    scale = min(1.0, max_norm / (norm + 1e-12))
    if isinstance(grads, dict):
        return OrderedDict((k, g * scale) for k, g in grads.items()), norm
    return [g * scale for g in grads], norm


class Optimizer:
    """Base class: keeps the parameters by name and per-parameter state; subclasses define
    ``delta(name, param, grad)``, the change subtracted from the parameter in place."""

    def __init__(self, params: Any, lr: float, weight_decay: float = 0.0) -> None:
        if isinstance(params, Module):
            self.module: Module | None = params
            named = params.parameter_dict()
        elif isinstance(params, dict):
            self.module, named = None, OrderedDict(params)
        else:
            self.module, named = None, OrderedDict((str(i), p) for i, p in enumerate(params))
        if not named and not isinstance(params, Module):
            raise ValueError("the optimiser got no parameters")
        self.params = named
        self.lr, self.weight_decay = lr, weight_decay
        self.state: dict[str, dict[str, Any]] = {}
        self.t = 0
        self._checked: set[str] = set()

    def _named_grads(self, grads: Any) -> "OrderedDict[str, Any]":
        if self.module is not None and (len(grads) != len(self.params) or isinstance(grads, dict)
                                        and any(k not in self.params for k in grads)):
            self.params = self.module.parameter_dict()     # lazy layers may have appeared
        if isinstance(grads, dict):
            unknown = [k for k in grads if k not in self.params]
            if unknown:
                raise KeyError(f"gradients for unknown parameters: {unknown}; known: "
                               f"{list(self.params)}")
            return OrderedDict(grads)
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"got {len(grads)} gradients for {len(self.params)} parameters")
        return OrderedDict(zip(self.params, grads))

    def step(self, grads: Any) -> None:
        """Apply one update with ``grads`` (dict by parameter name, or a list in order)."""
        b = _backends.current()
        self.t += 1
        for name, g in self._named_grads(grads).items():
            p = self.params[name]
            if name not in self._checked:              # shapes do not change: check once
                if ops.shape(g) != ops.shape(p):
                    raise ValueError(f"gradient for {name} has shape {ops.shape(g)}, the "
                                     f"parameter {ops.shape(p)}")
                self._checked.add(name)
            if self.weight_decay:
                g = g + self.weight_decay * p          # L2 penalty (λ/2)‖w‖² in the gradient
            b.assign_sub(p, self.delta(name, p, g))

    def delta(self, name: str, p: Any, g: Any) -> Any:
        """The change subtracted from parameter ``p`` given its gradient ``g``."""
        raise NotImplementedError

    def _slot(self, name: str, key: str, like: Any) -> Any:
        state = self.state.setdefault(name, {})
        if key not in state:
            state[key] = ops.zeros_like(like)
        return state[key]


class SGD(Optimizer):
    """Minibatch SGD, optionally with momentum :math:`v \\leftarrow \\mu v + g`,
    :math:`w \\leftarrow w - \\eta v`, and weight decay."""

    def __init__(self, params: Any, lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = momentum

    def delta(self, name: str, p: Any, g: Any) -> Any:
        if self.momentum:
            v = self.momentum * self._slot(name, "v", p) + g
            self.state[name]["v"] = v
            g = v
        return self.lr * g


class Adam(Optimizer):
    """Adam: :math:`m \\leftarrow \\beta_1 m + (1-\\beta_1) g`, :math:`v \\leftarrow \\beta_2 v +
    (1-\\beta_2) g^2`, :math:`w \\leftarrow w - \\eta\\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)`
    with bias-corrected :math:`\\hat m, \\hat v`."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.betas, self.eps = betas, eps

    def delta(self, name: str, p: Any, g: Any) -> Any:
        b1, b2 = self.betas
        m = b1 * self._slot(name, "m", p) + (1 - b1) * g
        v = b2 * self._slot(name, "v", p) + (1 - b2) * g * g
        self.state[name].update(m=m, v=v)
        m_hat = m / (1 - b1 ** self.t)
        v_hat = v / (1 - b2 ** self.t)
        return self.lr * m_hat / (ops.sqrt(v_hat) + self.eps)


class RMSProp(Optimizer):
    """RMSProp: :math:`s \\leftarrow \\gamma s + (1-\\gamma) g^2`,
    :math:`w \\leftarrow w - \\eta\\, g / \\sqrt{s + \\epsilon}` (γ = 0.9 as in the book)."""

    def __init__(self, params: Any, lr: float = 0.01, gamma: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.gamma, self.eps = gamma, eps

    def delta(self, name: str, p: Any, g: Any) -> Any:
        s = self.gamma * self._slot(name, "s", p) + (1 - self.gamma) * g * g
        self.state[name]["s"] = s
        return self.lr * g / ops.sqrt(s + self.eps)


class Adagrad(Optimizer):
    """Adagrad: :math:`s \\leftarrow s + g^2`, :math:`w \\leftarrow w - \\eta\\, g /
    \\sqrt{s + \\epsilon}`."""

    def __init__(self, params: Any, lr: float = 0.1, eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.eps = eps

    def delta(self, name: str, p: Any, g: Any) -> Any:
        s = self._slot(name, "s", p) + g * g
        self.state[name]["s"] = s
        return self.lr * g / ops.sqrt(s + self.eps)
