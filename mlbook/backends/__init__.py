"""Backend registry and lazy loading.

Each backend is one module in this package (``numpy.py``, ``mxnet.py``, ``torch.py``,
``tensorflow.py``, ``jax.py``) defining the same names, listed in :data:`INTERFACE`; what mlbook
knows about it without importing it is its record in :mod:`mlbook.records`.  Only these modules
import a framework.  ``active`` is the module of the current backend; it starts as a proxy that
imports the backend on first use, so ``import mlbook`` stays cheap and imports one framework.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import Any

from .. import config

from ..records import BY_NAME, RECORDS

#: Framework each backend needs, as (import name, preferred pip distribution, mlbook extra).
FRAMEWORKS: dict[str, tuple[str, str, str]] = {
    r.name: (r.import_name, r.distributions[0], r.extra) for r in RECORDS}

#: pip distributions that can provide each backend's framework (the versions `mlbook info`
#: prints and the website's execution cache is keyed on).
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {r.name: r.distributions for r in RECORDS}

#: Names every backend module defines (checked by the tests).
INTERFACE: tuple[str, ...] = (
    # identity and conversion
    "NAME", "is_native", "coerce", "from_numpy", "to_numpy", "dtype_name", "is_floating",
    "astype", "shape",
    # creation (arange, eye, linspace are computed by numpy and converted, the same everywhere)
    "zeros", "ones", "full",
    # shape
    "reshape", "transpose", "expand_dims", "squeeze", "concat", "stack", "split", "tile",
    "repeat", "broadcast_to", "pad",
    # elementwise
    "exp", "log", "log1p", "sqrt", "abs", "sign", "sin", "cos", "tanh", "sigmoid", "relu",
    "floor", "round", "maximum", "minimum", "power", "where", "clip",
    # reductions
    "sum", "mean", "max", "min", "prod", "argmax", "argmin", "cumsum",
    # linear algebra
    "matmul", "tensordot", "einsum",
    # comparison and logic
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    "logical_and", "logical_or", "logical_not", "any", "all",
    # indexing
    "take", "take_along_axis", "boolean_mask",
    # parameters: make_parameter gives a tensor an optimiser can update (a tf.Variable on
    # TensorFlow); assign(param, value) updates it in place
    "make_parameter", "assign", "assign_sub",
    # devices: num_gpus(), device_of(x) -> (kind, index), to_device(x, kind, index),
    # parameter_on(x, kind, index): a new parameter holding x, placed on that device
    "num_gpus", "device_of", "to_device", "parameter_on",
    # NCHW convolution and pooling with symmetric zero (max: -inf) padding
    "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d",
    # autograd
    "stop_gradient", "value_and_grad", "Tape",
)

#: Names a backend may define to replace mlbook's generic version with a fused native kernel
#: (``logsumexp(x, axes, keepdims)``, ``softmax(x, axis)``, ``log_softmax(x, axis)``,
#: ``cross_entropy(logits, labels)`` giving the per-example losses of 2-D logits,
#: ``conv2d_bias(x, w, bias, stride, padding)``, a convolution that adds the bias itself).
OPTIONAL: tuple[str, ...] = ("logsumexp", "softmax", "log_softmax", "cross_entropy",
                             "conv2d_bias")

# A backend may also define ``OPTIMIZER_KERNELS`` ({optimiser kind: kernel}, see
# mlbook.ops.parameters.optimizer_kernel) and, if its framework compiles, ``compile_function(fn)``
# (mlbook.ops.parameters.compile_function): the optimisers' fused paths and Trainer(compile=True);
# with ``COMPILES_EXACTLY = True`` where a compiled function computes bit for bit what it computes
# eagerly (mlbook.compiled then compiles the training loops' gradients), and ``is_symbolic(x)``,
# true for a tensor being traced, which has no value to read on the host.

_loaded: dict[str, ModuleType] = {}


def is_installed(name: str) -> bool:
    """Whether the framework behind backend ``name`` can be found (without importing it)."""
    name = config.canonical_name(name)
    return importlib.util.find_spec(FRAMEWORKS[name][0]) is not None


def load(name: str) -> ModuleType:
    """Import and return the backend module for ``name``.

    Raises ``ValueError`` for an unknown name and ``ImportError`` naming the pip extra to
    install when the framework is missing.
    """
    name = config.canonical_name(name)
    if name in _loaded:
        return _loaded[name]
    record = BY_NAME[name]
    if importlib.util.find_spec(record.import_name) is None:
        raise ImportError(f"mlbook backend {name!r} needs the {record.distributions[0]!r} "
                          f"package, which is not installed; install it with: "
                          f"{record.install_hint}")
    module = importlib.import_module(f"mlbook.backends.{name}")
    _loaded[name] = module
    return module


class _LazyBackend:
    """Stands in for the backend module until first use, then replaces itself with it."""

    def __init__(self, name: str) -> None:
        self.NAME = name

    def __getattr__(self, attr: str) -> Any:
        global active
        module = load(self.NAME)
        if active is self:
            active = module
        return getattr(module, attr)


#: The active backend module (or a lazy proxy for it).
active: Any = _LazyBackend(config.backend_from_env())


def current() -> ModuleType:
    """The active backend module, imported if it was not yet."""
    global active
    if isinstance(active, _LazyBackend):
        active = load(active.NAME)
    return active


def set_backend(name: str) -> str:
    """Switch the active backend (imported now, so a missing framework fails here)."""
    global active
    active = load(name)
    return active.NAME


def name() -> str:
    """Name of the active backend, without importing it."""
    return active.NAME


def backend_of(x: Any) -> str | None:
    """Which backend a tensor object belongs to, judged by its type's module (no import)."""
    module = type(x).__module__ + "."
    for record in RECORDS:
        if any(module.startswith(m + ".") for m in record.tensor_modules):
            return record.name
    return None


def foreign_error(x: Any, backend_name: str) -> TypeError:
    """The error for a tensor of another backend passed to the ``backend_name`` backend."""
    other = backend_of(x)
    kind = f"{type(x).__module__}.{type(x).__qualname__}"
    return TypeError(
        f"got a {other} tensor ({kind}) but the active mlbook backend is {backend_name!r}; "
        f"create tensors after choosing the backend, convert with "
        f"mlbook.array(<numpy array>), or call mlbook.set_backend({other!r})")
