"""Linear algebra."""

from __future__ import annotations

import math as _math
from typing import Any, Sequence

import numpy as _np

from ..backends import common
from .core import Tensor, as_float, backend, pair, same_dtype
from .shape import shape


def _contract_error(op: str, err: Exception, sa: tuple[int, ...], sb: tuple[int, ...],
                    ka: int | None, kb: int | None) -> Exception:
    if ka is not None and kb is not None and ka != kb:
        return ValueError(f"{op}: shapes {sa} and {sb} do not align: {ka} (last axis of the "
                          f"first) != {kb} (contracted axis of the second)")
    return err


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with numpy's rules (1-D operands, batched leading axes): ``a @ b``."""
    bk = backend()
    a, b = pair(bk, a, b)
    try:
        return bk.matmul(a, b)
    except Exception as err:
        sa, sb = bk.shape(a), bk.shape(b)
        ka = sa[-1] if sa else None
        kb = (sb[0] if len(sb) == 1 else sb[-2]) if sb else None
        raise _contract_error("matmul", err, sa, sb, ka, kb) from err


def dot(a: Tensor, b: Tensor) -> Tensor:
    """``numpy.dot``: the inner product of two vectors :math:`\\sum_i a_i b_i`, a matrix-vector or
    matrix-matrix product, and for N-D tensors a sum over the last axis of ``a`` and the
    second-to-last of ``b``."""
    bk = backend()
    a, b = pair(bk, a, b)
    na, nb = len(bk.shape(a)), len(bk.shape(b))
    if na == 0 or nb == 0:
        return a * b
    if na <= 2 and nb <= 2 or nb == 1:
        return matmul(a, b)
    return tensordot(a, b, ([na - 1], [nb - 2]))


def mv(A: Tensor, x: Tensor) -> Tensor:
    """Matrix-vector product :math:`A x` for a matrix ``A`` (m, n) and a vector ``x`` (n,)."""
    sa, sx = shape(A), shape(x)
    if len(sa) != 2 or len(sx) != 1:
        raise ValueError(f"mv needs a matrix and a vector, got shapes {sa} and {sx}")
    return matmul(A, x)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """Outer product :math:`a_i b_j` of two vectors (flattened first, as ``numpy.outer``)."""
    bk = backend()
    a, b = pair(bk, a, b)
    return bk.reshape(a, (-1, 1)) * bk.reshape(b, (1, -1))


def tensordot(a: Tensor, b: Tensor, axes: int | Sequence[Sequence[int]] = 2) -> Tensor:
    """Sum products over the given axes, as ``numpy.tensordot``."""
    bk = backend()
    a, b = pair(bk, a, b)
    if not isinstance(axes, (int, _np.integer)):
        axes = [list(common.shape_tuple(axes[0])), list(common.shape_tuple(axes[1]))]
    return bk.tensordot(a, b, axes)


def einsum(subscripts: str, *operands: Tensor) -> Tensor:
    """Einstein summation, e.g. ``einsum("ij,jk->ik", A, B)``."""
    b = backend()
    return b.einsum(subscripts, *same_dtype(b, operands))


def norm(x: Tensor, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    r"""Vector norm of ``x`` over ``axis`` (all elements by default, so a matrix gives its
    Frobenius norm).

    ``ord=None``, ``2`` or ``"fro"``: :math:`\sqrt{\sum_i x_i^2}` (L2 / Frobenius);
    ``ord=1``: :math:`\sum_i |x_i|` (L1); ``ord=inf``: :math:`\max_i |x_i|`.
    """
    b = backend()
    x = as_float(b, x)
    axes = common.norm_axes(axis, len(b.shape(x)), "norm")
    if ord in (None, 2, "fro"):
        return b.sqrt(b.sum(x * x, axis=axes, keepdims=bool(keepdims)))
    if ord == 1:
        return b.sum(b.abs(x), axis=axes, keepdims=bool(keepdims))
    if ord == _math.inf:
        return b.max(b.abs(x), axis=axes, keepdims=bool(keepdims))
    raise ValueError(f"norm: unsupported ord {ord!r}; use None/2/'fro' (L2), 1 (L1) or inf")
