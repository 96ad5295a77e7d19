"""The JAX backend: ``jax.Array`` tensors, gradients from ``jax.vjp``.

JAX differs from the other frameworks in three ways, each answered here:

* **Immutable arrays.**  A parameter is a :class:`Variable`, a small mutable holder of a
  ``jax.Array`` (the role of Keras's ``Variable`` on JAX, or ``tf.Variable``): ``assign``
  replaces the array it holds.  It computes like an array (``__jax_array__``, operators,
  ``shape``, ``dtype``), and everything mlbook computes from it is a plain ``jax.Array``.
* **No tape.**  :class:`Tape` records each operation on a watched array as it runs, with the
  operation's VJP from ``jax.vjp``, and backpropagates through the record (HIPS autograd's
  design).  Watched arrays and everything computed from them are :class:`Box` objects while
  recording; operators, ``float()`` and Python control flow work on them.
* **float64 off by default.**  Loading this backend turns on ``jax_enable_x64``, so that int64
  (mlbook's integer type) and float64 exist as on the other backends; float32 stays the default.

Functional gradients (:func:`value_and_grad`) use ``jax.vjp`` on the whole function.  Python
``if``/``while`` on values works under it, as in ``jax.grad``; JAX lets ``bool()`` and ``int()``
read the value of a concrete tracer but not ``float()``, which is added below so that a reader's
``float(loss)`` behaves as on the other backends (under ``jax.jit`` nothing changes: a traced
value there has no concrete value).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402
from jax._src import core as _jax_core  # noqa: E402

from . import common  # noqa: E402
from . import backend_of, foreign_error  # noqa: E402

jax.config.update("jax_enable_x64", True)

NAME = "jax"
_DTYPES = {name: jnp.dtype(name) for name in common.DTYPES}


def _concrete_float(self: Any) -> float:
    if _jax_core.is_concrete(self):
        return float(self.to_concrete_value())
    _jax_core.check_scalar_conversion(self)
    return self.aval._float(self)


_jax_core.Tracer.__float__ = _concrete_float      # as JAX's own __int__ and __bool__ do


# ----------------------------------------------------------------------------- parameters
class Variable:
    """A parameter: a mutable holder of a ``jax.Array`` (``assign`` replaces the array).

    It stands in for its array wherever JAX expects one (``jnp.sin(v)``, ``v + 1``,
    ``np.asarray(v)``); results are plain arrays."""

    __slots__ = ("value",)
    __array_priority__ = 1000

    def __init__(self, value: Any) -> None:
        self.value = value

    def __jax_array__(self) -> jax.Array:
        return self.value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = np.asarray(self.value)
        return a if dtype is None else a.astype(dtype)

    shape = property(lambda self: self.value.shape)
    dtype = property(lambda self: self.value.dtype)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)
    T = property(lambda self: self.value.T)

    def __repr__(self) -> str:
        return f"Variable({self.value!r})"

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self) -> Any:
        return iter(self.value)

    def __getitem__(self, index: Any) -> Any:
        return self.value[index]

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def astype(self, dtype: Any) -> jax.Array:
        return self.value.astype(dtype)


def _forward(name: str) -> Callable[..., Any]:
    def op(self: Any, *args: Any) -> Any:
        return getattr(self.value, name)(*args)
    op.__name__ = name
    return op


for _name in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv",
              "rfloordiv", "mod", "pow", "rpow", "matmul", "rmatmul", "neg", "pos", "abs",
              "lt", "le", "gt", "ge", "eq", "ne", "and", "or", "invert"):
    setattr(Variable, f"__{_name}__", _forward(f"__{_name}__"))
Variable.__hash__ = object.__hash__         # identity: optimisers key their state on it


def make_parameter(x: Any) -> Variable:
    return Variable(_value(x))


def assign(param: Variable, value: Any) -> None:
    param.value = jnp.asarray(_value(value), dtype=param.value.dtype)


def assign_sub(param: Variable, delta: Any) -> None:
    param.value = (param.value - _value(delta)).astype(param.value.dtype)


def _value(x: Any) -> Any:
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, Box):
        return x.value
    return x


# ----------------------------------------------------------------------------- the tape
class _Node:
    """One recorded operation: its VJP and, for each differentiable input, the (node, output
    index) it came from.  A watched array is a node without inputs."""

    __slots__ = ("vjp", "parents", "outputs", "tree")

    def __init__(self, vjp: Any, parents: list[tuple["_Node", int] | None],
                 outputs: list[tuple[tuple[int, ...], Any]], tree: Any) -> None:
        self.vjp, self.parents, self.outputs, self.tree = vjp, parents, outputs, tree


class Box:
    """An array being recorded by a :class:`Tape`: its value and the operation that made it."""

    __slots__ = ("value", "node", "index")
    __array_priority__ = 1000
    __array_ufunc__ = None                  # numpy defers to our reflected operators

    def __init__(self, value: jax.Array, node: _Node, index: int) -> None:
        self.value, self.node, self.index = value, node, index

    shape = property(lambda self: self.value.shape)
    dtype = property(lambda self: self.value.dtype)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)

    @property
    def T(self) -> Any:
        return transpose(self, tuple(reversed(range(self.value.ndim))))

    def __repr__(self) -> str:
        return f"Box({self.value!r})"

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self.value)))

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __index__(self) -> int:
        return self.value.__index__()

    def __bool__(self) -> bool:
        return bool(self.value)

    def astype(self, dtype: Any) -> Any:
        return astype(self, jnp.dtype(dtype).name)

    def __getitem__(self, index: Any) -> Any:
        return _lifted(lambda x, i: x[i])(self, _value(index) if not isinstance(index, tuple)
                                          else tuple(_value(i) for i in index))


def _is_box(x: Any) -> bool:
    return type(x) is Box


def _boxes_in(args: Sequence[Any]) -> bool:
    for a in args:
        if type(a) is Box:
            return True
        if type(a) in (list, tuple):
            for b in a:
                if type(b) is Box:
                    return True
    return False


def _record(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``fn(*args, **kwargs)`` with boxed arguments: computed with ``jax.vjp`` and boxed."""
    leaves, structure = common.flatten_tree(list(args))
    positions = [i for i, leaf in enumerate(leaves)
                 if _is_box(leaf) and jnp.issubdtype(leaf.value.dtype, jnp.inexact)]
    plain = [_value(leaf) for leaf in leaves]

    def call(*values: Any) -> Any:
        filled = list(plain)
        for i, v in zip(positions, values):
            filled[i] = v
        return fn(*common.unflatten_tree(filled, structure), **kwargs)

    if not positions:
        return call()
    out, vjp = jax.vjp(call, *[plain[i] for i in positions])
    flat, tree = jax.tree_util.tree_flatten(out)
    node = _Node(vjp, [(leaves[i].node, leaves[i].index) for i in positions],
                 [(jnp.shape(o), jnp.result_type(o)) for o in flat], tree)
    boxed = [Box(o, node, k) if jnp.issubdtype(jnp.result_type(o), jnp.inexact) else o
             for k, o in enumerate(flat)]
    return jax.tree_util.tree_unflatten(tree, boxed)


