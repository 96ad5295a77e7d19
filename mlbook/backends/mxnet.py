"""The MXNet backend: ``mxnet.np.ndarray`` tensors (MXNet's numpy interface), ``mxnet.autograd``.

MXNet 1.9.1 reads ``numpy.bool`` when it is imported; numpy 1.24-1.26 removed that alias, so it
is restored (as ``numpy.bool_``) before the import.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

if "bool" not in np.__dict__:
    np.bool = np.bool_  # type: ignore[attr-defined]  # MXNet 1.9.1 needs the old alias

import mxnet as mx  # noqa: E402
from mxnet import autograd as _ag  # noqa: E402
from mxnet import np as mnp  # noqa: E402
from mxnet import npx  # noqa: E402

from . import common  # noqa: E402
from . import backend_of, foreign_error  # noqa: E402

npx.set_np()                                      # numpy semantics: 0-d arrays, numpy shapes

NAME = "mxnet"
_NATIVE = mnp.ndarray


# ----------------------------------------------------------------------------- identity, conversion
def is_native(x: Any) -> bool:
    return isinstance(x, _NATIVE)


def coerce(x: Any) -> mnp.ndarray:
    if isinstance(x, _NATIVE):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return from_numpy(x)
    if backend_of(x) not in (None, "numpy"):
        raise foreign_error(x, NAME)
    return from_numpy(common.host_array(x))


def from_numpy(a: np.ndarray) -> mnp.ndarray:
    a = np.asarray(a)
    return mnp.array(a, dtype=a.dtype)


def to_numpy(x: mnp.ndarray) -> np.ndarray:
    return x.asnumpy()


def dtype_name(x: mnp.ndarray) -> str:
    return np.dtype(x.dtype).name


def is_floating(x: mnp.ndarray) -> bool:
    return np.dtype(x.dtype).kind == "f"


def astype(x: mnp.ndarray, dtype: str) -> mnp.ndarray:
    return x.astype(dtype)


def shape(x: mnp.ndarray) -> tuple[int, ...]:
    return tuple(x.shape)


# ----------------------------------------------------------------------------- creation
def zeros(shape: tuple[int, ...], dtype: str) -> mnp.ndarray:
    return mnp.zeros(shape, dtype=dtype)


def ones(shape: tuple[int, ...], dtype: str) -> mnp.ndarray:
    return mnp.ones(shape, dtype=dtype)


def full(shape: tuple[int, ...], value: Any, dtype: str) -> mnp.ndarray:
    return mnp.full(shape, value, dtype=dtype)


# ----------------------------------------------------------------------------- shape
reshape, expand_dims, broadcast_to, tile = mnp.reshape, mnp.expand_dims, mnp.broadcast_to, mnp.tile


def transpose(x: mnp.ndarray, axes: Sequence[int]) -> mnp.ndarray:
    return mnp.transpose(x, axes=tuple(axes))


def squeeze(x: mnp.ndarray, axis: tuple[int, ...] | None) -> mnp.ndarray:
    return mnp.squeeze(x, axis=axis)


def concat(xs: Sequence[mnp.ndarray], axis: int) -> mnp.ndarray:
    return mnp.concatenate(list(xs), axis=axis)


def stack(xs: Sequence[mnp.ndarray], axis: int) -> mnp.ndarray:
    return mnp.stack(list(xs), axis=axis)


def split(x: mnp.ndarray, sizes: list[int], axis: int) -> list[mnp.ndarray]:
    return list(mnp.split(x, np.cumsum(sizes)[:-1].tolist(), axis=axis))


def repeat(x: mnp.ndarray, repeats: int, axis: int | None) -> mnp.ndarray:
    return mnp.repeat(x, repeats, axis=axis)


def pad(x: mnp.ndarray, pad_width: tuple[tuple[int, int], ...], value: float) -> mnp.ndarray:
    out = mnp.pad(x, pad_width, mode="constant", constant_values=0)
    if value == 0:
        return out
    # mxnet.np.pad ignores constant_values for some ranks: fill the border explicitly
    inside = mnp.pad(mnp.ones_like(x), pad_width, mode="constant", constant_values=0)
    return out + (1 - inside) * value


# ----------------------------------------------------------------------------- elementwise
exp, log, log1p, sqrt, abs = mnp.exp, mnp.log, mnp.log1p, mnp.sqrt, mnp.abs


def sign(x: mnp.ndarray) -> mnp.ndarray:
    """numpy's sign: NaN stays NaN (MXNet's gives 0)."""
    out = mnp.sign(x)
    return mnp.where(mnp.isnan(x), x, out) if np.issubdtype(x.dtype, np.floating) else out
sin, cos, tanh, floor, round = mnp.sin, mnp.cos, mnp.tanh, mnp.floor, mnp.round
sigmoid, relu = npx.sigmoid, npx.relu
maximum, minimum, power, where = mnp.maximum, mnp.minimum, mnp.power, mnp.where


def clip(x: mnp.ndarray, lo: Any, hi: Any) -> mnp.ndarray:
    return mnp.clip(x, lo, hi)


# ----------------------------------------------------------------------------- reductions
# each called as f(x, axis=<tuple or None>, keepdims=<bool>)
sum, mean, prod = mnp.sum, mnp.mean, mnp.prod
any, all = mnp.any, mnp.all


def _extreme(fn: Callable[..., mnp.ndarray]) -> Callable[..., mnp.ndarray]:
    """``max``/``min`` whose gradient is shared evenly by tied elements, as in numpy (HIPS
    autograd), PyTorch and TensorFlow; MXNet's own gives every tied element the whole gradient."""
    def reduce(x: mnp.ndarray, axis: tuple[int, ...] | None, keepdims: bool) -> mnp.ndarray:
        out = fn(x, axis=axis, keepdims=True)
        if _ag.is_recording() and np.issubdtype(x.dtype, np.floating):
            m = out.detach()
            tied = x == m
            count = tied.astype(x.dtype).sum(axis=axis, keepdims=True)
            out = m + mnp.where(tied, x - m, mnp.zeros_like(x)).sum(axis=axis, keepdims=True) \
                / count                                  # = m exactly; gradient 1/count each
        if keepdims:
            return out
        return out.reshape(()) if axis is None else mnp.squeeze(out, axis=axis)
    return reduce


