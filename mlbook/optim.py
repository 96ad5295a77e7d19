"""Optimisers, each written once on the neutral ops.

An optimiser updates named tensors in place: a module's parameters (``SGD(net, lr=0.1)``) or
any dict/list of parameter tensors.  ``step(grads)`` takes gradients with the same names (or in
the same order), as returned by ``value_and_grad`` over ``net.parameter_dict()``.  The new values
are computed with mlbook ops and written through the backend's one update hook (in place for
numpy, PyTorch and MXNet; ``Variable.assign`` for TensorFlow; on JAX the parameter's holder gets
a new array: :mod:`mlbook.ops.parameters`).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

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
    ``delta(name, param, grad, lr)``, the change subtracted from the parameter in place.

    ``params`` is a module, a dict of named tensors, a list of tensors, or a list of *parameter
    groups* as in PyTorch, each a dict with the key ``"params"`` (a module, dict or list) and
    optionally its own ``"lr"`` and ``"weight_decay"``::

        optim.SGD([{"params": net.features, "lr": 0.001}, {"params": net.output}], lr=0.01)

    A group's learning rate is kept in proportion to ``lr``: changing ``optimizer.lr`` (as
    ``fit``'s ``lr_schedule`` does) scales every group's rate alike.  Parameters in groups are
    named ``"<group index>.<name in the group>"`` (the keys of a dict group are kept);
    :meth:`rename` gives them a network's names (``Trainer`` does this), after which
    gradients of the network's parameters that are in no group are ignored: those parameters
    are frozen."""

    GROUP_KEYS = ("params", "lr", "weight_decay")

    def __init__(self, params: Any, lr: float, weight_decay: float = 0.0) -> None:
        self.lr, self.weight_decay = lr, weight_decay
        self._lr_scale: dict[str, float] = {}          # per-parameter rate / lr, from groups
        self._decay: dict[str, float] = {}             # per-parameter weight decay, from groups
        self._frozen: set[str] = set()                 # names whose gradients are ignored
        self.module: Module | None = None
        if isinstance(params, Module):
            self.module = params
            named = params.parameter_dict()
        elif isinstance(params, dict):
            named = OrderedDict(params)
        elif _is_groups(params):
            named = self._add_groups(params)
        else:
            named = OrderedDict((str(i), p) for i, p in enumerate(params))
        if not named and not isinstance(params, Module):
            raise ValueError("the optimiser got no parameters")
        self.params = named
        self.state: dict[str, dict[str, Any]] = {}
        self.t = 0
        self._checked: set[str] = set()

    def _add_groups(self, groups: list[dict[str, Any]]) -> "OrderedDict[str, Any]":
        named: OrderedDict[str, Any] = OrderedDict()
        seen: dict[int, str] = {}
        for i, group in enumerate(groups):
            unknown = [k for k in group if k not in self.GROUP_KEYS]
            if unknown or "params" not in group:
                raise ValueError(f"parameter group {i}: needs 'params' and may set 'lr' and "
                                 f"'weight_decay'; got keys {sorted(group)}")
            members = group["params"]
            if isinstance(members, Module):
                members = OrderedDict((f"{i}.{n}", p) for n, p in members.named_parameters())
            elif not isinstance(members, dict):
                members = OrderedDict((f"{i}.{j}", p) for j, p in enumerate(members))
            if not members:
                raise ValueError(f"parameter group {i} has no parameters")
            if "lr" in group:
                if not self.lr:
                    raise ValueError("with groups that set their own 'lr', the optimiser's lr "
                                     "must be non-zero (group rates are kept in proportion)")
            for name, p in members.items():
                if name in named or id(p) in seen:
                    raise ValueError(f"parameter {name!r} of group {i} is already in group "
                                     f"{seen.get(id(p), name)!r}: each parameter may be in one "
                                     "group only")
                seen[id(p)] = name
                named[name] = p
                if "lr" in group:
                    self._lr_scale[name] = float(group["lr"]) / self.lr
                if "weight_decay" in group:
                    self._decay[name] = float(group["weight_decay"])
        return named

    def rename(self, named: dict[str, Any]) -> None:
        """Name the optimiser's parameters as ``named`` (e.g. ``net.parameter_dict()``) names
        the same tensors, so that :meth:`step` takes gradients by those names; gradients of the
        other tensors in ``named`` are ignored from then on (those parameters are frozen)."""
        ids = {id(p): n for n, p in self.params.items()}
        mapping = {ids[id(p)]: n for n, p in named.items() if id(p) in ids}
        missing = [n for n in self.params if n not in mapping]
        if missing:
            raise ValueError(f"the optimiser's parameters {missing} are not among the given "
                             f"ones ({list(named)})")
        self.params = OrderedDict((mapping[n], p) for n, p in self.params.items())
        for table in (self._lr_scale, self._decay, self.state):
            for old in list(table):
                table[mapping[old]] = table.pop(old)
        self._checked = {mapping[n] for n in self._checked}
        self._frozen = {n for n in named if n not in self.params}

    def _named_grads(self, grads: Any) -> "OrderedDict[str, Any]":
        if self.module is not None and (len(grads) != len(self.params) or isinstance(grads, dict)
                                        and any(k not in self.params for k in grads)):
            self.params = self.module.parameter_dict()     # lazy layers may have appeared
        if isinstance(grads, dict):
            unknown = [k for k in grads if k not in self.params and k not in self._frozen]
            if unknown:
                raise KeyError(f"gradients for unknown parameters: {unknown}; known: "
                               f"{list(self.params)} (an optimiser built from parameter groups "
                               "takes a network's names after optimizer.rename(net."
                               "parameter_dict()))")
            return OrderedDict((k, g) for k, g in grads.items() if k not in self._frozen)
        grads = list(grads)
        if len(grads) != len(self.params):
            raise ValueError(f"got {len(grads)} gradients for {len(self.params)} parameters")
        return OrderedDict(zip(self.params, grads))

    def lr_of(self, name: str) -> float:
        """The learning rate of parameter ``name``: ``lr``, times its group's proportion."""
        return self.lr * self._lr_scale.get(name, 1.0)

    def step(self, grads: Any) -> None:
        """Apply one update with ``grads`` (dict by parameter name, or a list in order)."""
        self.t += 1
        for name, g in self._named_grads(grads).items():
            p = self.params[name]
            if name not in self._checked:              # shapes do not change: check once
                if ops.shape(g) != ops.shape(p):
                    raise ValueError(f"gradient for {name} has shape {ops.shape(g)}, the "
                                     f"parameter {ops.shape(p)}")
                self._checked.add(name)
            decay = self._decay.get(name, self.weight_decay)
            if decay:
                g = g + decay * p                      # L2 penalty (λ/2)‖w‖² in the gradient
            ops.assign_sub(p, self.delta(name, p, g, self.lr_of(name)))

    def delta(self, name: str, p: Any, g: Any, lr: float) -> Any:
        """The change subtracted from parameter ``p`` given its gradient ``g`` and learning
        rate ``lr``."""
        raise NotImplementedError

    def _slot(self, name: str, key: str, like: Any) -> Any:
        state = self.state.setdefault(name, {})
        if key not in state:
            state[key] = ops.zeros_like(like)
        return state[key]


