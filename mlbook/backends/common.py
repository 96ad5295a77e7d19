"""Helpers shared by the backend modules (no framework imported here)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import config

#: dtype names mlbook knows, the same on every backend.
DTYPES: tuple[str, ...] = ("bool", "uint8", "int8", "int16", "int32", "int64",
                           "float16", "float32", "float64")

_PY_SCALARS = (bool, int, float)


def dtype_name(dtype: Any) -> str:
    """Canonical name of a dtype given as a string, numpy dtype, Python type or framework dtype."""
    if dtype is float:
        return config.DEFAULT_FLOAT
    if dtype is int:
        return config.DEFAULT_INT
    if dtype is bool:
        return "bool"
    if isinstance(dtype, str):
        name = dtype.strip().lower()
        name = name.rsplit(".", 1)[-1]          # "torch.float32" -> "float32"
        name = {"bool_": "bool", "double": "float64", "float": "float32", "half": "float16",
                "long": "int64", "int": "int64"}.get(name, name)
    else:
        name = getattr(dtype, "name", None)
        if not isinstance(name, str):
            try:
                name = np.dtype(dtype).name          # numpy scalar types such as np.float32
            except TypeError:
                name = str(dtype)                    # torch.float32 -> "torch.float32"
        return dtype_name(name)
    return _check(name)


def _check(name: str) -> str:
    if name not in DTYPES:
        raise ValueError(f"unknown dtype {name!r}; mlbook dtypes are: {', '.join(DTYPES)}")
    return name


def is_python_scalar(x: Any) -> bool:
    return isinstance(x, _PY_SCALARS)


def host_array(data: Any, dtype: Any = None) -> np.ndarray:
    """A numpy array of ``data`` following mlbook's dtype rules.

    With ``dtype`` given, that dtype.  Numpy arrays and scalars keep their dtype.  Python data
    (scalars, nested lists) becomes float32 when it holds floats, int64 for ints, bool for bools.
    """
    if dtype is not None:
        return np.asarray(data, dtype=dtype_name(dtype))
    if isinstance(data, (np.ndarray, np.generic)):
        return np.asarray(data)
    a = np.asarray(data)
    kind = a.dtype.kind
    if kind == "f":
        return a.astype(config.DEFAULT_FLOAT)
    if kind in "iu":
        return a.astype(config.DEFAULT_INT)
    if kind == "b":
        return a
    raise TypeError(f"cannot make a tensor from {type(data).__name__} (numpy sees dtype "
                    f"{a.dtype}); pass numbers, nested lists of numbers or a numpy array")


def scalar_dtype(value: Any) -> str:
    """The dtype a Python scalar becomes on its own."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return config.DEFAULT_INT
    return config.DEFAULT_FLOAT


def shape_tuple(shape: Any) -> tuple[int, ...]:
    """A shape given as an int or a sequence of ints, as a tuple of Python ints."""
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def norm_axis(axis: Any, ndim: int, op: str = "") -> int:
    """One axis (negatives count from the end) as a non-negative int, as numpy takes it: an
    axis outside ``-ndim <= axis < ndim`` is numpy's ``AxisError`` (a ``ValueError`` and an
    ``IndexError``) naming the op, never wrapped around.  A 0-d tensor takes axis 0 or -1."""
    a, n = int(axis), max(ndim, 1)
    if not -n <= a < n:
        raise np.exceptions.AxisError(f"{op + ': ' if op else ''}axis {a} is out of range for a tensor with "
                           f"{ndim} dimensions (use an axis from {-n} to {n - 1})")
    return a % n


