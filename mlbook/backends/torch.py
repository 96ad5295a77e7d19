"""The PyTorch backend: ``torch.Tensor`` tensors, gradients from ``torch.autograd``."""

from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .. import execution
from . import common
from . import backend_of, foreign_error

NAME = "torch"

_threads = execution.threads()
if _threads:                            # MLBOOK_THREADS: the book's pinned, deterministic setting
    torch.set_num_threads(_threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError as err:         # torch allows it only before its first parallel work
        execution.warn_unpinned(NAME, err)
    torch.use_deterministic_algorithms(True)
_DTYPES = {name: getattr(torch, name) for name in common.DTYPES}


# ----------------------------------------------------------------------------- identity, conversion
def is_native(x: Any) -> bool:
    return isinstance(x, torch.Tensor)


def coerce(x: Any) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return torch.from_numpy(np.array(x, order="C"))
    if backend_of(x) not in (None, "numpy"):
        raise foreign_error(x, NAME)
    return torch.from_numpy(common.host_array(x))


def from_numpy(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(a, order="C"))   # a copy, laid out row-major


def to_numpy(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().numpy()


def dtype_name(x: torch.Tensor) -> str:
    return str(x.dtype)[6:]


def is_floating(x: torch.Tensor) -> bool:
    return x.is_floating_point()


def astype(x: torch.Tensor, dtype: str) -> torch.Tensor:
    return x.to(_DTYPES[dtype])


def shape(x: torch.Tensor) -> tuple[int, ...]:
    return tuple(x.shape)


# ----------------------------------------------------------------------------- creation
def zeros(shape: tuple[int, ...], dtype: str) -> torch.Tensor:
    return torch.zeros(shape, dtype=_DTYPES[dtype])


def ones(shape: tuple[int, ...], dtype: str) -> torch.Tensor:
    return torch.ones(shape, dtype=_DTYPES[dtype])


def full(shape: tuple[int, ...], value: Any, dtype: str) -> torch.Tensor:
    return torch.full(shape, value, dtype=_DTYPES[dtype])


# ----------------------------------------------------------------------------- shape
def reshape(x: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    return torch.reshape(x, shape)


def transpose(x: torch.Tensor, axes: Sequence[int]) -> torch.Tensor:
    return x.permute(*axes)


def expand_dims(x: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.unsqueeze(x, axis)


def squeeze(x: torch.Tensor, axis: tuple[int, ...] | None) -> torch.Tensor:
    return torch.squeeze(x) if axis is None else torch.squeeze(x, axis)


def concat(xs: Sequence[torch.Tensor], axis: int) -> torch.Tensor:
    return torch.cat(list(xs), dim=axis)


def stack(xs: Sequence[torch.Tensor], axis: int) -> torch.Tensor:
    return torch.stack(list(xs), dim=axis)


def split(x: torch.Tensor, sizes: list[int], axis: int) -> list[torch.Tensor]:
    return list(torch.split(x, sizes, dim=axis))


def tile(x: torch.Tensor, reps: tuple[int, ...]) -> torch.Tensor:
    return torch.tile(x, reps)


def repeat(x: torch.Tensor, repeats: int, axis: int | None) -> torch.Tensor:
    return torch.repeat_interleave(x, repeats, dim=axis)


def broadcast_to(x: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    return torch.broadcast_to(x, shape)


def pad(x: torch.Tensor, pad_width: tuple[tuple[int, int], ...], value: float) -> torch.Tensor:
    flat = [p for pair in reversed(pad_width) for p in pair]   # F.pad lists the last axis first
    return F.pad(x, flat, mode="constant", value=value)


# ----------------------------------------------------------------------------- elementwise
exp, log, log1p, sqrt, abs = torch.exp, torch.log, torch.log1p, torch.sqrt, torch.abs


def sign(x: torch.Tensor) -> torch.Tensor:
    """numpy's sign: NaN stays NaN (``torch.sign`` gives 0)."""
    out = torch.sign(x)
    return torch.where(torch.isnan(x), x, out) if x.is_floating_point() else out
sin, cos, tanh, sigmoid, relu = torch.sin, torch.cos, torch.tanh, torch.sigmoid, torch.relu
floor, round, maximum, minimum, power = torch.floor, torch.round, torch.maximum, torch.minimum, torch.pow


def where(cond: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.where(cond, x, y)


def clip(x: torch.Tensor, lo: Any, hi: Any) -> torch.Tensor:
    return torch.clamp(x, lo, hi)


# ----------------------------------------------------------------------------- reductions
def _reduce(fn: Callable[..., torch.Tensor], x: torch.Tensor, axis: tuple[int, ...] | None,
            keepdims: bool) -> torch.Tensor:
    if axis is None:
        out = fn(x)
        return out.reshape((1,) * x.dim()) if keepdims else out
    if not axis:
        return x
    return fn(x, dim=axis, keepdim=keepdims)


sum, mean = functools.partial(_reduce, torch.sum), functools.partial(_reduce, torch.mean)
max, min = functools.partial(_reduce, torch.amax), functools.partial(_reduce, torch.amin)
any, all = functools.partial(_reduce, torch.any), functools.partial(_reduce, torch.all)


def prod(x: torch.Tensor, axis: tuple[int, ...] | None, keepdims: bool) -> torch.Tensor:
    if axis is None:
        out = torch.prod(x)
        return out.reshape((1,) * x.dim()) if keepdims else out
    for a in sorted(axis, reverse=True):            # torch.prod takes one dim at a time
        x = torch.prod(x, dim=a, keepdim=keepdims)
    return x


def argmax(x: torch.Tensor, axis: int | None, keepdims: bool) -> torch.Tensor:
    out = torch.argmax(x, dim=axis, keepdim=keepdims)
    return out.reshape((1,) * x.dim()) if axis is None and keepdims else out


def argmin(x: torch.Tensor, axis: int | None, keepdims: bool) -> torch.Tensor:
    out = torch.argmin(x, dim=axis, keepdim=keepdims)
    return out.reshape((1,) * x.dim()) if axis is None and keepdims else out


def cumsum(x: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.cumsum(x, dim=axis)


def logsumexp(x: torch.Tensor, axis: tuple[int, ...] | None, keepdims: bool) -> torch.Tensor:
    return _reduce(torch.logsumexp, x, axis if axis is not None else tuple(range(x.dim())),
                   keepdims)


def softmax(x: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.softmax(x, dim=axis)


def log_softmax(x: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.log_softmax(x, dim=axis)


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, labels, reduction="none")


# ----------------------------------------------------------------------------- linear algebra
matmul, einsum = torch.matmul, torch.einsum


def tensordot(a: torch.Tensor, b: torch.Tensor, axes: Any) -> torch.Tensor:
    return torch.tensordot(a, b, dims=axes)


# ----------------------------------------------------------------------------- comparison, logic
equal, not_equal, greater, greater_equal = torch.eq, torch.ne, torch.gt, torch.ge
less, less_equal = torch.lt, torch.le
logical_and, logical_or, logical_not = torch.logical_and, torch.logical_or, torch.logical_not


# ----------------------------------------------------------------------------- indexing
def take(x: torch.Tensor, indices: torch.Tensor, axis: int) -> torch.Tensor:
    return x[(slice(None),) * axis + (indices,)]


def take_along_axis(x: torch.Tensor, indices: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.gather(x, axis, indices)


def boolean_mask(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return x[mask]


# ----------------------------------------------------------------------------- parameters
def make_parameter(x: torch.Tensor) -> torch.Tensor:
    return x.detach().clone(memory_format=torch.contiguous_format)


def assign(param: torch.Tensor, value: torch.Tensor) -> None:
    with torch.no_grad():
        param.copy_(value)


def assign_sub(param: torch.Tensor, delta: torch.Tensor) -> None:
    with torch.no_grad():
        param.sub_(delta)


# ----------------------------------------------------------------------------- optimiser kernels
# torch.optim's own multi-tensor machinery: the fused CPU SGD and Adam kernels, and one
# ``torch._foreach_*`` call per elementwise step over all parameters of a rate group.  Each computes mlbook's
# reference update (mlbook.optim); only the rounding differs (fused multiply-adds).
def _pick(xs: Sequence[Any], idx: list[int]) -> list[Any]:
    return [xs[i] for i in idx]


def _laid_out_like(params: list[torch.Tensor], grads: list[torch.Tensor]
                   ) -> list[torch.Tensor]:
    """The gradients with their parameters' strides: the fused kernels walk a parameter and
    its gradient in memory order, so a transposed gradient would be added scrambled."""
    return [g if g.stride() == p.stride() else torch.empty_like(p).copy_(g)
            for p, g in zip(params, grads)]


def _decayed(params: list[torch.Tensor], grads: list[torch.Tensor], decay: float
             ) -> list[torch.Tensor]:
    return torch._foreach_add(grads, params, alpha=decay) if decay else grads


@torch.no_grad()
def _sgd(params: list[torch.Tensor], grads: list[torch.Tensor], states: list[dict[str, Any]],
         lrs: list[float], decays: list[float], t: int, momentum: float) -> None:
    for lr, decay, idx in common.rate_groups(lrs, decays):
        # v <- mu v + (g + decay w); w <- w - lr v (v starts at zero, so no first-step case)
        p = _pick(params, idx)
        torch._fused_sgd_(p, _laid_out_like(p, _pick(grads, idx)),
                          [states[i]["v"] for i in idx] if momentum else [],
                          weight_decay=decay, momentum=momentum, lr=lr, dampening=0.0,
                          nesterov=False, maximize=False, is_first_step=False)


@torch.no_grad()
def _adam(params: list[torch.Tensor], grads: list[torch.Tensor], states: list[dict[str, Any]],
          lrs: list[float], decays: list[float], t: int, beta1: float, beta2: float,
          eps: float) -> None:
    step = torch.tensor(float(t))
    for lr, decay, idx in common.rate_groups(lrs, decays):
        p = _pick(params, idx)
        torch._fused_adam_(p, _laid_out_like(p, _pick(grads, idx)), [states[i]["m"] for i in idx],
                           [states[i]["v"] for i in idx], [], [step] * len(idx), lr=lr,
                           beta1=beta1, beta2=beta2, weight_decay=decay, eps=eps,
                           amsgrad=False, maximize=False)


def _scaled_step(params: list[torch.Tensor], grads: list[torch.Tensor],
                 s: list[torch.Tensor], lr: float, eps: float) -> None:
    """``w <- w - lr g / sqrt(s + eps)`` for RMSProp and Adagrad."""
    denom = torch._foreach_add(s, eps)
    torch._foreach_sqrt_(denom)
    torch._foreach_addcdiv_(params, grads, denom, value=-lr)


@torch.no_grad()
def _rmsprop(params: list[torch.Tensor], grads: list[torch.Tensor],
             states: list[dict[str, Any]], lrs: list[float], decays: list[float], t: int,
             gamma: float, eps: float) -> None:
    for lr, decay, idx in common.rate_groups(lrs, decays):
        p = _pick(params, idx)
        g = _decayed(p, _pick(grads, idx), decay)
        s = [states[i]["s"] for i in idx]
        torch._foreach_mul_(s, gamma)                  # s <- gamma s + (1 - gamma) g^2
        torch._foreach_addcmul_(s, g, g, value=1 - gamma)
        _scaled_step(p, g, s, lr, eps)


@torch.no_grad()
def _adagrad(params: list[torch.Tensor], grads: list[torch.Tensor],
             states: list[dict[str, Any]], lrs: list[float], decays: list[float], t: int,
             eps: float) -> None:
    for lr, decay, idx in common.rate_groups(lrs, decays):
        p = _pick(params, idx)
        g = _decayed(p, _pick(grads, idx), decay)
        s = [states[i]["s"] for i in idx]
        torch._foreach_addcmul_(s, g, g)               # s <- s + g^2
        _scaled_step(p, g, s, lr, eps)


OPTIMIZER_KERNELS = {"sgd": _sgd, "adam": _adam, "rmsprop": _rmsprop, "adagrad": _adagrad}


# ----------------------------------------------------------------------------- convolution, pooling
def conv2d(x: torch.Tensor, w: torch.Tensor, stride: tuple[int, int],
           padding: tuple[int, int]) -> torch.Tensor:
    return F.conv2d(x, w, stride=stride, padding=padding)


def conv2d_bias(x: torch.Tensor, w: torch.Tensor, bias: torch.Tensor, stride: tuple[int, int],
                padding: tuple[int, int]) -> torch.Tensor:
    return F.conv2d(x, w, bias, stride=stride, padding=padding)


def conv_transpose2d(x: torch.Tensor, w: torch.Tensor, stride: tuple[int, int],
                     padding: tuple[int, int]) -> torch.Tensor:
    return F.conv_transpose2d(x, w, stride=stride, padding=padding)


def max_pool2d(x: torch.Tensor, kernel: tuple[int, int], stride: tuple[int, int],
               padding: tuple[int, int]) -> torch.Tensor:
    return F.max_pool2d(x, kernel, stride=stride, padding=padding)


def avg_pool2d(x: torch.Tensor, kernel: tuple[int, int], stride: tuple[int, int],
               padding: tuple[int, int]) -> torch.Tensor:
    return F.avg_pool2d(x, kernel, stride=stride, padding=padding, count_include_pad=True)


# ----------------------------------------------------------------------------- devices
def num_gpus() -> int:
    return torch.cuda.device_count()


def device_of(x: torch.Tensor) -> tuple[str, int]:
    return ("cpu", 0) if x.device.type == "cpu" else ("gpu", x.device.index or 0)


def to_device(x: torch.Tensor, kind: str, index: int) -> torch.Tensor:
    return x.to("cpu" if kind == "cpu" else f"cuda:{index}")


def parameter_on(x: torch.Tensor, kind: str, index: int) -> torch.Tensor:
    return make_parameter(to_device(x, kind, index))


# ----------------------------------------------------------------------------- autograd
def stop_gradient(x: torch.Tensor) -> torch.Tensor:
    return x.detach()


def _detach(x: Any) -> Any:
    return x.detach() if isinstance(x, torch.Tensor) else x


def _grads(y: torch.Tensor, sources: list[torch.Tensor], seed: torch.Tensor | None,
           retain: bool) -> list[torch.Tensor]:
    wanted = [s for s in sources if s.requires_grad]
    found = (torch.autograd.grad(y, wanted, grad_outputs=seed, allow_unused=True,
                                 retain_graph=retain)
             if y.requires_grad and wanted else [None] * len(wanted))
    by_id = {id(s): g for s, g in zip(wanted, found)}
    out = []
    for s in sources:
        g = by_id.get(id(s))
        out.append(torch.zeros_like(s) if g is None else g)
    return out


def value_and_grad(fun: Callable[[list[Any]], Any], leaves: list[torch.Tensor],
                   has_aux: bool) -> tuple[Any, Any, list[torch.Tensor]]:
    """Evaluate ``fun(leaves)`` and the gradient of its scalar output w.r.t. each leaf."""
    watched = [x.detach().requires_grad_(True) if x.is_floating_point() else x for x in leaves]
    with torch.enable_grad():
        out, aux = common.scalar_and_aux(fun(watched), has_aux, coerce)
        grads = _grads(out.reshape(()), watched, None, retain=False)
    return out.detach().reshape(()), common.detach_tree(aux, _detach), grads


class Tape:
    """Records computations on watched tensors (``requires_grad`` leaves); a tape that is not
    ``persistent`` frees the graph at its gradient (``retain_graph=False``)."""

    def __init__(self, persistent: bool = False) -> None:
        self.persistent = persistent

    def __enter__(self) -> "Tape":
        self._context = torch.enable_grad()
        self._context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._context.__exit__(*exc)

    def watch(self, x: Any) -> torch.Tensor:
        return coerce(x).detach().requires_grad_(True)

    def gradient(self, y: torch.Tensor, sources: list[torch.Tensor],
                 head: torch.Tensor | None = None) -> list[torch.Tensor]:
        y = coerce(y)
        return _grads(y, sources, torch.ones_like(y) if head is None else head,
                      retain=self.persistent)