def _is_groups(params: Any) -> bool:
    """Whether ``params`` is a list of parameter groups (dicts with a ``"params"`` key)."""
    if not isinstance(params, (list, tuple)) or not params:
        return False
    dicts = [isinstance(g, dict) for g in params]
    if any(dicts) and not all(dicts):
        raise TypeError("mix of parameter groups (dicts) and tensors: give a list of tensors, "
                        "or a list of groups {'params': ..., 'lr': ...}")
    return all(dicts)


class SGD(Optimizer):
    """Minibatch SGD, optionally with momentum :math:`v \\leftarrow \\mu v + g`,
    :math:`w \\leftarrow w - \\eta v`, and weight decay."""

    def __init__(self, params: Any, lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = momentum

    def delta(self, name: str, p: Any, g: Any, lr: float) -> Any:
        if self.momentum:
            v = self.momentum * self._slot(name, "v", p) + g
            self.state[name]["v"] = v
            g = v
        return lr * g


class Adam(Optimizer):
    """Adam: :math:`m \\leftarrow \\beta_1 m + (1-\\beta_1) g`, :math:`v \\leftarrow \\beta_2 v +
    (1-\\beta_2) g^2`, :math:`w \\leftarrow w - \\eta\\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)`
    with bias-corrected :math:`\\hat m, \\hat v`."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.betas, self.eps = betas, eps

    def delta(self, name: str, p: Any, g: Any, lr: float) -> Any:
        b1, b2 = self.betas
        m = b1 * self._slot(name, "m", p) + (1 - b1) * g
        v = b2 * self._slot(name, "v", p) + (1 - b2) * g * g
        self.state[name].update(m=m, v=v)
        m_hat = m / (1 - b1 ** self.t)
        v_hat = v / (1 - b2 ** self.t)
        return lr * m_hat / (ops.sqrt(v_hat) + self.eps)


class RMSProp(Optimizer):
    """RMSProp: :math:`s \\leftarrow \\gamma s + (1-\\gamma) g^2`,
    :math:`w \\leftarrow w - \\eta\\, g / \\sqrt{s + \\epsilon}` (γ = 0.9 as in the book)."""

    def __init__(self, params: Any, lr: float = 0.01, gamma: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.gamma, self.eps = gamma, eps

    def delta(self, name: str, p: Any, g: Any, lr: float) -> Any:
        s = self.gamma * self._slot(name, "s", p) + (1 - self.gamma) * g * g
        self.state[name]["s"] = s
        return lr * g / ops.sqrt(s + self.eps)


class Adagrad(Optimizer):
    """Adagrad: :math:`s \\leftarrow s + g^2`, :math:`w \\leftarrow w - \\eta\\, g /
    \\sqrt{s + \\epsilon}`."""

    def __init__(self, params: Any, lr: float = 0.1, eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.eps = eps

    def delta(self, name: str, p: Any, g: Any, lr: float) -> Any:
        s = self._slot(name, "s", p) + g * g
        self.state[name]["s"] = s
        return lr * g / ops.sqrt(s + self.eps)