def norm_axes(axis: Any, ndim: int, op: str = "") -> tuple[int, ...] | None:
    """``axis`` (None, int or sequence, negatives allowed) as a sorted tuple of non-negative
    ints, each checked by :func:`norm_axis`."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        axis = (int(axis),)
    return tuple(sorted({norm_axis(a, ndim, op) for a in axis}))


def split_sizes(n: int, indices_or_sections: int | Sequence[int]) -> list[int]:
    """numpy.split's argument as a list of piece sizes along an axis of length ``n``."""
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError(f"cannot split an axis of length {n} into {k} equal parts")
        return [n // k] * k
    bounds = [0] + [min(max(int(i), 0), n) for i in indices_or_sections] + [n]
    return [max(b - a, 0) for a, b in zip(bounds[:-1], bounds[1:])]


def flatten_tree(tree: Any) -> tuple[list[Any], Any]:
    """Flatten nested lists, tuples and dicts into (leaves, structure)."""
    if isinstance(tree, (list, tuple)):
        if not any(isinstance(t, (list, tuple, dict)) for t in tree):   # common: flat list
            return list(tree), (type(tree), len(tree), None)
        parts = [flatten_tree(t) for t in tree]
        return [leaf for p in parts for leaf in p[0]], (type(tree), None, [p[1] for p in parts])
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [flatten_tree(tree[k]) for k in keys]
        return [leaf for p in parts for leaf in p[0]], ("dict", keys, [p[1] for p in parts])
    return [tree], None


def unflatten_tree(leaves: Sequence[Any], structure: Any) -> Any:
    """Inverse of :func:`flatten_tree`."""
    return _build(iter(leaves), structure)


def _build(it: Any, s: Any) -> Any:
    # A module-level function, not a closure: a recursive closure is a reference cycle that
    # would keep the leaves (gradients!) alive until the garbage collector runs.
    if s is None:
        return next(it)
    kind, keys, children = s
    if children is None:                          # a flat list or tuple of ``keys`` leaves
        flat = [next(it) for _ in range(keys)]
        return flat if kind is list else tuple(flat)
    built = [_build(it, c) for c in children]
    if kind == "dict":
        return dict(zip(keys, built))
    return built if kind is list else tuple(built)


def rate_groups(lrs: Sequence[float], decays: Sequence[float]
                ) -> list[tuple[float, float, list[int]]]:
    """Indices of the parameters that share a learning rate and a weight decay, as
    ``(lr, decay, indices)`` in order of first appearance: a fused optimiser kernel takes one
    rate per call, so parameter groups with their own rates become one call each."""
    groups: dict[tuple[float, float], list[int]] = {}
    for i, key in enumerate(zip(lrs, decays)):
        groups.setdefault(key, []).append(i)
    return [(lr, decay, idx) for (lr, decay), idx in groups.items()]


# ----------------------------------------------------------------------------- value_and_grad
def scalar_and_aux(out: Any, has_aux: bool, coerce: Any) -> tuple[Any, Any]:
    """The bookkeeping every backend's ``value_and_grad`` does around its framework's gradient
    call: split ``(value, aux)`` when ``has_aux``, make the value a tensor, and refuse a value
    that is not a scalar with the same error on every backend.  Returns ``(value, aux)``, the
    value still of its original shape (the caller reshapes it to ``()`` its own way)."""
    aux = None
    if has_aux:
        out, aux = out
    out = coerce(out)
    shape = tuple(int(n) for n in (out.shape if hasattr(out, "shape") else np.shape(out)))
    if int(np.prod(shape)) != 1:
        raise ValueError(f"grad needs a function with a scalar output, got shape {shape}; "
                         "reduce it first, e.g. with mlbook.sum")
    return out, aux


def detach_tree(tree: Any, detach: Any) -> Any:
    """``tree`` (the auxiliary outputs of ``value_and_grad``) with ``detach`` applied to every
    leaf: on every backend an auxiliary output is a value, with no gradient history, so that
    fed into a later gradient (an RNN's state) it contributes nothing through its past."""
    if tree is None:
        return None
    leaves, structure = flatten_tree(tree)
    return unflatten_tree([detach(leaf) for leaf in leaves], structure)