max, min = _extreme(mnp.max), _extreme(mnp.min)


def _arg(fn: Callable[..., mnp.ndarray], x: mnp.ndarray, axis: int | None,
         keepdims: bool) -> mnp.ndarray:
    out = fn(x, axis=axis).astype("int64")
    if keepdims:
        return out.reshape((1,) * x.ndim) if axis is None else mnp.expand_dims(out, axis)
    return out


def argmax(x, axis, keepdims):  # noqa: D103
    return _arg(mnp.argmax, x, axis, keepdims)


def argmin(x, axis, keepdims):  # noqa: D103
    return _arg(mnp.argmin, x, axis, keepdims)


def cumsum(x: mnp.ndarray, axis: int) -> mnp.ndarray:
    return mnp.cumsum(x, axis=axis)


#: MXNet's sum is compensated (Kahan): a sum with +inf in it comes out NaN, so mlbook's
#: logsumexp puts the +inf back (see ops.reductions.logsumexp)
SUM_OF_INF_IS_NAN = True


def softmax(x: mnp.ndarray, axis: int) -> mnp.ndarray:
    # npx.softmax gives [nan, 0] for [inf, 0] or [nan, 1]; numpy's and the other frameworks'
    # softmax is NaN along the whole axis there.  (m - m) * 0 is 0 for a finite maximum (the
    # output's bits do not change) and NaN for an infinite or NaN one.
    m = x.max(axis=axis, keepdims=True)
    return npx.softmax(x, axis=axis) + (m - m) * 0


# npx.log_softmax is off by ~1e-6 when one logit dominates (log_softmax([1000, 0])[0] is
# -1.4e-6, not 0), so log_softmax stays generic and cross-entropy is spelt out exactly:
def cross_entropy(logits: mnp.ndarray, labels: mnp.ndarray) -> mnp.ndarray:
    # log sum_j exp(z_j) - z_y with z = logits - max: the max cancels, and no op is spent on
    # adding it back (each MXNet op costs ~50 us in the engine on small arrays)
    z = logits - mnp.max(logits, axis=-1, keepdims=True).detach()
    return mnp.log(mnp.sum(mnp.exp(z), axis=-1)) - npx.pick(z, labels, axis=-1)


# ----------------------------------------------------------------------------- linear algebra
einsum = mnp.einsum


def matmul(a: mnp.ndarray, b: mnp.ndarray) -> mnp.ndarray:
    # equal to numpy.dot while b has at most 2 axes, and mxnet's dot has a much faster backward
    return mnp.dot(a, b) if b.ndim <= 2 else mnp.matmul(a, b)


