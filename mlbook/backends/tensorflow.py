"""The TensorFlow backend: ``tf.Tensor``/``tf.Variable`` tensors, gradients from ``GradientTape``."""

from __future__ import annotations

import functools
import os
from typing import Any, Callable, Sequence

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")      # keep TensorFlow's start-up chatter out
# oneDNN's custom kernels reorder float32 sums (TensorFlow says so in a log line at every start);
# mlbook compares backends, so it uses the plain kernels unless the user set this variable.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
import tensorflow as tf  # noqa: E402
import tensorflow.experimental.numpy as tnp  # noqa: E402

from .. import execution  # noqa: E402
from . import common  # noqa: E402
from . import backend_of, foreign_error  # noqa: E402

NAME = "tensorflow"

_threads = execution.threads()
if _threads:                            # MLBOOK_THREADS: the book's pinned, deterministic setting
    try:
        tf.config.threading.set_intra_op_parallelism_threads(_threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError as err:         # TensorFlow ran an op already: its pools are fixed
        execution.warn_unpinned(NAME, err)
    tf.config.experimental.enable_op_determinism()
# A tf.function runs the kernels eager execution runs, on the same inputs, once Grappler (the
# graph optimiser, which fuses and rewrites arithmetic) is off: compiled gradients then equal the
# eager ones bit for bit, and mlbook.compiled uses them in training loops.
tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
COMPILES_EXACTLY = True
_DTYPES = {name: tf.as_dtype(name) for name in common.DTYPES}
_NATIVE = (tf.Tensor, tf.Variable)


# ----------------------------------------------------------------------------- identity, conversion
def is_native(x: Any) -> bool:
    return isinstance(x, _NATIVE)


def coerce(x: Any) -> tf.Tensor:
    if isinstance(x, _NATIVE):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return tf.convert_to_tensor(x)
    if backend_of(x) not in (None, "numpy"):
        raise foreign_error(x, NAME)
    return tf.convert_to_tensor(common.host_array(x))


def is_symbolic(x: Any) -> bool:
    """Whether ``x`` is a graph tensor being traced (no value yet), not an eager one."""
    return tf.is_symbolic_tensor(x)


def from_numpy(a: np.ndarray) -> tf.Tensor:
    return tf.convert_to_tensor(a)


def to_numpy(x: tf.Tensor) -> np.ndarray:
    return x.numpy()


def dtype_name(x: tf.Tensor) -> str:
    return x.dtype.name


def is_floating(x: tf.Tensor) -> bool:
    return x.dtype.is_floating


def astype(x: tf.Tensor, dtype: str) -> tf.Tensor:
    return tf.cast(x, _DTYPES[dtype])


def shape(x: tf.Tensor) -> tuple[int, ...]:
    return tuple(x.shape)


# ----------------------------------------------------------------------------- creation
def zeros(shape: tuple[int, ...], dtype: str) -> tf.Tensor:
    return tf.zeros(shape, dtype=_DTYPES[dtype])


def ones(shape: tuple[int, ...], dtype: str) -> tf.Tensor:
    return tf.ones(shape, dtype=_DTYPES[dtype])


def full(shape: tuple[int, ...], value: Any, dtype: str) -> tf.Tensor:
    return tf.fill(shape, tf.constant(value, dtype=_DTYPES[dtype]))


# ----------------------------------------------------------------------------- shape
def reshape(x: tf.Tensor, shape: tuple[int, ...]) -> tf.Tensor:
    return tf.reshape(x, shape)


def transpose(x: tf.Tensor, axes: Sequence[int]) -> tf.Tensor:
    return tf.transpose(x, perm=list(axes))


def expand_dims(x: tf.Tensor, axis: int) -> tf.Tensor:
    return tf.expand_dims(x, axis)


def squeeze(x: tf.Tensor, axis: tuple[int, ...] | None) -> tf.Tensor:
    return tf.squeeze(x, axis=None if axis is None else list(axis))


def concat(xs: Sequence[tf.Tensor], axis: int) -> tf.Tensor:
    return tf.concat(list(xs), axis=axis)


def stack(xs: Sequence[tf.Tensor], axis: int) -> tf.Tensor:
    return tf.stack(list(xs), axis=axis)


def split(x: tf.Tensor, sizes: list[int], axis: int) -> list[tf.Tensor]:
    return list(tf.split(x, sizes, axis=axis))


def tile(x: tf.Tensor, reps: tuple[int, ...]) -> tf.Tensor:
    return tf.tile(x, reps)


def repeat(x: tf.Tensor, repeats: int, axis: int | None) -> tf.Tensor:
    return tf.repeat(x, repeats, axis=axis)


def broadcast_to(x: tf.Tensor, shape: tuple[int, ...]) -> tf.Tensor:
    return tf.broadcast_to(x, shape)


def pad(x: tf.Tensor, pad_width: tuple[tuple[int, int], ...], value: float) -> tf.Tensor:
    return tf.pad(x, [list(p) for p in pad_width], constant_values=tf.cast(value, x.dtype))


# ----------------------------------------------------------------------------- elementwise
exp, log, log1p, sqrt, abs = tf.exp, tf.math.log, tf.math.log1p, tf.sqrt, tf.abs
sign, sin, cos, tanh, sigmoid = tf.sign, tf.sin, tf.cos, tf.tanh, tf.sigmoid
relu, floor, round = tf.nn.relu, tf.floor, tf.round          # tf.round rounds half to even
maximum, minimum, power, where = tf.maximum, tf.minimum, tf.pow, tf.where


def clip(x: tf.Tensor, lo: Any, hi: Any) -> tf.Tensor:
    if lo is not None:
        x = tf.maximum(x, tf.cast(lo, x.dtype))
    if hi is not None:
        x = tf.minimum(x, tf.cast(hi, x.dtype))
    return x


# ----------------------------------------------------------------------------- reductions
# each called as f(x, axis=<tuple or None>, keepdims=<bool>)
max, min = tf.reduce_max, tf.reduce_min


def _numeric(x: tf.Tensor) -> tf.Tensor:
    return tf.cast(x, tf.int64) if x.dtype == tf.bool else x


# TensorFlow's CPU float32 reductions lose up to ~1e-5 relative over ten thousand terms (a
# BatchNorm mean over N, H, W); summing in float64 and rounding once matches PyTorch's and
# MXNet's accuracy, so the backends agree through normalisation layers.
_LOW_FLOATS = (tf.float16, tf.bfloat16, tf.float32)


def sum(x: tf.Tensor, axis: tuple[int, ...] | None, keepdims: bool) -> tf.Tensor:
    if x.dtype in _LOW_FLOATS:
        return tf.cast(tf.reduce_sum(tf.cast(x, tf.float64), axis=axis, keepdims=keepdims),
                       x.dtype)
    return tf.reduce_sum(_numeric(x), axis=axis, keepdims=keepdims)   # bools count as ints


def mean(x: tf.Tensor, axis: tuple[int, ...] | None, keepdims: bool) -> tf.Tensor:
    if x.dtype in _LOW_FLOATS:
        return tf.cast(tf.reduce_mean(tf.cast(x, tf.float64), axis=axis, keepdims=keepdims),
                       x.dtype)
    return tf.reduce_mean(x, axis=axis, keepdims=keepdims)


def prod(x: tf.Tensor, axis: tuple[int, ...] | None, keepdims: bool) -> tf.Tensor:
    return tf.reduce_prod(_numeric(x), axis=axis, keepdims=keepdims)


def any(x: tf.Tensor, axis: tuple[int, ...] | None, keepdims: bool) -> tf.Tensor:
    return tf.reduce_any(tf.cast(x, tf.bool), axis=axis, keepdims=keepdims)


def all(x: tf.Tensor, axis: tuple[int, ...] | None, keepdims: bool) -> tf.Tensor:
    return tf.reduce_all(tf.cast(x, tf.bool), axis=axis, keepdims=keepdims)


def _arg(fn: Callable[..., tf.Tensor], x: tf.Tensor, axis: int | None,
         keepdims: bool) -> tf.Tensor:
    flat = tf.reshape(x, [-1]) if axis is None else x
    along = 0 if axis is None else axis
    out = fn(flat, axis=along, output_type=tf.int64)
    if flat.dtype.is_floating:       # numpy's answer with a NaN: the first NaN (TF skips NaN)
        nan = tf.math.is_nan(flat)
        out = tf.where(tf.reduce_any(nan, axis=along),
                       tf.argmax(tf.cast(nan, tf.int32), axis=along, output_type=tf.int64), out)
    if axis is None:
        return tf.reshape(out, (1,) * x.shape.rank) if keepdims else out
    return tf.expand_dims(out, axis) if keepdims else out


def argmax(x, axis, keepdims):  # noqa: D103
    return _arg(tf.argmax, x, axis, keepdims)


def argmin(x, axis, keepdims):  # noqa: D103
    return _arg(tf.argmin, x, axis, keepdims)


def cumsum(x: tf.Tensor, axis: int) -> tf.Tensor:
    return tf.cumsum(_numeric(x), axis=axis)


def logsumexp(x: tf.Tensor, axis: tuple[int, ...] | None, keepdims: bool) -> tf.Tensor:
    return tf.reduce_logsumexp(x, axis=axis, keepdims=keepdims)


def softmax(x: tf.Tensor, axis: int) -> tf.Tensor:
    return tf.nn.softmax(x, axis=axis)


def log_softmax(x: tf.Tensor, axis: int) -> tf.Tensor:
    return tf.nn.log_softmax(x, axis=axis)


def cross_entropy(logits: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)


# ----------------------------------------------------------------------------- linear algebra
def matmul(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    if a.shape.rank >= 2 and b.shape.rank >= 2:
        return tf.linalg.matmul(a, b)
    return tnp.matmul(a, b)                      # numpy rules for 1-D operands


def tensordot(a: tf.Tensor, b: tf.Tensor, axes: Any) -> tf.Tensor:
    return tf.tensordot(a, b, axes=axes)


einsum = tf.einsum

# ----------------------------------------------------------------------------- comparison, logic
equal, not_equal, greater, greater_equal = tf.equal, tf.not_equal, tf.greater, tf.greater_equal
less, less_equal = tf.less, tf.less_equal
logical_and, logical_or, logical_not = tf.logical_and, tf.logical_or, tf.logical_not


# ----------------------------------------------------------------------------- indexing
def take(x: tf.Tensor, indices: tf.Tensor, axis: int) -> tf.Tensor:
    return tf.gather(x, indices, axis=axis)


def take_along_axis(x: tf.Tensor, indices: tf.Tensor, axis: int) -> tf.Tensor:
    return tnp.take_along_axis(x, indices, axis=axis)


def boolean_mask(x: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    return tf.boolean_mask(x, mask)


# ----------------------------------------------------------------------------- parameters
def make_parameter(x: tf.Tensor) -> tf.Variable:
    return tf.Variable(x)


def assign(param: tf.Variable, value: tf.Tensor) -> None:
    param.assign(value)


def assign_sub(param: tf.Variable, delta: tf.Tensor) -> None:
    param.assign_sub(delta)


# ----------------------------------------------------------------------------- optimiser kernels
# TensorFlow's fused training ops (tf.raw_ops.ResourceApply*), where one computes mlbook's
# reference update (mlbook.optim): gradient descent and momentum as they are, RMSProp with
# momentum 0 (the op takes sqrt(s + eps), as mlbook does).  The others run compiled
# (compile_function): Adagrad's op adds eps outside the square root, and Adam's computes
# 1 - beta2 in float32, 0.00099998713 for 0.999, which moves the parameters by ~3e-6 in ten steps
# (the library's bias correction and epsilon could be folded in, that rounding cannot).  Slots
# become tf.Variables on first use.
def _slot_variable(state: dict[str, Any], key: str, like: tf.Variable) -> tf.Variable:
    slot = state.get(key)
    if not isinstance(slot, tf.Variable):
        slot = state[key] = tf.Variable(tf.zeros_like(like) if slot is None else slot)
    return slot


def _decayed(p: tf.Variable, g: tf.Tensor, decay: float) -> tf.Tensor:
    return g + decay * p if decay else g


def _sgd(params: list[tf.Variable], grads: list[tf.Tensor], states: list[dict[str, Any]],
         lrs: list[float], decays: list[float], t: int, momentum: float) -> None:
    for p, g, state, lr, decay in zip(params, grads, states, lrs, decays):
        g, lr = _decayed(p, g, decay), tf.constant(lr, p.dtype)
        if momentum:                                   # v <- mu v + g; w <- w - lr v
            tf.raw_ops.ResourceApplyMomentum(var=p.handle, accum=_slot_variable(state, "v", p)
                                             .handle, lr=lr, grad=g,
                                             momentum=tf.constant(momentum, p.dtype))
        else:
            tf.raw_ops.ResourceApplyGradientDescent(var=p.handle, alpha=lr, delta=g)


def _rmsprop(params: list[tf.Variable], grads: list[tf.Tensor], states: list[dict[str, Any]],
             lrs: list[float], decays: list[float], t: int, gamma: float, eps: float) -> None:
    for p, g, state, lr, decay in zip(params, grads, states, lrs, decays):
        def c(x: float) -> tf.Tensor:
            return tf.constant(x, p.dtype)
        tf.raw_ops.ResourceApplyRMSProp(
            var=p.handle, ms=_slot_variable(state, "s", p).handle,
            mom=_slot_variable(state, "tf_mom", p).handle, lr=c(lr), rho=c(gamma),
            momentum=c(0.0), epsilon=c(eps), grad=_decayed(p, g, decay))


OPTIMIZER_KERNELS = {"sgd": _sgd, "rmsprop": _rmsprop}


def _iterating(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, traced with iteration over a graph tensor of known length (``for X in inputs``,
    a from-scratch RNN's loop over time steps) allowed as eagerly: ``x[0]``, ``x[1]``, ...,
    the same slicing kernels.  TensorFlow refuses such iteration outside AutoGraph; the patch
    holds only while ``fn`` is traced."""
    from tensorflow.python.framework import ops as tf_ops
    from tensorflow.python.framework import tensor as tf_tensor

    def iterate(self: Any) -> Any:
        length = self.shape[0] if self.shape.rank else None
        if length is None:
            self._disallow_iteration()    # TensorFlow's own error: the length is not known
        return tf_tensor._TensorIterator(self, length)

    @functools.wraps(fn)
    def traced(*args: Any, **kwargs: Any) -> Any:
        symbolic = tf_ops.SymbolicTensor
        before = symbolic.__dict__.get("__iter__")
        symbolic.__iter__ = iterate
        try:
            return fn(*args, **kwargs)
        finally:
            if before is None:
                del symbolic.__iter__
            else:
                symbolic.__iter__ = before
    return traced


def compile_function(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``tf.function(fn)``; Python floats are passed as float32 tensors, so that a new
    learning rate does not trace the function again.  Without AutoGraph: the functions mlbook
    compiles (an optimiser's update, a training step) have no tensor-dependent Python control
    flow, and AutoGraph's cache of converted code, keyed by code objects, was seen to hand back
    another function's conversion after many functions had come and gone in one process."""
    compiled = tf.function(_iterating(fn), autograph=False)

    def call(*args: Any) -> Any:
        return compiled(*tf.nest.map_structure(
            lambda a: tf.constant(a, tf.float32) if isinstance(a, float) else a, args))
    return call


# ----------------------------------------------------------------------------- convolution, pooling
# TensorFlow's CPU kernels want NHWC: transpose in, compute, transpose back.
def _nhwc(x: tf.Tensor) -> tf.Tensor:
    return tf.transpose(x, [0, 2, 3, 1])


def _nchw(x: tf.Tensor) -> tf.Tensor:
    return tf.transpose(x, [0, 3, 1, 2])


def conv2d(x: tf.Tensor, w: tf.Tensor, stride: tuple[int, int],
           padding: tuple[int, int]) -> tf.Tensor:
    (ph, pw), (sh, sw) = padding, stride
    out = tf.nn.conv2d(_nhwc(x), tf.transpose(w, [2, 3, 1, 0]), strides=[1, sh, sw, 1],
                       padding=[[0, 0], [ph, ph], [pw, pw], [0, 0]])
    return _nchw(out)


def conv_transpose2d(x: tf.Tensor, w: tf.Tensor, stride: tuple[int, int],
                     padding: tuple[int, int]) -> tf.Tensor:
    # tf.nn.conv2d_transpose's filter is (kh, kw, out, in); computed without padding, then the
    # padding cut from each border (what padding means for a transposed convolution)
    (sh, sw), (ph, pw) = stride, padding
    _, _, h, wd = x.shape
    kh, kw = w.shape[2], w.shape[3]
    full_h, full_w = (h - 1) * sh + kh, (wd - 1) * sw + kw
    full = tf.stack([tf.shape(x)[0], full_h, full_w, w.shape[1]])   # the batch may be unknown
    out = tf.nn.conv2d_transpose(_nhwc(x), tf.transpose(w, [2, 3, 1, 0]), full,
                                 strides=[1, sh, sw, 1], padding="VALID")
    return _nchw(out[:, ph:full_h - ph, pw:full_w - pw, :])


def _pool(fn: Callable[..., tf.Tensor], x: tf.Tensor, kernel: tuple[int, int],
          stride: tuple[int, int], padding: tuple[int, int], fill: float) -> tf.Tensor:
    ph, pw = padding
    x = _nhwc(x)
    if ph or pw:
        x = tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]], constant_values=fill)
    return _nchw(fn(x, ksize=kernel, strides=stride, padding="VALID"))


def max_pool2d(x, kernel, stride, padding):  # noqa: D103 - documented in mlbook.nn.functional
    return _pool(tf.nn.max_pool2d, x, kernel, stride, padding, float("-inf"))


def avg_pool2d(x, kernel, stride, padding):  # noqa: D103
    return _pool(tf.nn.avg_pool2d, x, kernel, stride, padding, 0.0)


# ----------------------------------------------------------------------------- devices
def num_gpus() -> int:
    return len(tf.config.list_physical_devices("GPU"))


def device_of(x: tf.Tensor) -> tuple[str, int]:
    name = x.device.upper()                      # ".../device:GPU:0"
    if ":GPU:" in name:
        return ("gpu", int(name.rsplit(":", 1)[1]))
    return ("cpu", 0)


def to_device(x: tf.Tensor, kind: str, index: int) -> tf.Tensor:
    with tf.device("/CPU:0" if kind == "cpu" else f"/GPU:{index}"):
        return tf.identity(x)


def parameter_on(x: tf.Tensor, kind: str, index: int) -> tf.Variable:
    # a variable goes to the GPU when there is one, unless created inside a device scope
    with tf.device("/CPU:0" if kind == "cpu" else f"/GPU:{index}"):
        return tf.Variable(tf.identity(x))


# ----------------------------------------------------------------------------- autograd
stop_gradient = tf.stop_gradient


def _dense(g: Any, like: tf.Tensor) -> tf.Tensor:
    if g is None:
        return tf.zeros_like(like)
    return tf.convert_to_tensor(g)               # IndexedSlices (from gather) -> dense


def value_and_grad(fun: Callable[[list[Any]], Any], leaves: list[tf.Tensor],
                   has_aux: bool) -> tuple[Any, Any, list[tf.Tensor]]:
    """Evaluate ``fun(leaves)`` and the gradient of its scalar output w.r.t. each leaf."""
    with tf.GradientTape() as tape:
        for leaf in leaves:
            if leaf.dtype.is_floating:
                tape.watch(leaf)
        out, aux = common.scalar_and_aux(fun(list(leaves)), has_aux, coerce)
        out = tf.reshape(out, ())
    grads = tape.gradient(out, list(leaves),
                          unconnected_gradients=tf.UnconnectedGradients.ZERO)
    # aux as a value: no history even under an outer tape, as on the other backends
    grads = [_dense(g, leaf) for g, leaf in zip(grads, leaves)]
    return out, common.detach_tree(aux, _detach), grads


def _detach(x: Any) -> Any:
    return tf.stop_gradient(x) if isinstance(x, _NATIVE) else x


class Tape:
    """A ``tf.GradientTape``, persistent or not."""

    def __init__(self, persistent: bool = False) -> None:
        self.persistent = persistent

    def __enter__(self) -> "Tape":
        self._tape = tf.GradientTape(persistent=self.persistent)
        self._tape.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._tape.__exit__(*exc)

    def watch(self, x: Any) -> tf.Tensor:
        x = coerce(x)
        self._tape.watch(x)
        return x

    def gradient(self, y: tf.Tensor, sources: list[tf.Tensor],
                 head: tf.Tensor | None = None) -> list[tf.Tensor]:
        y = coerce(y)
        grads = self._tape.gradient(y, sources,
                                    output_gradients=tf.ones_like(y) if head is None else head,
                                    unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return [_dense(g, s) for g, s in zip(grads, sources)]
