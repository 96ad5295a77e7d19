"""The JAX backend: ``jax.Array`` tensors, gradients from a tape of compiled operations.

JAX differs from the other frameworks in three ways, each answered here:

* **Immutable arrays.**  A parameter is a :class:`Variable`, a small mutable holder of a
  ``jax.Array`` (the role of Keras's ``Variable`` on JAX, or ``tf.Variable``): ``assign``
  replaces the array it holds.  It computes like an array (``__jax_array__``, operators,
  ``shape``, ``dtype``), and everything mlbook computes from it is a plain ``jax.Array``.
* **No tape.**  :class:`Tape` records each operation on a watched array as it runs, and
  backpropagates through the record with each operation's VJP (HIPS autograd's design, with
  every operation and every VJP a compiled XLA computation, cached).  Watched arrays and
  everything computed from them are :class:`Box` objects while recording; operators,
  ``float()`` and Python control flow work on them.  ``grad``/``value_and_grad`` use the same
  tape.
* **float64 off by default.**  Loading this backend turns on ``jax_enable_x64``, so that int64
  (mlbook's integer type) and float64 exist as on the other backends; float32 stays the default.

Nothing is compiled across operations (no ``jax.jit`` of a reader's function): mlbook's
randomness comes from numpy and layers keep Python state, which a trace would freeze.
"""

from __future__ import annotations

import builtins
from typing import Any, Callable, Sequence

import numpy as np

import jax
import jax.numpy as jnp
from jax import lax

from . import common
from . import backend_of, foreign_error

jax.config.update("jax_enable_x64", True)

NAME = "jax"
_DTYPES = {name: jnp.dtype(name) for name in common.DTYPES}


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


def compile_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``jax.jit(fn)``: Python floats become traced (weakly typed) scalars, so a new learning
    rate does not compile again."""
    return jax.jit(fn)


def _value(x: Any) -> Any:
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, Box):
        return x.value
    return x


# ----------------------------------------------------------------------------- the tape
# Every gradient on this backend comes from this tape (``value_and_grad`` records the function
# on it too).  An operation on a Box runs as one compiled XLA computation (``jax.jit`` of the
# operation, cached per operation, static arguments and shapes) and records a node; the
# backward pass runs, per node, the compiled VJP of that operation (``jax.jit`` of ``jax.vjp``).
# Differentiating a whole function with ``jax.vjp`` instead costs JAX's tracing machinery for
# every primitive of every step, 5-10x slower in the book's RNN sections; and the values here
# are concrete, so ``float(x)``, ``if``/``while`` on values work as on the other backends.
_DYNAMIC = object()                 # marks a leaf passed to the compiled function as an argument

# XLA compiles at optimisation level 0 in the book's kernels (``mlbook.execution``): most of
# the operations a section runs are small, and LLVM's optimisations cost more compile time than
# they save there.  On large arrays the loops XLA emits itself (elementwise operations,
# reductions, pooling's windows and their scatter, a transposed convolution's dilated input)
# run 3-25x faster optimised (a max-pool VJP on 16x64x32x32: 178 -> 44 ms; FCN's transposed
# convolution: 913 -> 34 ms), so an operation with an array of at least ``_LARGE`` elements
# is compiled at XLA's default level 2.  The choice depends on shapes only, so every run of a
# section compiles the same programs.  Inside a trace (``Trainer(compile=True)``, a compiled
# optimiser update) an operation is part of the enclosing program, compiled with that
# program's options: JAX accepts compiler options on the outermost ``jit`` only.
_LARGE = 1 << 16
_OPTIMISED = {"xla_backend_optimization_level": 2}


def _is_large(values: Sequence[Any]) -> bool:
    """Whether an operation on ``values`` is compiled optimised: an array is large, and none
    is a tracer (the operation is not part of a program being traced)."""
    large = False
    for v in values:
        if isinstance(v, jax.core.Tracer):
            return False
        if getattr(v, "size", 0) >= _LARGE:
            large = True
    return large


class _Node:
    """One recorded operation: its VJP (cotangents of its floating outputs -> cotangents of its
    differentiated inputs), for each differentiated input the (node, output index) it came
    from, and its outputs' (shape, dtype).  A watched array is a node without a VJP."""

    __slots__ = ("bwd", "values", "parents", "outputs", "float_idx")

    def __init__(self, bwd: Any, values: Any, parents: list[tuple["_Node", int]],
                 outputs: list[tuple[tuple[int, ...], Any]], float_idx: tuple[int, ...]) -> None:
        self.bwd, self.values, self.parents = bwd, values, parents
        self.outputs, self.float_idx = outputs, float_idx


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
        index = index if isinstance(index, tuple) else (index,)
        index = tuple(_value(i) for i in index)
        if builtins.any(getattr(i, "dtype", None) == np.bool_ for i in index):
            return _eager_record(_getitem, (self, *index), {})   # shape from values
        return _index(self, *index)