def tensordot(a: mnp.ndarray, b: mnp.ndarray, axes: Any) -> mnp.ndarray:
    return mnp.tensordot(a, b, axes=axes)


# ----------------------------------------------------------------------------- comparison, logic
equal, not_equal, greater, greater_equal = mnp.equal, mnp.not_equal, mnp.greater, mnp.greater_equal
less, less_equal, logical_not = mnp.less, mnp.less_equal, mnp.logical_not


def logical_and(a: mnp.ndarray, b: mnp.ndarray) -> mnp.ndarray:
    return mnp.bitwise_and(a.astype("bool"), b.astype("bool"))    # no logical_and in mxnet.np


def logical_or(a: mnp.ndarray, b: mnp.ndarray) -> mnp.ndarray:
    return mnp.bitwise_or(a.astype("bool"), b.astype("bool"))


# ----------------------------------------------------------------------------- indexing
def take(x: mnp.ndarray, indices: mnp.ndarray, axis: int) -> mnp.ndarray:
    return mnp.take(x, indices, axis=axis)


def take_along_axis(x: mnp.ndarray, indices: mnp.ndarray, axis: int) -> mnp.ndarray:
    # mxnet.np.take_along_axis falls back to numpy (no gradient): index with full grids instead
    idx = indices.asnumpy()
    grids = list(np.indices(idx.shape, sparse=True))
    grids[axis] = idx
    return x[tuple(mnp.array(np.broadcast_to(g, idx.shape), dtype="int64") for g in grids)]


def boolean_mask(x: mnp.ndarray, mask: mnp.ndarray) -> mnp.ndarray:
    return x[mask]


# ----------------------------------------------------------------------------- parameters
def make_parameter(x: mnp.ndarray) -> mnp.ndarray:
    return x.copy()


def assign(param: mnp.ndarray, value: mnp.ndarray) -> None:
    param[...] = value


def assign_sub(param: mnp.ndarray, delta: mnp.ndarray) -> None:
    param -= delta


# ----------------------------------------------------------------------------- optimiser kernels
# MXNet's fused update ops (the ones mx.optimizer uses), on legacy views of the parameters'
# memory, where one computes mlbook's reference update (mlbook.optim).  sgd_update as it is.
# sgd_mom_update keeps m = -lr v instead of v (m <- mu m - lr g; w <- w + m), so the slot is
# rescaled by new/old rate when a schedule changes the rate.  rmsprop_update takes sqrt(s + eps),
# as mlbook does.  adam_update leaves out the bias correction (folded into the rate, and epsilon
# scaled by sqrt(1 - b2^t)) and computes 1 - beta2 in float32, 0.00099998713 for 0.999, which
# alone would move the parameters by ~3e-6 in ten steps: the gradient is rescaled by
# k = sqrt((1 - beta2) / (1 - float32(beta2))) so that v gets the exact (1 - beta2) g^2, and
# m, then k times too large, is divided out through the rate.  Adagrad runs the reference.
def _nd(x: mnp.ndarray) -> Any:
    return x.as_nd_ndarray()


def _sgd(params: list[mnp.ndarray], grads: list[mnp.ndarray], states: list[dict[str, Any]],
         lrs: list[float], decays: list[float], t: int, momentum: float) -> None:
    for p, g, state, lr, decay in zip(params, grads, states, lrs, decays):
        w = _nd(p)
        if not momentum:
            mx.nd.sgd_update(w, _nd(g), lr=lr, wd=decay, out=w)
            continue
        if "mxnet_m" not in state:                     # m = -lr v, from the reference's v
            state["mxnet_m"], state["mxnet_lr"] = -lr * state.pop("v"), lr
        elif state["mxnet_lr"] != lr:
            state["mxnet_m"] *= lr / state["mxnet_lr"]
            state["mxnet_lr"] = lr
        mx.nd.sgd_mom_update(w, _nd(g), _nd(state["mxnet_m"]), lr=lr, momentum=momentum,
                             wd=decay, out=w)


def _rmsprop(params: list[mnp.ndarray], grads: list[mnp.ndarray], states: list[dict[str, Any]],
             lrs: list[float], decays: list[float], t: int, gamma: float, eps: float) -> None:
    for p, g, state, lr, decay in zip(params, grads, states, lrs, decays):
        w = _nd(p)
        mx.nd.rmsprop_update(w, _nd(g), _nd(state["s"]), lr=lr, gamma1=gamma, epsilon=eps,
                             wd=decay, out=w)


