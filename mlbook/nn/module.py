"""``Module``: the base class of every layer and network, and ``Sequential``.

A module holds its parameters as plain backend tensors in attributes (``self.weight``), so
``forward`` reads like the from-scratch code of the book.  Assigning ``Parameter(value)``
registers an attribute as a parameter; assigning a ``Module`` registers a child.  Names are
dotted paths (``"net.0.weight"``), as in PyTorch.

Training is functional underneath: :meth:`Module.functional_call` runs the module with other
tensors in place of its parameters, which is how gradients are taken on every backend::

    params = net.parameter_dict()
    loss, grads = mb.value_and_grad(lambda p: loss_fn(net.functional_call(p, X), y))(params)
"""

from __future__ import annotations

import os
import tempfile
from collections import OrderedDict
from typing import Any, Callable, Iterator

import numpy as np

from .. import config, ops
from ..init import Initializer

__all__ = ["Parameter", "Module", "Sequential"]


class Parameter:
    """Marks a value assigned to a module attribute as a trainable parameter:
    ``self.weight = Parameter(mb.zeros((3, 4)))``.  The attribute then holds the backend tensor
    itself (a ``tf.Variable`` on TensorFlow), not this wrapper.

    >>> m = nn.Module()
    >>> m.weight = nn.Parameter(mb.zeros((2, 3)))
    >>> m.scale = mb.ones(())                   # a plain tensor: not a parameter
    >>> list(m.parameter_dict())
    ['weight']
    >>> isinstance(m.weight, nn.Parameter), mb.shape(m.weight)
    (False, (2, 3))
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Module:
    """Base class: subclass it, create layers and parameters in ``__init__``, compute in
    ``forward``.  ``module(x)`` calls ``forward(x)``.

    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = nn.Linear(3, 4)               # a child module
    ...         self.scale = nn.Parameter(mb.ones(()))      # a parameter of its own
    ...     def forward(self, x):
    ...         return self.scale * mb.relu(self.hidden(x))
    >>> net = Net()
    >>> [(name, mb.shape(p)) for name, p in net.named_parameters()]
    [('scale', ()), ('hidden.weight', (3, 4)), ('hidden.bias', (4,))]
    >>> mb.shape(net(mb.ones((2, 3))))
    (2, 4)
    >>> grads = mb.grad(lambda p: mb.sum(net.functional_call(p, mb.ones((2, 3)))))(
    ...     net.parameter_dict())
    >>> list(grads)                             # the names of parameter_dict()
    ['scale', 'hidden.weight', 'hidden.bias']
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_param_names", [])
        object.__setattr__(self, "_buffer_names", [])
        object.__setattr__(self, "_children", OrderedDict())
        object.__setattr__(self, "_training", None)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_children" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                               "before assigning attributes")
        if isinstance(value, Parameter):
            value = None if value.value is None else ops.make_parameter(value.value)
            if name not in self._param_names:
                self._param_names.append(name)
        elif isinstance(value, Module):
            self._children[name] = value
        elif name in self._children and value is None:
            del self._children[name]
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: Any) -> None:
        """A tensor saved with the parameters but not trained (e.g. BatchNorm running means)."""
        object.__setattr__(self, name, value)
        if name not in self._buffer_names:
            self._buffer_names.append(name)

    def add_module(self, name: str, module: "Module") -> None:
        """Register ``module`` as the child ``name`` (what attribute assignment does)."""
        setattr(self, name, module)

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ traversal
    def children(self) -> Iterator["Module"]:
        """The direct sub-modules."""
        return iter(self._children.values())

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        return iter(self._children.items())

    def modules(self) -> Iterator["Module"]:
        """This module and all below it, each once."""
        for _, m in self.named_modules():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop(0)
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            stack[0:0] = [(f"{name}.{n}" if name else n, c) for n, c in module._children.items()]

    def named_parameters(self) -> Iterator[tuple[str, Any]]:
        """``(dotted name, tensor)`` for every initialised parameter; a module or tensor shared
        by several places appears once, under its first name."""
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name in module._param_names:
                value = module.__dict__.get(name)
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{prefix}.{name}" if prefix else name), value

    def is_initialized(self) -> bool:
        """False while a lazy layer below has not seen an input yet (its parameters are None)."""
        return all(m.__dict__.get(n) is not None for m in self.modules() for n in m._param_names)

    def parameters(self) -> list[Any]:
        """The parameter tensors, in ``named_parameters`` order."""
        return [p for _, p in self.named_parameters()]

    def parameter_dict(self) -> "OrderedDict[str, Any]":
        """``{dotted name: tensor}``: what ``value_and_grad`` differentiates and optimisers
        update."""
        return OrderedDict(self.named_parameters())

    def named_buffers(self) -> Iterator[tuple[str, Any]]:
        for prefix, module in self.named_modules():
            for name in module._buffer_names:
                yield (f"{prefix}.{name}" if prefix else name), module.__dict__[name]

    def _owner(self, dotted: str) -> tuple["Module", str]:
        *path, attr = dotted.split(".")
        module = self
        for part in path:
            if part not in module._children:
                raise KeyError(f"{type(self).__name__} has no sub-module {part!r} (in {dotted!r})")
            module = module._children[part]
        if attr not in module._param_names and attr not in module._buffer_names:
            raise KeyError(f"{dotted!r} is not a parameter or buffer of {type(self).__name__}")
        return module, attr

    # ------------------------------------------------------------------ functional use
    def functional_call(self, params: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        """``self(*args)`` computed with the tensors in ``params`` (by dotted name) in place of
        the module's own parameters, which are restored afterwards."""
        saved = []
        try:
            for name, value in params.items():
                module, attr = self._owner(name)
                saved.append((module, attr, module.__dict__[attr]))
                object.__setattr__(module, attr, value)
            return self(*args, **kwargs)
        finally:
            for module, attr, value in reversed(saved):
                object.__setattr__(module, attr, value)

    def replace_buffer(self, name: str, value: Any) -> None:
        """Make buffer ``name`` (dotted) refer to the tensor ``value``, as a layer's forward pass
        does when it updates running statistics (no copy, no check)."""
        module, attr = self._owner(name)
        if attr not in module._buffer_names:
            raise KeyError(f"{name!r} is a parameter, not a buffer; use set_parameter")
        object.__setattr__(module, attr, value)

    def set_parameter(self, name: str, value: Any) -> None:
        """Overwrite parameter or buffer ``name`` (dotted) in place with ``value`` (same shape)."""
        module, attr = self._owner(name)
        current = module.__dict__[attr]
        value = ops.array(value)
        if current is None:
            object.__setattr__(module, attr, ops.make_parameter(value))
            return
        if ops.shape(current) != ops.shape(value):
            raise ValueError(f"{name}: cannot assign shape {ops.shape(value)} to a parameter of "
                             f"shape {ops.shape(current)}")
        if ops.dtype(value) != ops.dtype(current):
            value = ops.astype(value, ops.dtype(current))
        if attr in module._param_names:
            ops.assign(current, value)
        else:
            object.__setattr__(module, attr, value)

    # ------------------------------------------------------------------ devices
    def to_device(self, device: Any) -> "Module":
        """Move every parameter and buffer to ``device`` (``mb.gpu()``, ``mb.try_gpu()``, as
        PyTorch's ``net.to(device)`` and MXNet's ``reset_ctx``); returns the module.

        A parameter that is not on ``device`` yet is replaced by a new one there (a parameter
        shared by several layers stays shared), so an optimiser created before holds the old
        tensors: create it after moving, or train with ``fit(..., device=...)``, which moves
        the network and the optimiser together.  The device must exist (``mb.try_gpu()``
        falls back to the CPU); uninitialised lazy parameters are created on the device of the
        first input."""
        from ..devices import check_device
        check_device(device)
        where = (device.kind, device.index)
        moved: dict[int, Any] = {}
        for module in self.modules():
            for name in module._param_names + module._buffer_names:
                value = module.__dict__.get(name)
                if value is None:
                    continue
                if id(value) not in moved:
                    if ops.devices.placement(value) == where:
                        moved[id(value)] = value
                    elif name in module._param_names:
                        moved[id(value)] = ops.devices.move_parameter(value, *where)
                    else:
                        moved[id(value)] = ops.devices.move(value, *where)
                object.__setattr__(module, name, moved[id(value)])
        return self

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> "Module":
        """Training behaviour (dropout active, batch statistics) for this module and all below
        it, whatever ``mlbook.is_training()`` says.  Returns the module."""
        for m in self.modules():
            object.__setattr__(m, "_training", bool(mode))
        return self

    def eval(self) -> "Module":
        """Prediction behaviour for this module and all below it."""
        return self.train(False)

    @property
    def training(self) -> bool:
        """Whether the module behaves as in training: set by ``train()``/``eval()``, else
        following ``mlbook.is_training()`` (``record()``, ``train_mode()``)."""
        return config.is_training() if self._training is None else self._training

    # ------------------------------------------------------------------ initialisation
    def initialize(self, init: Initializer, kind: str = "weight") -> "Module":
        """Re-draw every parameter whose name is ``kind`` (``"weight"``, ``"bias"`` ...) in this
        module and below with ``init``.  Returns the module."""
        for prefix, module in self.named_modules():
            fans = getattr(module, "fans", None)
            for name in module._param_names:
                value = module.__dict__.get(name)
                if name != kind or value is None:
                    continue
                shape = ops.shape(value)
                fan_in, fan_out = fans(name) if fans else _default_fans(shape)
                module.set_parameter(name, ops.from_numpy(init(shape, fan_in, fan_out)))
        return self

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn(module)`` on this module and every module below it (PyTorch's ``apply``)."""
        for m in self.modules():
            fn(m)
        return self

    # ------------------------------------------------------------------ files
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Parameters and buffers as numpy arrays, by dotted name: a snapshot (copies), which
        later training does not change."""
        state = OrderedDict((n, np.array(ops.to_numpy(v))) for n, v in self.named_parameters())
        state.update((n, np.array(ops.to_numpy(v))) for n, v in self.named_buffers())
        return state

    def save(self, path: str | os.PathLike) -> None:
        """Write parameters and buffers to a portable ``.npz`` file (any backend can load it).
        The file is written to a temporary name and renamed, so it is never half-written."""
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(suffix=".npz", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **self.state_dict())
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    def load(self, path: str | os.PathLike) -> "Module":
        """Read a file written by :meth:`save` (on any backend).  Names and shapes must match
        the module exactly; otherwise a ``ValueError`` lists every difference."""
        with np.load(os.fspath(path)) as f:
            state = {k: f[k] for k in f.files}
        self.load_state_dict(state)
        return self

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Assign parameters and buffers from numpy arrays, checking names and shapes first."""
        ours = OrderedDict((n, ops.shape(v)) for n, v in self.named_parameters())
        ours.update((n, ops.shape(v)) for n, v in self.named_buffers())
        missing = [n for n in ours if n not in state]
        unexpected = [n for n in state if n not in ours]
        wrong = [f"{n}: file {tuple(state[n].shape)} vs model {ours[n]}"
                 for n in ours if n in state and tuple(state[n].shape) != ours[n]]
        if missing or unexpected or wrong:
            lines = ([f"missing from the file: {', '.join(missing)}"] if missing else []) + \
                    ([f"not in the model: {', '.join(unexpected)}"] if unexpected else []) + \
                    ([f"shape mismatch: {'; '.join(wrong)}"] if wrong else [])
            raise ValueError("the file does not match the model (uninitialised lazy layers have "
                             "no parameters yet: call the model on an input first):\n  "
                             + "\n  ".join(lines))
        for name in ours:
            self.set_parameter(name, ops.from_numpy(state[name]))

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({n}): " + repr(c).replace("\n", "\n  ") for n, c in self._children.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ")" if not lines else head + "\n  " + "\n  ".join(lines) + "\n)"


def _default_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) < 2:
        return (shape[0] if shape else 1), (shape[0] if shape else 1)
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(784, 256), ReLU(), Linear(256,
    10))``.  Children are named ``"0"``, ``"1"``, ...; index with ``net[0]``.

    >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    >>> net
    Sequential(
      (0): Linear(in_features=3, out_features=4)
      (1): ReLU()
      (2): Linear(in_features=4, out_features=2)
    )
    >>> len(net), net[-1]
    (3, Linear(in_features=4, out_features=2))
    >>> mb.shape(net(mb.ones((5, 3))))
    (5, 2)
    >>> list(net.parameter_dict())              # ReLU has no parameters
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes Modules, got {type(m).__name__} at position {i}")
            self.add_module(str(i), m)

    def add(self, *modules: Module) -> "Sequential":
        """Append modules (MXNet's ``net.add``)."""
        for m in modules:
            self.add_module(str(len(self._children)), m)
        return self

    def forward(self, x: Any) -> Any:
        for m in self._children.values():
            x = m(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return list(self._children.values())[i]

    def __len__(self) -> int:
        return len(self._children)