def _lifted(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` that records itself when an argument is a :class:`Box`."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _boxes_in(args):
            return _record(fn, args, kwargs)
        return fn(*args, **kwargs)
    wrapper.__name__ = getattr(fn, "__name__", "op")
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped__ = fn
    return wrapper


def _box_operator(fn: Callable[..., Any], reflected: bool = False) -> Callable[..., Any]:
    lifted = _lifted(fn)
    if reflected:
        return lambda self, other: lifted(other, self)
    return lambda self, *other: lifted(self, *other)


for _name, _fn in (("add", jnp.add), ("sub", jnp.subtract), ("mul", jnp.multiply),
                   ("truediv", jnp.true_divide), ("floordiv", jnp.floor_divide),
                   ("mod", jnp.mod), ("pow", jnp.power), ("matmul", jnp.matmul)):
    setattr(Box, f"__{_name}__", _box_operator(_fn))
    setattr(Box, f"__r{_name}__", _box_operator(_fn, reflected=True))
for _name, _fn in (("neg", jnp.negative), ("pos", jnp.positive), ("abs", jnp.abs)):
    setattr(Box, f"__{_name}__", _box_operator(_fn))
for _name, _fn in (("lt", jnp.less), ("le", jnp.less_equal), ("gt", jnp.greater),
                   ("ge", jnp.greater_equal), ("eq", jnp.equal), ("ne", jnp.not_equal)):
    setattr(Box, f"__{_name}__", lambda self, other, _fn=_fn: _fn(self.value, _value(other)))
Box.__hash__ = object.__hash__


def _zeros_for(shape: tuple[int, ...], dtype: Any) -> Any:
    if jnp.issubdtype(dtype, jnp.inexact):
        return jnp.zeros(shape, dtype)
    return np.zeros(shape, dtype=jax.dtypes.float0)


def _toposort(end: _Node) -> list[_Node]:
    """The nodes ``end`` depends on, each after every node that uses it."""
    children: dict[int, int] = {}
    stack, seen = [end], {id(end)}
    while stack:
        node = stack.pop()
        for parent in node.parents:
            p = parent[0]
            children[id(p)] = children.get(id(p), 0) + 1
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    order, ready = [], [end]
    while ready:
        node = ready.pop()
        order.append(node)
        for parent in node.parents:
            p = parent[0]
            children[id(p)] -= 1
            if children[id(p)] == 0:
                ready.append(p)
    return order


class Tape:
    """Records operations on watched arrays (each with its ``jax.vjp``) for ``gradient``."""

    def __enter__(self) -> "Tape":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def watch(self, x: Any) -> Any:
        x = _value(coerce(x))
        if not jnp.issubdtype(x.dtype, jnp.inexact):
            return x                         # integers have no gradient
        return Box(x, _Node(None, [], [(x.shape, x.dtype)], None), 0)

    def gradient(self, y: Any, sources: list[Any]) -> list[Any]:
        if not _is_box(y):
            return [jnp.zeros_like(_value(s)) for s in sources]
        grads: dict[int, list[Any]] = {id(y.node): [None] * len(y.node.outputs)}
        grads[id(y.node)][y.index] = jnp.ones_like(y.value)
        found: dict[int, Any] = {}
        for node in _toposort(y.node):
            cts = grads.pop(id(node))
            if node.vjp is None:             # a watched array
                found[id(node)] = cts[0]
                continue
            full = [ct if ct is not None else _zeros_for(*spec)
                    for ct, spec in zip(cts, node.outputs)]
            ins = node.vjp(jax.tree_util.tree_unflatten(node.tree, full))
            for (parent, index), ct in zip(node.parents, ins):
                slot = grads.setdefault(id(parent), [None] * len(parent.outputs))
                slot[index] = ct if slot[index] is None else slot[index] + ct
        out = []
        for s in sources:
            g = found.get(id(s.node)) if _is_box(s) and s.node.vjp is None else None
            out.append(jnp.zeros_like(_value(s)) if g is None
                       else g.astype(_value(s).dtype))
        return out


# ----------------------------------------------------------------------------- identity, conversion
_NATIVE = (jax.Array, Variable, Box)


def is_native(x: Any) -> bool:
    return isinstance(x, _NATIVE)


def coerce(x: Any) -> Any:
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, _NATIVE):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return jnp.asarray(x)
    if backend_of(x) not in (None, "numpy"):
        raise foreign_error(x, NAME)
    return jnp.asarray(common.host_array(x))


def from_numpy(a: np.ndarray) -> jax.Array:
    return jnp.asarray(np.asarray(a))


def to_numpy(x: Any) -> np.ndarray:
    return np.asarray(_value(x))


def dtype_name(x: Any) -> str:
    return jnp.dtype(x.dtype).name


def is_floating(x: Any) -> bool:
    return bool(jnp.issubdtype(x.dtype, jnp.floating))


def astype(x: Any, dtype: str) -> Any:
    return x.astype(_DTYPES[dtype]) if not _is_box(x) else _lifted(
        lambda v: v.astype(_DTYPES[dtype]))(x)


def shape(x: Any) -> tuple[int, ...]:
    return tuple(x.shape)


# ----------------------------------------------------------------------------- creation
def zeros(shape: tuple[int, ...], dtype: str) -> jax.Array:
    return jnp.zeros(shape, dtype=_DTYPES[dtype])


def ones(shape: tuple[int, ...], dtype: str) -> jax.Array:
    return jnp.ones(shape, dtype=_DTYPES[dtype])


def full(shape: tuple[int, ...], value: Any, dtype: str) -> jax.Array:
    return jnp.full(shape, value, dtype=_DTYPES[dtype])


# ----------------------------------------------------------------------------- shape
def reshape(x: Any, shape: tuple[int, ...]) -> Any:
    return jnp.reshape(x, shape)


def transpose(x: Any, axes: Sequence[int]) -> Any:
    return jnp.transpose(x, tuple(axes))


def expand_dims(x: Any, axis: int) -> Any:
    return jnp.expand_dims(x, axis)


def squeeze(x: Any, axis: tuple[int, ...] | None) -> Any:
    return jnp.squeeze(x, axis=axis)


def concat(xs: Sequence[Any], axis: int) -> Any:
    return jnp.concatenate(list(xs), axis=axis)


def stack(xs: Sequence[Any], axis: int) -> Any:
    return jnp.stack(list(xs), axis=axis)


def split(x: Any, sizes: list[int], axis: int) -> list[Any]:
    return list(jnp.split(x, np.cumsum(sizes)[:-1].tolist(), axis=axis))


def tile(x: Any, reps: tuple[int, ...]) -> Any:
    return jnp.tile(x, reps)


def repeat(x: Any, repeats: int, axis: int | None) -> Any:
    return jnp.repeat(x, repeats, axis=axis)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    return jnp.broadcast_to(x, shape)


def pad(x: Any, pad_width: tuple[tuple[int, int], ...], value: float) -> Any:
    return jnp.pad(x, pad_width, mode="constant", constant_values=value)


# ----------------------------------------------------------------------------- elementwise
exp, log, log1p, sqrt, abs, sign = jnp.exp, jnp.log, jnp.log1p, jnp.sqrt, jnp.abs, jnp.sign
sin, cos, tanh, sigmoid = jnp.sin, jnp.cos, jnp.tanh, jax.nn.sigmoid
relu = jax.nn.relu                           # its derivative at 0 is 0, as on the other backends
floor, round = jnp.floor, jnp.round          # jnp.round rounds half to even
maximum, minimum, power, where = jnp.maximum, jnp.minimum, jnp.power, jnp.where


def clip(x: Any, lo: Any, hi: Any) -> Any:
    if lo is not None:
        x = jnp.maximum(x, jnp.asarray(lo, dtype=x.dtype))
    if hi is not None:
        x = jnp.minimum(x, jnp.asarray(hi, dtype=x.dtype))
    return x


# ----------------------------------------------------------------------------- reductions
# each called as f(x, axis=<tuple or None>, keepdims=<bool>)
max, min, prod = jnp.max, jnp.min, jnp.prod
any, all = jnp.any, jnp.all

# XLA's CPU float32 reductions add in blocks whose order depends on the shape; summing in
# float64 and rounding once matches the other backends' accuracy (as on TensorFlow and numpy).
_LOW_FLOATS = (jnp.dtype("float16"), jnp.dtype("bfloat16"), jnp.dtype("float32"))


def sum(x: Any, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    if x.dtype in _LOW_FLOATS:
        return jnp.sum(x, axis=axis, keepdims=keepdims, dtype=jnp.float64).astype(x.dtype)
    if x.dtype == jnp.bool_:
        return jnp.sum(x, axis=axis, keepdims=keepdims, dtype=jnp.int64)
    return jnp.sum(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    if x.dtype in _LOW_FLOATS:
        return jnp.mean(x, axis=axis, keepdims=keepdims, dtype=jnp.float64).astype(x.dtype)
    return jnp.mean(x, axis=axis, keepdims=keepdims)


def argmax(x: Any, axis: int | None, keepdims: bool) -> jax.Array:
    return jnp.argmax(_value(x), axis=axis, keepdims=keepdims).astype(jnp.int64)


def argmin(x: Any, axis: int | None, keepdims: bool) -> jax.Array:
    return jnp.argmin(_value(x), axis=axis, keepdims=keepdims).astype(jnp.int64)


def cumsum(x: Any, axis: int) -> Any:
    if x.dtype == jnp.bool_:
        return jnp.cumsum(x, axis=axis, dtype=jnp.int64)
    return jnp.cumsum(x, axis=axis)


# ----------------------------------------------------------------------------- linear algebra
matmul, einsum = jnp.matmul, jnp.einsum


def tensordot(a: Any, b: Any, axes: Any) -> Any:
    return jnp.tensordot(a, b, axes=axes)


# ----------------------------------------------------------------------------- comparison, logic
equal, not_equal, greater, greater_equal = jnp.equal, jnp.not_equal, jnp.greater, jnp.greater_equal
less, less_equal = jnp.less, jnp.less_equal
logical_and, logical_or, logical_not = jnp.logical_and, jnp.logical_or, jnp.logical_not


# ----------------------------------------------------------------------------- indexing
def take(x: Any, indices: Any, axis: int) -> Any:
    return x[(slice(None),) * axis + (_value(indices),)]


def take_along_axis(x: Any, indices: Any, axis: int) -> Any:
    return jnp.take_along_axis(x, _value(indices), axis=axis)


def boolean_mask(x: Any, mask: Any) -> Any:
    return x[np.asarray(_value(mask), dtype=bool)]


# ----------------------------------------------------------------------------- convolution, pooling
def conv2d(x: Any, w: Any, stride: tuple[int, int], padding: tuple[int, int]) -> Any:
    (ph, pw) = padding
    return lax.conv_general_dilated(x, w, window_strides=tuple(stride),
                                    padding=((ph, ph), (pw, pw)),
                                    dimension_numbers=("NCHW", "OIHW", "NCHW"))


def _pool(x: Any, init: Any, op: Callable[..., Any], kernel: tuple[int, int],
          stride: tuple[int, int], padding: tuple[int, int]) -> Any:
    (ph, pw) = padding
    return lax.reduce_window(x, jnp.asarray(init, x.dtype), op, (1, 1) + tuple(kernel),
                             (1, 1) + tuple(stride), ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def max_pool2d(x, kernel, stride, padding):  # noqa: D103 - documented in mlbook.nn.functional
    return _pool(x, -jnp.inf, lax.max, kernel, stride, padding)


def avg_pool2d(x, kernel, stride, padding):  # noqa: D103
    total = _pool(x, 0, lax.add, kernel, stride, padding)
    return total / jnp.asarray(kernel[0] * kernel[1], x.dtype)


# ----------------------------------------------------------------------------- devices
def _gpus() -> list[Any]:
    try:
        return jax.devices("gpu")
    except RuntimeError:                     # no GPU backend in this jaxlib
        return []


def num_gpus() -> int:
    return len(_gpus())


def device_of(x: Any) -> tuple[str, int]:
    device = next(iter(_value(x).devices()))
    return ("cpu", 0) if device.platform == "cpu" else ("gpu", device.id)


def to_device(x: Any, kind: str, index: int) -> Any:
    target = jax.devices("cpu")[0] if kind == "cpu" else _gpus()[index]
    return jax.device_put(_value(x), target)


# ----------------------------------------------------------------------------- autograd
def stop_gradient(x: Any) -> Any:
    return lax.stop_gradient(_value(x))


def value_and_grad(fun: Callable[[list[Any]], Any], leaves: list[Any],
                   has_aux: bool) -> tuple[Any, Any, list[Any]]:
    """Evaluate ``fun(leaves)`` and the gradient of its scalar output w.r.t. each leaf."""
    leaves = [_value(leaf) for leaf in leaves]
    wanted = [i for i, leaf in enumerate(leaves) if jnp.issubdtype(leaf.dtype, jnp.inexact)]

    def traced(*values: Any) -> tuple[Any, Any]:
        call = list(leaves)
        for i, v in zip(wanted, values):
            call[i] = v
        out = fun(call)
        aux = None
        if has_aux:
            out, aux = out
        out = coerce(out)
        if out.size != 1:
            raise ValueError(f"grad needs a function with a scalar output, got shape "
                             f"{tuple(out.shape)}; reduce it first, e.g. with mlbook.sum")
        return jnp.reshape(out, ()), aux

    out, vjp, aux = jax.vjp(traced, *[leaves[i] for i in wanted], has_aux=True)
    found = vjp(jnp.ones_like(out)) if wanted else ()
    grads = [jnp.zeros_like(leaf) for leaf in leaves]
    for i, g in zip(wanted, found):
        grads[i] = g.astype(leaves[i].dtype)
    return out, aux, grads


# ----------------------------------------------------------------------------- recording
# Every operation of the interface records itself when given a Box (a watched array), so the
# tape sees everything the neutral API computes.
def _lift_interface() -> None:
    from . import INTERFACE, OPTIONAL
    skip = {"NAME", "is_native", "coerce", "from_numpy", "to_numpy", "dtype_name", "is_floating",
            "astype", "shape", "zeros", "ones", "full", "make_parameter", "assign",
            "assign_sub", "num_gpus", "device_of", "to_device", "stop_gradient",
            "value_and_grad", "Tape", "argmax", "argmin"}
    namespace = globals()
    for name in INTERFACE + OPTIONAL:
        if name in namespace and name not in skip:
            namespace[name] = _lifted(namespace[name])


_lift_interface()