def _adam(params: list[mnp.ndarray], grads: list[mnp.ndarray], states: list[dict[str, Any]],
          lrs: list[float], decays: list[float], t: int, beta1: float, beta2: float,
          eps: float) -> None:
    k = ((1 - beta2) / (1 - float(np.float32(beta2)))) ** 0.5
    c1, c2 = 1 - beta1 ** t, (1 - beta2 ** t) ** 0.5
    for p, g, state, lr, decay in zip(params, grads, states, lrs, decays):
        w = _nd(p)
        mx.nd.adam_update(w, _nd(g), _nd(state["m"]), _nd(state["v"]), lr=lr * c2 / (c1 * k),
                          beta1=beta1, beta2=beta2, epsilon=eps * c2, wd=decay * k,
                          rescale_grad=k, out=w)


OPTIMIZER_KERNELS = {"sgd": _sgd, "adam": _adam, "rmsprop": _rmsprop}


# ----------------------------------------------------------------------------- convolution, pooling
def conv2d(x: mnp.ndarray, w: mnp.ndarray, stride: tuple[int, int],
           padding: tuple[int, int]) -> mnp.ndarray:
    return npx.convolution(x, w, kernel=tuple(w.shape[2:]), stride=stride, pad=padding,
                           num_filter=w.shape[0], no_bias=True, layout="NCHW")


def conv2d_bias(x: mnp.ndarray, w: mnp.ndarray, bias: mnp.ndarray, stride: tuple[int, int],
                padding: tuple[int, int]) -> mnp.ndarray:
    return npx.convolution(x, w, bias, kernel=tuple(w.shape[2:]), stride=stride, pad=padding,
                           num_filter=w.shape[0], layout="NCHW")


def _dilate(x: mnp.ndarray, axis: int, s: int) -> mnp.ndarray:
    """``s - 1`` zeros between neighbours along ``axis`` (2 or 3) of an NCHW array."""
    if s == 1:
        return x
    x = mnp.moveaxis(x, axis, -1)
    n = x.shape[-1]
    spread = mnp.concatenate([mnp.expand_dims(x, -1),
                              mnp.zeros(x.shape + (s - 1,), dtype=x.dtype)], axis=-1)
    spread = spread.reshape(x.shape[:-1] + (n * s,))[..., :(n - 1) * s + 1]
    return mnp.moveaxis(spread, -1, axis)


def conv_transpose2d(x: mnp.ndarray, w: mnp.ndarray, stride: tuple[int, int],
                     padding: tuple[int, int]) -> mnp.ndarray:
    # MXNet's own npx.deconvolution computes the forward pass, but its oneDNN gradient fails
    # under autograd.grad ("could not execute a primitive"), which mlbook's grad uses.  So: the
    # input dilated by the stride, convolved with the flipped kernel (in and out swapped)
    # padded by k - 1 - p, cut where that padding is negative (as the JAX backend does)
    (kh, kw), (ph, pw) = w.shape[2:], padding
    xd = _dilate(_dilate(x, 2, stride[0]), 3, stride[1])
    flipped = mnp.flip(w, (2, 3)).transpose(1, 0, 2, 3)                # (O, C, kh, kw)
    qh, qw = kh - 1 - ph, kw - 1 - pw
    out = npx.convolution(xd, flipped, kernel=(kh, kw), stride=(1, 1),
                          pad=(qh if qh > 0 else 0, qw if qw > 0 else 0), num_filter=w.shape[1],
                          no_bias=True, layout="NCHW")
    ch, cw = (-qh if qh < 0 else 0), (-qw if qw < 0 else 0)
    return out[:, :, ch:out.shape[2] - ch, cw:out.shape[3] - cw]


def _pool(x: mnp.ndarray, kind: str, kernel: tuple[int, int], stride: tuple[int, int],
          padding: tuple[int, int]) -> mnp.ndarray:
    return npx.pooling(x, kernel=kernel, stride=stride, pad=padding, pool_type=kind,
                       count_include_pad=True, layout="NCHW")


def max_pool2d(x, kernel, stride, padding):  # noqa: D103 - documented in mlbook.nn.functional
    return _pool(x, "max", kernel, stride, padding)


def avg_pool2d(x, kernel, stride, padding):  # noqa: D103
    return _pool(x, "avg", kernel, stride, padding)


# ----------------------------------------------------------------------------- devices
def num_gpus() -> int:
    return mx.context.num_gpus()


