"""Optimisers, each written once on the neutral ops.

An optimiser updates named tensors in place: a module's parameters (``SGD(net, lr=0.1)``) or
any dict/list of parameter tensors.  ``step(grads)`` takes gradients with the same names (or in
the same order), as returned by ``value_and_grad`` over ``net.parameter_dict()``.

Each algorithm is defined once, by :meth:`Optimizer.delta`: the change of one parameter and its
new state, written with mlbook ops (the reference).  A step is one collective
:meth:`Optimizer.update` over all parameters, and there a backend may take over, as Keras 3's
backends do: with a fused kernel that computes the same update (``OPTIMIZER_KERNELS`` in the
backend module: ``torch._fused_adam_``, MXNet's ``adam_update``, TensorFlow's
``ResourceApplyMomentum``, numpy's in-place ufuncs ...), or, on backends that compile, with the
reference compiled for all parameters at once (``jax.jit``, ``tf.function``).
:attr:`Optimizer.update_path` says which runs; ``fused=False`` or ``MLBOOK_FUSED=0`` runs the
reference everywhere.  Kernels are used only where they compute the reference update: the
tests hold every path to the reference within 1e-6 after ten steps.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

from . import ops
from .ops.core import backend
from .ops.parameters import can_compile, compile_function, optimizer_kernel, value_of
from .nn.module import Module

__all__ = ["Optimizer", "SGD", "Adam", "RMSProp", "Adagrad", "Adadelta", "clip_grad_norm",
           "global_norm", "fused_from_env", "FUSED_ENV"]

#: Environment variable that switches the backends' fused optimiser kernels off (``0``).
#:
#: >>> optim.FUSED_ENV
#: 'MLBOOK_FUSED'
#: >>> import os
#: >>> from unittest import mock
#: >>> with mock.patch.dict(os.environ, {optim.FUSED_ENV: "0"}):
#: ...     optim.SGD(nn.Linear(2, 1), lr=0.1).update_path
#: 'reference'
FUSED_ENV = "MLBOOK_FUSED"


def global_norm(grads: Any) -> Any:
    """:math:`\\sqrt{\\sum_i \\|g_i\\|^2}` over every tensor in ``grads`` (dict or list).

    >>> mb.show(optim.global_norm([mb.array([3.0, 0.0]), mb.array([[4.0]])]))
    tensor(5., shape=(), dtype=float32)
    >>> mb.show(optim.global_norm({"w": mb.ones((2, 2))}))
    tensor(2., shape=(), dtype=float32)
    """
    values = list(grads.values()) if isinstance(grads, dict) else list(grads)
    return ops.sqrt(sum(ops.sum(g * g) for g in values))


def clip_grad_norm(grads: Any, max_norm: float) -> tuple[Any, float]:
    """Scale all gradients by :math:`\\min(1, \\theta / \\|g\\|)` so their global norm is at most
    ``max_norm`` (gradient clipping, for RNNs).  Returns ``(clipped, norm before clipping)``.

    >>> grads = {"w": mb.array([3.0, 0.0]), "b": mb.array([4.0])}
    >>> clipped, norm = optim.clip_grad_norm(grads, max_norm=1.0)
    >>> norm                                    # sqrt(3² + 4²)
    5.0
    >>> mb.show(clipped, decimals=4)             # the same direction, norm 1
    {'w': tensor([0.6, 0. ], shape=(2,), dtype=float32),
     'b': tensor([0.8], shape=(1,), dtype=float32)}
    >>> clipped, norm = optim.clip_grad_norm(grads, max_norm=10.0)
    >>> mb.show(clipped["b"])                        # within the bound: unchanged
    tensor([4.], shape=(1,), dtype=float32)
    """
    norm = float(ops.item(global_norm(grads)))
    scale = min(1.0, max_norm / (norm + 1e-12))
    if isinstance(grads, dict):
        return OrderedDict((k, g * scale) for k, g in grads.items()), norm
    return [g * scale for g in grads], norm


class Optimizer:
    """Base class: keeps the parameters by name and per-parameter state; subclasses define
    :meth:`delta` (the change of one parameter and its new state, the reference), the
    :attr:`slots` of state it keeps, and optionally :meth:`constants`, :meth:`hyper` and the
    :attr:`kind` of backend kernel that computes the same update (``fused=`` chooses, see
    :attr:`update_path`).

    ``params`` is a module, a dict of named tensors, a list of tensors, or a list of *parameter
    groups* as in PyTorch, each a dict with the key ``"params"`` (a module, dict or list) and
    optionally its own ``"lr"`` and ``"weight_decay"``::

        optim.SGD([{"params": net.features, "lr": 0.001}, {"params": net.output}], lr=0.01)

    A group's learning rate is kept in proportion to ``lr``: changing ``optimizer.lr`` (as
    ``fit``'s ``lr_schedule`` does) scales every group's rate alike.  Parameters in groups are
    named ``"<group index>.<name in the group>"`` (the keys of a dict group are kept);
    :meth:`rename` gives them a network's names (``Trainer`` does this), after which
    gradients of the network's parameters that are in no group are ignored: those parameters
    are frozen.

    >>> class SignSGD(optim.Optimizer):       # w -= lr * sign(g)
    ...     def delta(self, g, state, lr, constants):
    ...         return lr * mb.sign(g), {}
    >>> net = nn.Linear(2, 1, weight_init=init.ones())
    >>> optimizer = SignSGD(net, lr=0.1)
    >>> optimizer.step({"weight": mb.array([[3.0], [-0.5]]), "bias": mb.array([0.0])})
    >>> mb.show(net.weight, decimals=4)
    tensor([[0.9],
            [1.1]], shape=(2, 1), dtype=float32)
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    >>> optimizer = optim.SGD([{"params": net[0], "lr": 0.01}, {"params": net[1]}], lr=0.1)
    >>> list(optimizer.params)                  # named by group
    ['0.weight', '0.bias', '1.weight', '1.bias']
    >>> optimizer.lr = 0.5                        # group rates keep their proportion
    >>> round(optimizer.lr_of("0.weight"), 4), optimizer.lr_of("1.weight")
    (0.05, 0.5)
    """

    GROUP_KEYS = ("params", "lr", "weight_decay")

    def __init__(self, params: Any, lr: float, weight_decay: float = 0.0,
                 fused: bool | None = None) -> None:
        if fused not in (None, True, False):
            raise ValueError(f"fused must be None (fused where the backend can), True or "
                             f"False, got {fused!r}")
        self.lr, self.weight_decay, self.fused = lr, weight_decay, fused
        self._paths: dict[str, str] = {}               # backend name -> update path
        self._compiled_cache: dict[Any, Any] = {}
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

    def replace_tensors(self, replacements: dict[int, Any]) -> None:
        """Point the optimiser at new tensors: ``replacements`` maps ``id(old)`` to the tensor
        that replaces it, as after ``net.to_device(device)``
        (:meth:`~mlbook.nn.Module.to_device`).  The state of a replaced parameter (momentum,
        Adam's moments) moves to the new tensor's device with it."""
        for name, p in list(self.params.items()):
            new = replacements.get(id(p))
            if new is None or new is p:
                continue
            self.params[name] = new
            kind, index = ops.devices.placement(new)
            slots = self.state.get(name, {})
            for key, value in list(slots.items()):
                if ops.is_tensor(value):
                    slots[key] = ops.devices.move(value, kind, index)

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

    # ------------------------------------------------------------------ the update
    def step(self, grads: Any) -> None:
        """Apply one update with ``grads`` (dict by parameter name, or a list in order): one
        collective step over all parameters (:meth:`update`)."""
        named = self._named_grads(grads)
        for name, g in named.items():
            if name not in self._checked:              # shapes do not change: check once
                p = self.params[name]
                if ops.shape(g) != ops.shape(p):
                    raise ValueError(f"gradient for {name} has shape {ops.shape(g)}, the "
                                     f"parameter {ops.shape(p)}")
                self._checked.add(name)
        names = list(named)
        states, lrs, decays, _ = self.begin_step(names)
        self.update([self.params[n] for n in names], list(named.values()), states, lrs, decays)

    def update(self, params: list[Any], grads: list[Any], states: list[dict[str, Any]],
               lrs: list[float], decays: list[float]) -> None:
        """Update every parameter in ``params`` in place, given its gradient, its state (the
        dict of its slots, updated in place), its rate and its weight decay.

        This is where a backend's fused kernel takes over (:attr:`update_path` says which
        runs); the default is the reference: for each parameter,
        :math:`g \\leftarrow g + \\lambda w` (the L2 penalty :math:`\\tfrac{\\lambda}{2}
        \\|w\\|^2`), then ``w -= delta``, from :meth:`delta`."""
        path = self._path()
        if path == "kernel":
            kernel = optimizer_kernel(self.kind)
            kernel(params, grads, states, lrs, decays, self.t, **self.hyper())
        elif path == "compiled":
            values, new_states = self._compiled()(
                [value_of(p) for p in params], grads,
                [{k: s[k] for k in self.slots} for s in states], lrs, decays,
                self.constants(self.t))
            for p, v, s, new in zip(params, values, states, new_states):
                ops.assign(p, v)
                s.update(new)
        else:
            constants = self.constants(self.t)
            for p, g, s, lr, decay in zip(params, grads, states, lrs, decays):
                if decay:
                    g = g + decay * p                  # L2 penalty (λ/2)‖w‖² in the gradient
                change, new = self.delta(g, {k: s[k] for k in self.slots}, lr, constants)
                s.update(new)
                ops.assign_sub(p, change)

    def delta(self, g: Any, state: dict[str, Any], lr: float, constants: dict[str, float]
              ) -> tuple[Any, dict[str, Any]]:
        """The reference definition of the algorithm, for one parameter: the change subtracted
        from it and its new state, given its gradient ``g`` (weight decay included), its
        ``state`` (the slots named in :attr:`slots`, zeros before the first step), its rate
        ``lr`` and this step's :meth:`constants`.  Written with mlbook ops and without side
        effects, so a backend may also compile it (:attr:`update_path`)."""
        raise NotImplementedError

    def constants(self, t: int) -> dict[str, float]:
        """Scalars that depend on the step count ``t`` (1 at the first step), computed once per
        step in double precision (Adam's bias corrections), for :meth:`delta`."""
        return {}

    def hyper(self) -> dict[str, float]:
        """The hyperparameters a fused kernel needs besides the rates and weight decays."""
        return {}

    #: Per-parameter state the algorithm keeps (created as zeros like the parameter).
    slots: tuple[str, ...] = ()
    #: Name of the backend kernels that compute this algorithm (``OPTIMIZER_KERNELS``).
    kind: str | None = None

    @property
    def update_path(self) -> str:
        """How :meth:`update` runs on the active backend: ``"kernel"`` (the backend's fused
        kernel for this algorithm), ``"compiled"`` (:meth:`delta` for all parameters compiled
        into one computation, on backends that compile) or ``"reference"`` (:meth:`delta`
        called per parameter).  ``fused=False`` or ``MLBOOK_FUSED=0`` gives the reference."""
        return self._path()

    def _path(self) -> str:
        key = backend().NAME
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = self._choose_path(key)
        return path

    def _choose_path(self, backend: str) -> str:
        wanted = fused_from_env() if self.fused is None else bool(self.fused)
        if not wanted:
            return "reference"
        owner = next((c for c in type(self).__mro__ if "delta" in vars(c)), Optimizer)
        exact = self.kind is not None and owner is next(
            c for c in type(self).__mro__ if "kind" in vars(c))
        if exact and optimizer_kernel(self.kind) is not None:
            return "kernel"
        if owner is not Optimizer and can_compile():
            return "compiled"
        if self.fused:
            raise ValueError(f"{type(self).__name__}(fused=True): the {backend} backend has no "
                             "fused kernel for it and does not compile; use fused=None (fused "
                             "where available) or fused=False")
        return "reference"

    def _compiled(self) -> Any:
        """:meth:`pure_update` compiled (cached per hyperparameters: changing ``momentum`` or
        ``betas`` compiles anew)."""
        key = (backend().NAME, tuple(sorted(self.hyper().items())))
        fn = self._compiled_cache.get(key)
        if fn is None:
            fn = self._compiled_cache[key] = compile_function(self.pure_update)
        return fn

    def pure_update(self, values: list[Any], grads: list[Any], states: list[dict[str, Any]],
                    lrs: list[Any], decays: list[Any], constants: dict[str, Any]
                    ) -> tuple[list[Any], list[dict[str, Any]]]:
        """The reference update as a function without side effects: the new parameter values
        and states (what backends that compile, and ``Trainer(compile=True)``, compile)."""
        new_values, new_states = [], []
        for p, g, s, lr, decay in zip(values, grads, states, lrs, decays):
            change, new = self.delta(g + decay * p, s, lr, constants)
            new_values.append(p - change)
            new_states.append(new)
        return new_values, new_states

    def begin_step(self, names: list[str]) -> tuple[list[dict[str, Any]], list[float],
                                                     list[float], dict[str, float]]:
        """Count a step and return, for parameters ``names``, their states, rates, weight
        decays and the step's constants (for a caller that applies :meth:`pure_update`)."""
        self.t += 1
        return ([self._state_of(n) for n in names], [self.lr_of(n) for n in names],
                [self._decay.get(n, self.weight_decay) for n in names], self.constants(self.t))

    def _state_of(self, name: str) -> dict[str, Any]:
        """The state of parameter ``name``, its slots zeros at the first step (from then on the
        update path owns it: a kernel may keep its own form, as MXNet's momentum does)."""
        state = self.state.get(name)
        if state is None:
            like = value_of(self.params[name])
            state = self.state[name] = {key: ops.zeros_like(like) for key in self.slots}
        return state


def fused_from_env() -> bool:
    """Whether ``MLBOOK_FUSED`` (``1``, the default, or ``0``) asks for fused updates.

    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"MLBOOK_FUSED": "0"}):
    ...     optim.fused_from_env()
    False
    >>> with mock.patch.dict(os.environ, {"MLBOOK_FUSED": "1"}):
    ...     optim.fused_from_env()
    True
    >>> with mock.patch.dict(os.environ, {"MLBOOK_FUSED": "no"}):
    ...     optim.fused_from_env()
    Traceback (most recent call last):
    ValueError: MLBOOK_FUSED='no': use 1 (fused kernels where the backend has them, the default) or 0 (the reference update everywhere)
    """
    value = os.environ.get(FUSED_ENV, "").strip()
    if value in ("", "1"):
        return True
    if value == "0":
        return False
    raise ValueError(f"{FUSED_ENV}={value!r}: use 1 (fused kernels where the backend has them, "
                     "the default) or 0 (the reference update everywhere)")


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
    :math:`w \\leftarrow w - \\eta v`, and weight decay.

    >>> net = nn.Linear(2, 1, weight_init=init.ones())       # weight [[1], [1]], bias [0]
    >>> optimizer = optim.SGD(net, lr=0.1, momentum=0.5)
    >>> grads = {"weight": mb.array([[1.0], [-2.0]]), "bias": mb.array([1.0])}
    >>> optimizer.step(grads)                  # v = g, w -= 0.1 v
    >>> mb.show(net.weight, decimals=4)
    tensor([[0.9],
            [1.2]], shape=(2, 1), dtype=float32)
    >>> optimizer.step(grads)                  # v = 0.5 v + g: a longer step
    >>> mb.show(net.weight, decimals=4)
    tensor([[0.75],
            [1.5 ]], shape=(2, 1), dtype=float32)
    """

    kind = "sgd"

    def __init__(self, params: Any, lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, fused: bool | None = None) -> None:
        super().__init__(params, lr, weight_decay, fused)
        self.momentum = momentum

    @property
    def slots(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("v",) if self.momentum else ()

    def hyper(self) -> dict[str, float]:
        return {"momentum": self.momentum}

    def delta(self, g: Any, state: dict[str, Any], lr: float, constants: dict[str, float]
              ) -> tuple[Any, dict[str, Any]]:
        if not self.momentum:
            return lr * g, {}
        v = self.momentum * state["v"] + g
        return lr * v, {"v": v}


class Adam(Optimizer):
    """Adam: :math:`m \\leftarrow \\beta_1 m + (1-\\beta_1) g`, :math:`v \\leftarrow \\beta_2 v +
    (1-\\beta_2) g^2`, :math:`w \\leftarrow w - \\eta\\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)`
    with bias-corrected :math:`\\hat m = m / (1 - \\beta_1^t)`, :math:`\\hat v = v / (1 -
    \\beta_2^t)`.

    >>> net = nn.Linear(2, 1, weight_init=init.ones())
    >>> optimizer = optim.Adam(net, lr=0.1)
    >>> optimizer.step({"weight": mb.array([[100.0], [-1.0]]), "bias": mb.array([0.0])})
    >>> mb.show(net.weight, decimals=4)        # a first step of lr per entry, whatever |g|
    tensor([[0.9],
            [1.1]], shape=(2, 1), dtype=float32)
    >>> mb.show(net.bias, decimals=4)
    tensor([0.], shape=(1,), dtype=float32)
    """

    kind = "adam"
    slots = ("m", "v")

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, fused: bool | None = None) -> None:
        super().__init__(params, lr, weight_decay, fused)
        self.betas, self.eps = betas, eps

    def hyper(self) -> dict[str, float]:
        return {"beta1": self.betas[0], "beta2": self.betas[1], "eps": self.eps}

    def constants(self, t: int) -> dict[str, float]:
        b1, b2 = self.betas
        return {"c1": 1 - b1 ** t, "c2": 1 - b2 ** t}

    def delta(self, g: Any, state: dict[str, Any], lr: float, constants: dict[str, float]
              ) -> tuple[Any, dict[str, Any]]:
        b1, b2 = self.betas
        m = b1 * state["m"] + (1 - b1) * g
        v = b2 * state["v"] + (1 - b2) * g * g
        m_hat = m / constants["c1"]                    # bias corrections 1 - b1^t, 1 - b2^t
        v_hat = v / constants["c2"]
        return lr * m_hat / (ops.sqrt(v_hat) + self.eps), {"m": m, "v": v}


class RMSProp(Optimizer):
    """RMSProp: :math:`s \\leftarrow \\gamma s + (1-\\gamma) g^2`,
    :math:`w \\leftarrow w - \\eta\\, g / \\sqrt{s + \\epsilon}` (γ = 0.9 as in the book).

    >>> net = nn.Linear(2, 1, weight_init=init.ones())
    >>> optimizer = optim.RMSProp(net, lr=0.1)
    >>> grads = {"weight": mb.array([[100.0], [-1.0]]), "bias": mb.array([0.0])}
    >>> optimizer.step(grads)                  # s = 0.1 g²: a step of lr / sqrt(0.1)
    >>> mb.show(net.weight, decimals=4)
    tensor([[0.6838],
            [1.3162]], shape=(2, 1), dtype=float32)
    >>> optimizer.step(grads)                  # s = 0.19 g²: a shorter one
    >>> mb.show(net.weight, decimals=4)
    tensor([[0.4544],
            [1.5456]], shape=(2, 1), dtype=float32)
    """

    kind = "rmsprop"
    slots = ("s",)

    def __init__(self, params: Any, lr: float = 0.01, gamma: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, fused: bool | None = None) -> None:
        super().__init__(params, lr, weight_decay, fused)
        self.gamma, self.eps = gamma, eps

    def hyper(self) -> dict[str, float]:
        return {"gamma": self.gamma, "eps": self.eps}

    def delta(self, g: Any, state: dict[str, Any], lr: float, constants: dict[str, float]
              ) -> tuple[Any, dict[str, Any]]:
        s = self.gamma * state["s"] + (1 - self.gamma) * g * g
        return lr * g / ops.sqrt(s + self.eps), {"s": s}


class Adagrad(Optimizer):
    """Adagrad: :math:`s \\leftarrow s + g^2`, :math:`w \\leftarrow w - \\eta\\, g /
    \\sqrt{s + \\epsilon}`.

    >>> net = nn.Linear(2, 1, weight_init=init.ones())
    >>> optimizer = optim.Adagrad(net, lr=0.1)
    >>> grads = {"weight": mb.array([[100.0], [-1.0]]), "bias": mb.array([0.0])}
    >>> optimizer.step(grads)                  # s = g²: a step of lr per entry
    >>> mb.show(net.weight, decimals=4)
    tensor([[0.9],
            [1.1]], shape=(2, 1), dtype=float32)
    >>> optimizer.step(grads)                  # s = 2 g²: lr / sqrt(2)
    >>> mb.show(net.weight, decimals=4)
    tensor([[0.8293],
            [1.1707]], shape=(2, 1), dtype=float32)
    """

    kind = "adagrad"
    slots = ("s",)

    def __init__(self, params: Any, lr: float = 0.1, eps: float = 1e-6,
                 weight_decay: float = 0.0, fused: bool | None = None) -> None:
        super().__init__(params, lr, weight_decay, fused)
        self.eps = eps

    def hyper(self) -> dict[str, float]:
        return {"eps": self.eps}

    def delta(self, g: Any, state: dict[str, Any], lr: float, constants: dict[str, float]
              ) -> tuple[Any, dict[str, Any]]:
        s = state["s"] + g * g
        return lr * g / ops.sqrt(s + self.eps), {"s": s}


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012), without a learning rate of its own: :math:`s \\leftarrow \\rho s
    + (1-\\rho) g^2`, :math:`g' = \\sqrt{(\\Delta x + \\epsilon) / (s + \\epsilon)}\\, g`,
    :math:`\\Delta x \\leftarrow \\rho \\Delta x + (1-\\rho) g'^2`, :math:`w \\leftarrow w -
    \\eta g'` (``lr`` η is 1 in the algorithm, as in PyTorch; the book's is the same).

    >>> net = nn.Linear(2, 1, weight_init=init.ones())
    >>> optimizer = optim.Adadelta(net)
    >>> grads = {"weight": mb.array([[1.0], [-1.0]]), "bias": mb.array([0.0])}
    >>> optimizer.step(grads)                  # g' = sqrt(eps / (s + eps)) g: small at first
    >>> mb.show(net.weight, decimals=4)
    tensor([[0.99],
            [1.01]], shape=(2, 1), dtype=float32)
    >>> optimizer.step(grads)                  # then growing with the past steps Δx
    >>> mb.show(net.weight, decimals=4)
    tensor([[0.9797],
            [1.0203]], shape=(2, 1), dtype=float32)
    """

    slots = ("s", "delta")

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-5,
                 weight_decay: float = 0.0, fused: bool | None = None) -> None:
        super().__init__(params, lr, weight_decay, fused)
        self.rho, self.eps = rho, eps

    def hyper(self) -> dict[str, float]:
        return {"rho": self.rho, "eps": self.eps}

    def delta(self, g: Any, state: dict[str, Any], lr: float, constants: dict[str, float]
              ) -> tuple[Any, dict[str, Any]]:
        s = self.rho * state["s"] + (1 - self.rho) * g * g
        g_rescaled = ops.sqrt((state["delta"] + self.eps) / (s + self.eps)) * g
        delta = self.rho * state["delta"] + (1 - self.rho) * g_rescaled * g_rescaled
        return lr * g_rescaled, {"s": s, "delta": delta}
