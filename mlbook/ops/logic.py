"""Comparison and logic."""

from __future__ import annotations

from .core import Tensor, as_bool, backend, binary


def equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x == y`` (a bool tensor).

    >>> x = mb.array([1, 2, 3])
    >>> mb.show(mb.equal(x, mb.array([1, 0, 3])))
    tensor([ True, False,  True], shape=(3,), dtype=bool)
    >>> mb.show(mb.equal(x, 2))     # a scalar broadcasts
    tensor([False,  True, False], shape=(3,), dtype=bool)
    """
    return binary("equal", x, y)


def not_equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x != y``.

    >>> mb.show(mb.not_equal(mb.array([1, 2, 3]), 2))
    tensor([ True, False,  True], shape=(3,), dtype=bool)
    """
    return binary("not_equal", x, y)


def greater(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x > y``.

    >>> mb.show(mb.greater(mb.array([1, 2, 3]), 2))
    tensor([False, False,  True], shape=(3,), dtype=bool)
    >>> mb.show(mb.greater(mb.array([[1], [3]]), mb.array([0, 2, 4])))   # (2, 1) with (3,)
    tensor([[ True, False, False],
            [ True,  True, False]], shape=(2, 3), dtype=bool)
    """
    return binary("greater", x, y)


def greater_equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x >= y``.

    >>> mb.show(mb.greater_equal(mb.array([1, 2, 3]), 2))
    tensor([False,  True,  True], shape=(3,), dtype=bool)
    """
    return binary("greater_equal", x, y)


def less(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x < y``.

    >>> mb.show(mb.less(mb.array([1, 2, 3]), 2))
    tensor([ True, False, False], shape=(3,), dtype=bool)
    >>> mb.show(mb.less(mb.array([0.5, 1.5]), 1))      # a float with an int
    tensor([ True, False], shape=(2,), dtype=bool)
    """
    return binary("less", x, y)


def less_equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x <= y``.

    >>> mb.show(mb.less_equal(mb.array([1, 2, 3]), 2))
    tensor([ True,  True, False], shape=(3,), dtype=bool)
    """
    return binary("less_equal", x, y)


def logical_and(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise logical and (non-zero counts as true).

    >>> x = mb.array([-1, 2, -3, 4])
    >>> mb.show(mb.logical_and(mb.greater(x, 0), mb.less(x, 3)))     # 0 < x < 3
    tensor([False,  True, False, False], shape=(4,), dtype=bool)
    >>> mb.show(mb.logical_and(mb.array([2, 0, 1]), mb.array([1, 1, 0])))
    tensor([ True, False, False], shape=(3,), dtype=bool)
    """
    b = backend()
    return b.logical_and(as_bool(b, x), as_bool(b, y))


def logical_or(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise logical or.

    >>> x = mb.array([-1, 2, -3, 4])
    >>> mb.show(mb.logical_or(mb.less(x, -2), mb.greater(x, 3)))     # outside [-2, 3]
    tensor([False, False,  True,  True], shape=(4,), dtype=bool)
    """
    b = backend()
    return b.logical_or(as_bool(b, x), as_bool(b, y))


def logical_not(x: Tensor) -> Tensor:
    """Elementwise logical not.

    >>> mb.show(mb.logical_not(mb.array([True, False])))
    tensor([False,  True], shape=(2,), dtype=bool)
    >>> mb.show(mb.logical_not(mb.array([0.0, 2.5])))      # zero is false
    tensor([ True, False], shape=(2,), dtype=bool)
    """
    b = backend()
    return b.logical_not(as_bool(b, x))