def device_of(x: mnp.ndarray) -> tuple[str, int]:
    return ("cpu", 0) if x.ctx.device_type == "cpu" else ("gpu", x.ctx.device_id)


def to_device(x: mnp.ndarray, kind: str, index: int) -> mnp.ndarray:
    return x.as_in_ctx(mx.cpu() if kind == "cpu" else mx.gpu(index))


def parameter_on(x: mnp.ndarray, kind: str, index: int) -> mnp.ndarray:
    return make_parameter(to_device(x, kind, index))


# ----------------------------------------------------------------------------- autograd
def stop_gradient(x: mnp.ndarray) -> mnp.ndarray:
    return x.detach()


def _unconnected(err: Exception) -> bool:
    """Whether MXNet's error says the output does not depend on the array(s) asked about."""
    return "unreachable" in str(err) or "not in a computational graph" in str(err)


def _backward(y: mnp.ndarray, sources: list[mnp.ndarray], retain: bool,
              head: mnp.ndarray | None = None) -> list[mnp.ndarray]:
    """Run backward from ``y`` (with the head gradient ``head``, ones by default); with
    ``retain`` the graph is kept and the gradients are copied (a later backward through the
    same watched arrays overwrites their ``.grad``)."""
    try:
        _ag.backward([y], head_grads=None if head is None else [head], retain_graph=retain)
    except mx.base.MXNetError as err:
        if not _unconnected(err):
            raise
        return [mnp.zeros_like(s) for s in sources]       # y does not depend on any source
    return [mnp.zeros_like(s) if s.grad is None else s.grad.copy() if retain else s.grad
            for s in sources]


def _grad_or_zeros(out: mnp.ndarray, x: mnp.ndarray) -> Any:
    try:
        return _ag.grad(out, [x], retain_graph=True)[0]
    except mx.base.MXNetError as err:
        if not _unconnected(err):
            raise
        return mnp.zeros_like(x)


def value_and_grad(fun: Callable[[list[Any]], Any], leaves: list[mnp.ndarray],
                   has_aux: bool) -> tuple[Any, Any, list[mnp.ndarray]]:
    """Evaluate ``fun(leaves)`` and the gradient of its scalar output w.r.t. each leaf.

    Float leaves are marked with ``attach_grad()`` in place (once: an array that already has a
    gradient buffer keeps it), and ``mxnet.autograd.grad`` returns fresh gradient arrays, so the
    arrays' ``.grad`` buffers are never written and nothing is copied.
    """
    watched, seen = [], set()
    for x in leaves:
        if is_floating(x):
            if id(x) in seen:                     # the same array twice: differentiate a copy
                x = x.copy()
            if x.grad is None:
                with _ag.pause():
                    x.attach_grad()
            seen.add(id(x))
        watched.append(x)
    with _ag.record():
        out, aux = common.scalar_and_aux(fun(list(watched)), has_aux, coerce)
        out = out.reshape(())
    variables = [x for x in watched if is_floating(x)]
    try:
        found = iter(_ag.grad(out, variables, retain_graph=True) if variables else [])
    except mx.base.MXNetError as err:
        if not _unconnected(err):
            raise
        found = iter([_grad_or_zeros(out, x) for x in variables])   # some are not used
    grads = [next(found).as_np_ndarray() if is_floating(x) else mnp.zeros_like(x)
             for x in watched]
    return out.detach(), common.detach_tree(aux, _detach), grads


def _detach(x: Any) -> Any:
    # an array computed under record() keeps its graph: fed into a later gradient (an RNN's
    # state), the gradient would flow back through the earlier step
    return x.detach() if isinstance(x, (mnp.ndarray, mx.nd.NDArray)) else x


class Tape:
    """``mxnet.autograd.record()``: watched arrays get ``attach_grad()``; a tape that is not
    ``persistent`` frees the graph at its gradient (``retain_graph=False``)."""

    def __init__(self, persistent: bool = False) -> None:
        self.persistent = persistent

    def __enter__(self) -> "Tape":
        self._context = _ag.record()
        self._context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._context.__exit__(*exc)

    def watch(self, x: Any) -> mnp.ndarray:
        x = coerce(x)
        with _ag.pause():
            x.attach_grad()
        return x

    def gradient(self, y: mnp.ndarray, sources: list[mnp.ndarray],
                 head: mnp.ndarray | None = None) -> list[mnp.ndarray]:
        return _backward(coerce(y), sources, retain=self.persistent, head=head)
