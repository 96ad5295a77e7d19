"""Comparison and logic."""

from __future__ import annotations

from .core import Tensor, as_bool, backend, binary


def equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x == y`` (a bool tensor)."""
    return binary("equal", x, y)


def not_equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x != y``."""
    return binary("not_equal", x, y)


def greater(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x > y``."""
    return binary("greater", x, y)


def greater_equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x >= y``."""
    return binary("greater_equal", x, y)


def less(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x < y``."""
    return binary("less", x, y)


def less_equal(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise ``x <= y``."""
    return binary("less_equal", x, y)


def logical_and(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise logical and (non-zero counts as true)."""
    b = backend()
    return b.logical_and(as_bool(b, x), as_bool(b, y))


def logical_or(x: Tensor, y: Tensor) -> Tensor:
    """Elementwise logical or."""
    b = backend()
    return b.logical_or(as_bool(b, x), as_bool(b, y))


def logical_not(x: Tensor) -> Tensor:
    """Elementwise logical not."""
    b = backend()
    return b.logical_not(as_bool(b, x))