class _Slice:
    """A slice as a hashable static argument of a compiled function (slices are not hashable
    before Python 3.12)."""

    __slots__ = ("key",)

    def __init__(self, s: slice) -> None:
        self.key = (s.start, s.stop, s.step)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: Any) -> bool:
        return type(other) is _Slice and other.key == self.key


def _getitem(x: Any, *index: Any) -> Any:
    return x[index]


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


def _is_diff(leaf: Any) -> bool:
    return type(leaf) is Box and jnp.issubdtype(leaf.value.dtype, jnp.inexact)


_COMPILED: dict[Any, tuple[Any, Any]] = {}


def _compiled(fn: Callable[..., Any], tree: Any, statics: tuple[Any, ...],
              dynamic: tuple[int, ...], diff: tuple[int, ...], large: bool) -> tuple[Any, Any]:
    """The compiled forward of ``fn`` (arguments: the dynamic leaves) and its compiled VJP
    (arguments: the dynamic leaves and the cotangents of the floating outputs), cached;
    optimised when ``large``."""
    key = (fn, tree, statics, diff, large)
    template = [slice(*s.key) if type(s) is _Slice else s for s in statics]

    def forward(*values: Any) -> Any:
        leaves = list(template)
        for i, v in zip(dynamic, values):
            leaves[i] = v
        args, kwargs = _unflatten(tree, leaves)
        return fn(*args, **kwargs)

    def backward(values: tuple[Any, ...], cts: tuple[Any, ...]) -> Any:
        def of_diff(*d: Any) -> Any:
            full = list(values)
            for k, v in zip(diff, d):
                full[k] = v
            return forward(*full)

        out, vjp = jax.vjp(of_diff, *[values[k] for k in diff])
        flat, out_tree = jax.tree_util.tree_flatten(out)
        full_cts = [np.zeros(o.shape, dtype=jax.dtypes.float0) for o in flat]
        floats = [k for k, o in enumerate(flat) if jnp.issubdtype(o.dtype, jnp.inexact)]
        for k, ct in zip(floats, cts):
            full_cts[k] = ct
        return vjp(jax.tree_util.tree_unflatten(out_tree, full_cts))

    options = _OPTIMISED if large else None
    hit = (jax.jit(forward, compiler_options=options), jax.jit(backward, compiler_options=options))
    _COMPILED[key] = hit
    return hit


def _flatten(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[list[Any], Any]:
    """Leaves and structure of an operation's arguments (flat argument lists, the common case,
    without JAX's tree machinery)."""
    if not kwargs and not builtins.any(type(a) in (list, tuple, dict) for a in args):
        return list(args), len(args)
    return jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_box)


def _unflatten(tree: Any, leaves: list[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if type(tree) is int:
        return tuple(leaves), {}
    return jax.tree_util.tree_unflatten(tree, leaves)


_FLOATING = (jnp.dtype("float16"), jnp.dtype("bfloat16"), jnp.dtype("float32"),
             jnp.dtype("float64"))


def _record(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``fn(*args, **kwargs)`` where an argument is a Box: computed compiled, and recorded."""
    leaves, tree = _flatten(args, kwargs)
    dynamic, diff, statics, values = [], [], [], []
    for i, leaf in enumerate(leaves):
        kind = type(leaf)
        if kind is Box:
            if leaf.value.dtype in _FLOATING:
                diff.append(len(dynamic))
            dynamic.append(i)
            values.append(leaf.value)
            statics.append(_DYNAMIC)
        elif kind is float or isinstance(leaf, (jax.Array, np.ndarray, np.generic)):
            dynamic.append(i)
            values.append(leaf)
            statics.append(_DYNAMIC)
        else:
            statics.append(_Slice(leaf) if kind is slice else leaf)
    if not diff:                                       # only integer boxes: nothing to record
        plain = [_value(leaf) for leaf in leaves]
        a, kw = _unflatten(tree, plain)
        return fn(*a, **kw)
    large = _is_large(values)
    key = (fn, tree, tuple(statics), tuple(diff), large)
    try:
        compiled = _COMPILED.get(key)
    except TypeError:                                  # an unhashable static: run it traced
        return _eager_record(fn, args, kwargs)
    if compiled is None:
        compiled = _compiled(fn, tree, tuple(statics), tuple(dynamic), tuple(diff), large)
    forward, backward = compiled
    values = tuple(values)
    out = forward(*values)
    flat, out_tree = jax.tree_util.tree_flatten(out)
    avals = [(o.shape, o.dtype) for o in flat]
    float_idx = tuple(k for k, (_, d) in enumerate(avals) if d in _FLOATING)
    parents = [(leaves[dynamic[k]].node, leaves[dynamic[k]].index) for k in diff]
    node = _Node(backward, values, parents, avals, float_idx)
    boxed = [Box(o, node, k) if k in float_idx else o for k, o in enumerate(flat)]
    return jax.tree_util.tree_unflatten(out_tree, boxed)


def _eager_record(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Record an operation whose output shape depends on values (boolean masks): ``jax.vjp``
    of it, uncompiled."""
    leaves, tree = jax.tree_util.tree_flatten((args, kwargs), is_leaf=_is_box)
    positions = [i for i, leaf in enumerate(leaves) if _is_diff(leaf)]
    plain = [_value(leaf) for leaf in leaves]

    def call(*values: Any) -> Any:
        filled = list(plain)
        for i, v in zip(positions, values):
            filled[i] = v
        a, kw = jax.tree_util.tree_unflatten(tree, filled)
        return fn(*a, **kw)

    out, vjp = jax.vjp(call, *[plain[i] for i in positions])
    flat, out_tree = jax.tree_util.tree_flatten(out)
    avals = [(o.shape, o.dtype) for o in flat]
    float_idx = tuple(k for k, o in enumerate(flat) if jnp.issubdtype(o.dtype, jnp.inexact))

    def bwd(values: Any, cts: tuple[Any, ...]) -> Any:
        full = [np.zeros(s, dtype=jax.dtypes.float0) for s, _ in avals]
        for k, ct in zip(float_idx, cts):
            full[k] = ct
        return vjp(jax.tree_util.tree_unflatten(out_tree, full))

    node = _Node(bwd, None, [(leaves[i].node, leaves[i].index) for i in positions], avals,
                 float_idx)
    boxed = [Box(o, node, k) if k in float_idx else o for k, o in enumerate(flat)]
    return jax.tree_util.tree_unflatten(out_tree, boxed)


def _lifted(fn: Callable[..., Any], record: Callable[..., Any] | None = None,
            ) -> Callable[..., Any]:
    """``fn`` that records itself when an argument is a :class:`Box` (with ``_eager_record``
    for an operation whose output shape depends on values)."""
    record = record or _record

    optimise = record is _record            # (an output shaped by values is not compiled)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _boxes_in(args):
            return record(fn, args, kwargs)
        if optimise and _large_in(args):
            return _optimised(fn, args, kwargs)
        return fn(*args, **kwargs)
    wrapper.__name__ = getattr(fn, "__name__", "op")
    wrapper.__doc__ = fn.__doc__
    wrapper.__wrapped__ = fn
    return wrapper


def _large_in(args: Sequence[Any]) -> bool:
    values: list[Any] = []
    for a in args:
        if type(a) in (list, tuple):
            values.extend(_value(b) for b in a)
        else:
            values.append(_value(a))
    return _is_large(values)


_OPTIMISED_FORWARD: dict[Any, Any] = {}
#: (operation, arguments' shapes and dtypes) that cannot be traced: run as written
_UNTRACEABLE: set[Any] = set()
#: what JAX raises when a traced function needs concrete values
_NEEDS_VALUES = (jax.errors.JAXTypeError, jax.errors.NonConcreteBooleanIndexError)


def _optimised(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``fn(*args, **kwargs)`` on a large array, outside a tape: compiled at XLA's level 2 (see
    ``_LARGE``), as the same operation is on the tape.  An operation that needs concrete
    values for arguments of these shapes (a boolean mask, ``int(x)``) runs as written."""
    leaves, tree = _flatten(args, kwargs)
    dynamic, statics, values = [], [], []
    for i, leaf in enumerate(leaves):
        kind = type(leaf)
        if kind is Variable:
            leaf = leaf.value
        if kind is float or isinstance(leaf, (jax.Array, np.ndarray, np.generic)):
            dynamic.append(i)
            values.append(leaf)
            statics.append(_DYNAMIC)
        else:
            statics.append(_Slice(leaf) if kind is slice else leaf)
    key = (fn, tree, tuple(statics))
    try:
        forward = _OPTIMISED_FORWARD.get(key)
    except TypeError:                                  # an unhashable static
        return fn(*args, **kwargs)
    avals = (key, tuple((getattr(v, "shape", ()), str(getattr(v, "dtype", type(v))))
                        for v in values))
    if avals in _UNTRACEABLE:
        return fn(*args, **kwargs)
    if forward is None:
        forward = _OPTIMISED_FORWARD[key] = _compiled(fn, tree, tuple(statics),
                                                      tuple(dynamic), (), True)[0]
    try:
        return forward(*values)
    except _NEEDS_VALUES:
        _UNTRACEABLE.add(avals)
        return fn(*args, **kwargs)


_index = _lifted(_getitem)


def _box_operator(fn: Callable[..., Any], reflected: bool = False) -> Callable[..., Any]:
    lifted = _lifted(fn)
    if reflected:
        return lambda self, other: lifted(_array(other), self)
    return lambda self, *other: lifted(self, *(_array(o) for o in other))


def _array(x: Any) -> Any:
    """A parameter's array; anything else as it is."""
    return x.value if type(x) is Variable else x


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


_add_small = jax.jit(jnp.add)           # accumulating cotangents: one compiled call each
_add_large = jax.jit(jnp.add, compiler_options=_OPTIMISED)


def _add(a: Any, b: Any) -> Any:
    return _add_large(a, b) if _is_large((a, b)) else _add_small(a, b)


def _toposort(end: _Node) -> list[_Node]:
    """The nodes ``end`` depends on, each after every node that uses it."""
    children: dict[int, int] = {}
    stack, seen = [end], {id(end)}
    while stack:
        node = stack.pop()
        for parent, _ in node.parents:
            children[id(parent)] = children.get(id(parent), 0) + 1
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    order, ready = [], [end]
    while ready:
        node = ready.pop()
        order.append(node)
        for parent, _ in node.parents:
            children[id(parent)] -= 1
            if children[id(parent)] == 0:
                ready.append(parent)
    return order


def _backward(y: Box, head: Any = None) -> dict[int, Any]:
    """The gradient of ``sum(head * y)`` (``head`` defaults to ones) with respect to every
    watched array ``y`` depends on, by the id of its node."""
    grads: dict[int, list[Any]] = {id(y.node): [None] * len(y.node.outputs)}
    grads[id(y.node)][y.index] = jnp.ones_like(y.value) if head is None else _value(head)
    found: dict[int, Any] = {}
    for node in _toposort(y.node):
        cts = grads.pop(id(node))
        if node.bwd is None:                 # a watched array
            found[id(node)] = cts[0]
            continue
        floats = tuple(cts[k] if cts[k] is not None else jnp.zeros(*node.outputs[k])
                       for k in node.float_idx)
        for (parent, index), ct in zip(node.parents, node.bwd(node.values, floats)):
            slot = grads.setdefault(id(parent), [None] * len(parent.outputs))
            slot[index] = ct if slot[index] is None else _add(slot[index], ct)
    return found


def _watch(x: Any) -> Any:
    x = _value(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return x                             # integers have no gradient
    return Box(x, _Node(None, None, [], [(x.shape, x.dtype)], (0,)), 0)


class Tape:
    """Records operations on watched arrays for ``gradient`` (see the notes above)."""

    def __init__(self, persistent: bool = False) -> None:
        self.persistent = persistent          # the boxes keep their VJPs either way

    def __enter__(self) -> "Tape":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def watch(self, x: Any) -> Any:
        return _watch(coerce(x))

    def gradient(self, y: Any, sources: list[Any], head: Any = None) -> list[Any]:
        found = _backward(y, head) if _is_box(y) else {}
        return [_grad_of(s, found) for s in sources]


def _grad_of(source: Any, found: dict[int, Any]) -> Any:
    g = found.get(id(source.node)) if _is_box(source) and source.node.bwd is None else None
    value = _value(source)
    return jnp.zeros_like(value) if g is None else g.astype(value.dtype)


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
        return jnp.array(x)          # a copy: jnp.asarray may alias an aligned numpy buffer
    if backend_of(x) not in (None, "numpy"):
        raise foreign_error(x, NAME)
    return jnp.asarray(common.host_array(x))


def from_numpy(a: np.ndarray) -> jax.Array:
    # jnp.array copies; jnp.asarray shares a 64-byte aligned numpy buffer on the CPU (XLA's
    # zero-copy), so a later write to the numpy array would change the immutable JAX array
    return jnp.array(np.asarray(a))


def to_numpy(x: Any) -> np.ndarray:
    return np.asarray(_value(x))


def dtype_name(x: Any) -> str:
    return x.dtype.name


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


def logsumexp(x: Any, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    return jax.nn.logsumexp(x, axis=axis, keepdims=keepdims)


def softmax(x: Any, axis: int) -> Any:
    return jax.nn.softmax(x, axis=axis)


def log_softmax(x: Any, axis: int) -> Any:
    return jax.nn.log_softmax(x, axis=axis)


def cross_entropy(logits: Any, labels: Any) -> Any:
    return -jnp.take_along_axis(jax.nn.log_softmax(logits, axis=1), labels[:, None], axis=1)[:, 0]


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


def conv_transpose2d(x: Any, w: Any, stride: tuple[int, int], padding: tuple[int, int]) -> Any:
    # the input dilated by the stride, convolved with the flipped kernel (in and out swapped)
    # padded by k - 1 - p: the transposed convolution as a plain one
    (kh, kw), (ph, pw) = w.shape[2:], padding
    flipped = jnp.flip(w, (2, 3)).transpose(1, 0, 2, 3)                 # (O, C, kh, kw)
    return lax.conv_general_dilated(x, flipped, window_strides=(1, 1),
                                    padding=((kh - 1 - ph,) * 2, (kw - 1 - pw,) * 2),
                                    lhs_dilation=tuple(stride),
                                    dimension_numbers=("NCHW", "OIHW", "NCHW"))


def _pool(x: Any, init: Any, op: Callable[..., Any], kernel: tuple[int, int],
          stride: tuple[int, int], padding: tuple[int, int]) -> Any:
    (ph, pw) = padding
    return lax.reduce_window(x, np.asarray(init, x.dtype), op, (1, 1) + tuple(kernel),
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


def parameter_on(x: Any, kind: str, index: int) -> Variable:
    return make_parameter(to_device(x, kind, index))


# ----------------------------------------------------------------------------- autograd
def stop_gradient(x: Any) -> Any:
    return lax.stop_gradient(_value(x))



def value_and_grad(fun: Callable[[list[Any]], Any], leaves: list[Any],
                   has_aux: bool) -> tuple[Any, Any, list[Any]]:
    """Evaluate ``fun(leaves)`` and the gradient of its scalar output w.r.t. each leaf (on the
    tape: see the notes above)."""
    watched = [_watch(leaf) for leaf in leaves]
    out, aux = common.scalar_and_aux(fun(list(watched)), has_aux, coerce)
    out = reshape(out, ())
    found = _backward(out) if _is_box(out) else {}
    return _value(out), common.detach_tree(aux, _value), [_grad_of(w, found) for w in watched]


# ----------------------------------------------------------------------------- recording
# Every operation of the interface records itself when given a Box (a watched array), so the
# tape sees everything the neutral API computes.
def _lift_interface() -> None:
    from . import INTERFACE, OPTIONAL
    skip = {"NAME", "is_native", "coerce", "from_numpy", "to_numpy", "dtype_name", "is_floating",
            "astype", "shape", "zeros", "ones", "full", "make_parameter", "assign",
            "assign_sub", "num_gpus", "device_of", "to_device", "stop_gradient",
            "value_and_grad", "Tape", "argmax", "argmin"}
    value_shaped = {"boolean_mask"}          # output shape depends on values: not compiled
    namespace = globals()
    for name in INTERFACE + OPTIONAL:
        if name in namespace and name not in skip:
            namespace[name] = _lifted(namespace[name],
                                      _eager_record if name in value_shaped else None)


_lift_interface()
