"""Every function of the neutral API against a numpy reference, on every backend.

Each case names the mlbook call, the numpy computation it must match, and its inputs (numpy
arrays, converted to the active backend's tensors with ``mb.array``, which keeps their dtype).
Values, shapes and dtypes are compared.  Tolerance: rtol = atol = 1e-6 for float32 results
(the frameworks' kernels may sum or round in another order; that is below float32's ~1.2e-7
relative precision times the few terms involved), exact for integer and bool results.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlbook as mb
from helpers import check

rng = np.random.default_rng(42)
F = rng.normal(size=(3, 4)).astype("float32")               # generic float matrix
P = rng.uniform(0.5, 2.0, size=(3, 4)).astype("float32")    # positive
V = rng.normal(size=(4,)).astype("float32")
W = rng.normal(size=(4,)).astype("float32")
B3 = rng.normal(size=(2, 3, 4)).astype("float32")
C = rng.normal(size=(4, 5)).astype("float32")
I = np.arange(12, dtype="int64").reshape(3, 4)
M = np.array([[True, False, True, False], [False, False, True, True],
              [True, True, False, False]])
HALF = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4, 0.6], dtype="float32")


def f32(a):
    return np.asarray(a, dtype="float32")


# (id, mlbook function, numpy reference, inputs)
CASES = [
    # elementwise
    ("exp", mb.exp, np.exp, [F]),
    ("log", mb.log, np.log, [P]),
    ("log1p", mb.log1p, np.log1p, [P]),
    ("sqrt", mb.sqrt, np.sqrt, [P]),
    ("abs", mb.abs, np.abs, [F]),
    ("sign", mb.sign, np.sign, [F]),
    ("sin", mb.sin, np.sin, [F]),
    ("cos", mb.cos, np.cos, [F]),
    ("tanh", mb.tanh, np.tanh, [F]),
    ("sigmoid", mb.sigmoid, lambda x: f32(1 / (1 + np.exp(-x.astype("float64")))), [F]),
    ("sigmoid_extreme", mb.sigmoid, lambda x: f32(1 / (1 + np.exp(-x.astype("float64")))),
     [np.array([-100, -20, 0, 20, 100], "float32")]),
    ("relu", mb.relu, lambda x: np.maximum(x, 0), [F]),
    ("floor", mb.floor, np.floor, [F]),
    ("round_half_even", mb.round, np.round, [HALF]),
    ("exp_int_to_float32", mb.exp, lambda x: f32(np.exp(x)), [I]),
    ("maximum", mb.maximum, np.maximum, [F, P]),
    ("maximum_scalar", lambda x: mb.maximum(x, 0.25), lambda x: np.maximum(x, f32(0.25)), [F]),
    ("minimum_broadcast", mb.minimum, np.minimum, [F, V]),
    ("power", mb.power, np.power, [P, F]),
    ("power_scalar", lambda x: mb.power(x, 3), lambda x: x ** 3, [F]),
    ("clip", lambda x: mb.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), [F]),
    ("clip_one_sided", lambda x: mb.clip(x, None, 0.1), lambda x: np.clip(x, None, 0.1), [F]),
    ("clip_tensor_bounds", lambda x, lo: mb.clip(x, lo, 1.0),
     lambda x, lo: np.clip(x, lo, 1.0), [F, V]),
    ("where", mb.where, np.where, [M, F, P]),
    ("where_scalar", lambda m, x: mb.where(m, x, 0.0), lambda m, x: np.where(m, x, f32(0)),
     [M, F]),
    ("add_int_float_promotes", lambda a, b: mb.maximum(a, b),
     lambda a, b: np.maximum(a, b).astype("float32"), [I, F]),
    # creation
    ("zeros", lambda: mb.zeros((2, 3)), lambda: np.zeros((2, 3), "float32"), []),
    ("ones_int", lambda: mb.ones(4, dtype="int64"), lambda: np.ones(4, "int64"), []),
    ("full", lambda: mb.full((2, 2), 7), lambda: np.full((2, 2), 7, "int64"), []),
    ("full_float", lambda: mb.full((2,), 0.5), lambda: np.full((2,), 0.5, "float32"), []),
    ("eye", lambda: mb.eye(3), lambda: np.eye(3, dtype="float32"), []),
    ("eye_rect", lambda: mb.eye(2, 3, dtype="float64"), lambda: np.eye(2, 3), []),
    ("arange_int", lambda: mb.arange(12), lambda: np.arange(12), []),
    ("arange_float", lambda: mb.arange(1, 2, 0.25), lambda: np.arange(1, 2, 0.25, "float32"), []),
    ("arange_float_arg", lambda: mb.arange(4.0), lambda: np.arange(4, dtype="float32"), []),
    ("linspace", lambda: mb.linspace(0, 1, 5), lambda: f32(np.linspace(0, 1, 5)), []),
    ("zeros_like", mb.zeros_like, np.zeros_like, [I]),
    ("ones_like", mb.ones_like, np.ones_like, [F]),
    ("full_like", lambda x: mb.full_like(x, 3), lambda x: np.full_like(x, 3), [F]),
    ("array_list", lambda: mb.array([[1, 2], [3, 4]]), lambda: np.array([[1, 2], [3, 4]]), []),
    ("array_floats", lambda: mb.array([1.5, 2.0]), lambda: f32([1.5, 2.0]), []),
    ("array_bools", lambda: mb.array([True, False]), lambda: np.array([True, False]), []),
    ("array_dtype", lambda: mb.array([1, 2], dtype="float64"), lambda: np.array([1., 2.]), []),
    ("array_keeps_numpy_dtype", mb.array, lambda x: x, [F.astype("float64")]),
    ("tensor_alias", lambda: mb.tensor([[1.0]]), lambda: f32([[1.0]]), []),
    # shape
    ("reshape", lambda x: mb.reshape(x, (2, -1)), lambda x: x.reshape(2, -1), [F]),
    ("reshape_int", lambda x: mb.reshape(x, 12), lambda x: x.reshape(12), [F]),
    ("transpose", mb.transpose, np.transpose, [B3]),
    ("transpose_axes", lambda x: mb.transpose(x, (1, 0, 2)),
     lambda x: np.transpose(x, (1, 0, 2)), [B3]),
    ("permute", lambda x: mb.permute(x, 2, 0, 1), lambda x: np.transpose(x, (2, 0, 1)), [B3]),
    ("swapaxes", lambda x: mb.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2), [B3]),
    ("T", mb.T, lambda x: x.T, [F]),
    ("expand_dims", lambda x: mb.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), [F]),
    ("expand_dims_neg", lambda x: mb.expand_dims(x, -1), lambda x: np.expand_dims(x, -1), [F]),
    ("squeeze_all", mb.squeeze, np.squeeze, [F.reshape(1, 3, 1, 4)]),
    ("squeeze_axis", lambda x: mb.squeeze(x, 2), lambda x: np.squeeze(x, 2),
     [F.reshape(1, 3, 1, 4)]),
    ("flatten", mb.flatten, np.ravel, [B3]),
    ("flatten_start", lambda x: mb.flatten(x, 1), lambda x: x.reshape(2, -1), [B3]),
    ("concat0", lambda a, b: mb.concat([a, b]), lambda a, b: np.concatenate([a, b]), [F, P]),
    ("concat1", lambda a, b: mb.concat([a, b], axis=1),
     lambda a, b: np.concatenate([a, b], axis=1), [F, P]),
    ("stack", lambda a, b: mb.stack([a, b], axis=1), lambda a, b: np.stack([a, b], 1), [F, P]),
    ("tile", lambda x: mb.tile(x, (2, 1)), lambda x: np.tile(x, (2, 1)), [F]),
    ("tile_more_reps", lambda x: mb.tile(x, (2, 1, 2)), lambda x: np.tile(x, (2, 1, 2)), [V]),
    ("tile_fewer_reps", lambda x: mb.tile(x, 2), lambda x: np.tile(x, 2), [F]),
    ("repeat_axis", lambda x: mb.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1), [F]),
    ("repeat_flat", lambda x: mb.repeat(x, 3), lambda x: np.repeat(x, 3), [F]),
    ("broadcast_to", lambda x: mb.broadcast_to(x, (3, 4)), lambda x: np.broadcast_to(x, (3, 4)),
     [V]),
    ("pad_pairs", lambda x: mb.pad(x, ((1, 0), (2, 1))),
     lambda x: np.pad(x, ((1, 0), (2, 1))), [F]),
    ("pad_int_value", lambda x: mb.pad(x, 1, value=-1.0),
     lambda x: np.pad(x, 1, constant_values=-1.0), [B3]),
    # reductions
    ("sum_all", mb.sum, np.sum, [F]),
    ("sum_axis", lambda x: mb.sum(x, axis=0), lambda x: np.sum(x, axis=0), [F]),
    ("sum_axes_keep", lambda x: mb.sum(x, axis=(0, 2), keepdims=True),
     lambda x: np.sum(x, axis=(0, 2), keepdims=True), [B3]),
    ("sum_neg_axis", lambda x: mb.sum(x, axis=-1), lambda x: np.sum(x, axis=-1), [B3]),
    ("sum_int", lambda x: mb.sum(x, axis=1), lambda x: np.sum(x, axis=1), [I]),
    ("sum_bool_counts", mb.sum, lambda m: np.sum(m).astype("int64"), [M]),
    ("sum_all_keepdims", lambda x: mb.sum(x, keepdims=True), lambda x: np.sum(x, keepdims=True),
     [B3]),
    ("mean", lambda x: mb.mean(x, axis=1), lambda x: np.mean(x, axis=1), [F]),
    ("mean_int", mb.mean, lambda x: np.float32(np.mean(x)), [I]),
    ("max", lambda x: mb.max(x, axis=1), lambda x: np.max(x, axis=1), [F]),
    ("max_keep", lambda x: mb.max(x, axis=(0, 1), keepdims=True),
     lambda x: np.max(x, axis=(0, 1), keepdims=True), [B3]),
    ("min", mb.min, np.min, [F]),
    ("prod", lambda x: mb.prod(x, axis=(0, 2)), lambda x: np.prod(x, axis=(0, 2)), [B3]),
    ("prod_all", mb.prod, np.prod, [P]),
    ("argmax", lambda x: mb.argmax(x, axis=1), lambda x: np.argmax(x, axis=1), [F]),
    ("argmax_flat", mb.argmax, lambda x: np.int64(np.argmax(x)), [F]),
    ("argmax_keep", lambda x: mb.argmax(x, axis=0, keepdims=True),
     lambda x: np.argmax(x, axis=0, keepdims=True), [F]),
    ("argmin", lambda x: mb.argmin(x, axis=-1), lambda x: np.argmin(x, axis=-1), [B3]),
    ("var", lambda x: mb.var(x, axis=1), lambda x: np.var(x, axis=1), [F]),
    ("var_ddof", lambda x: mb.var(x, ddof=1), lambda x: np.float32(np.var(x, ddof=1)), [F]),
    ("std", lambda x: mb.std(x, axis=0, keepdims=True),
     lambda x: np.std(x, axis=0, keepdims=True), [F]),
    ("cumsum", lambda x: mb.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1), [F]),
    ("cumsum_flat", mb.cumsum, np.cumsum, [I]),
    ("logsumexp", lambda x: mb.logsumexp(x, axis=1),
     lambda x: f32(np.log(np.sum(np.exp(x.astype("float64")), axis=1))), [F]),
    ("logsumexp_large", mb.logsumexp, lambda x: f32(1000 + np.log(3)),
     [np.array([1000, 1000, 1000], "float32")]),
    ("logsumexp_keep", lambda x: mb.logsumexp(x, axis=(0, 2), keepdims=True),
     lambda x: f32(np.log(np.sum(np.exp(x.astype("float64")), axis=(0, 2), keepdims=True))),
     [B3]),
    # linear algebra
    ("matmul", mb.matmul, np.matmul, [F, C]),
    ("matmul_batched", mb.matmul, np.matmul, [B3, C]),
    ("matmul_vec", mb.matmul, np.matmul, [F, V]),
    ("matmul_vec_vec", mb.matmul, np.matmul, [V, W]),
    ("dot_vectors", mb.dot, np.dot, [V, W]),
    ("dot_matrix", mb.dot, np.dot, [F, C]),
    ("dot_nd", mb.dot, np.dot, [B3, C]),
    ("dot_scalar", lambda x: mb.dot(x, 2.0), lambda x: x * 2, [F]),
    ("mv", mb.mv, np.dot, [F, V]),
    ("outer", mb.outer, np.outer, [V, W]),
    ("tensordot", lambda a, b: mb.tensordot(a, b, axes=([2], [0])),
     lambda a, b: np.tensordot(a, b, axes=([2], [0])), [B3, C]),
    ("tensordot_int", lambda a, b: mb.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1),
     [F, C]),
    ("einsum", lambda a, b: mb.einsum("bij,jk->bik", a, b),
     lambda a, b: np.einsum("bij,jk->bik", a, b), [B3, C]),
    ("norm_l2", mb.norm, lambda x: f32(np.linalg.norm(x)), [V]),
    ("norm_fro", lambda x: mb.norm(x, "fro"), lambda x: f32(np.linalg.norm(x, "fro")), [F]),
    ("norm_l1", lambda x: mb.norm(x, 1), lambda x: f32(np.abs(x).sum()), [V]),
    ("norm_inf", lambda x: mb.norm(x, math.inf), lambda x: np.abs(x).max(), [V]),
    ("norm_axis", lambda x: mb.norm(x, axis=1, keepdims=True),
     lambda x: f32(np.linalg.norm(x, axis=1, keepdims=True)), [F]),
    # comparison, logic
    ("equal", mb.equal, np.equal, [I, I.T.reshape(3, 4)]),
    ("not_equal", mb.not_equal, np.not_equal, [I, I.T.reshape(3, 4)]),
    ("greater", mb.greater, np.greater, [F, P]),
    ("greater_equal_scalar", lambda x: mb.greater_equal(x, 5), lambda x: x >= 5, [I]),
    ("less", mb.less, np.less, [F, V]),
    ("less_equal", mb.less_equal, np.less_equal, [F, P]),
    ("logical_and", mb.logical_and, np.logical_and, [M, M[::-1]]),
    ("logical_or", mb.logical_or, np.logical_or, [M, M[::-1]]),
    ("logical_not", mb.logical_not, np.logical_not, [M]),
    ("any", lambda m: mb.any(m, axis=1), lambda m: np.any(m, axis=1), [M]),
    ("all", lambda m: mb.all(m, axis=0, keepdims=True),
     lambda m: np.all(m, axis=0, keepdims=True), [M]),
    ("all_flat", mb.all, np.all, [M]),
    # dtype
    ("astype", lambda x: mb.astype(x, "float64"), lambda x: x.astype("float64"), [F]),
    ("astype_constant", lambda x: mb.astype(x, mb.int32), lambda x: x.astype("int32"), [I]),
    ("astype_bool", lambda x: mb.astype(x, "bool"), lambda x: x.astype(bool), [I]),
    ("float64_math", mb.exp, np.exp, [F.astype("float64")]),
    # indexing
    ("take_axis", lambda x: mb.take(x, [2, 0, 2], axis=1),
     lambda x: np.take(x, [2, 0, 2], axis=1), [F]),
    ("take_flat", lambda x: mb.take(x, [[0, 5], [11, 1]]),
     lambda x: np.take(x, [[0, 5], [11, 1]]), [F]),
    ("take_negative", lambda x: mb.take(x, [-1], axis=0), lambda x: np.take(x, [-1], axis=0),
     [F]),
    ("gather", lambda x: mb.gather(x, [1, 1], axis=0), lambda x: np.take(x, [1, 1], axis=0),
     [F]),
    ("take_along_axis", lambda x: mb.take_along_axis(x, [[0], [3], [1]], 1),
     lambda x: np.take_along_axis(x, np.array([[0], [3], [1]]), 1), [F]),
    ("one_hot", lambda: mb.one_hot([0, 2, 1], 3),
     lambda: np.eye(3, dtype="float32")[[0, 2, 1]], []),
    ("one_hot_2d", lambda: mb.one_hot([[0], [3]], 4, dtype="int64"),
     lambda: np.eye(4, dtype="int64")[[[0], [3]]], []),
    ("boolean_mask", mb.boolean_mask, lambda x, m: x[m], [F, M]),
    ("boolean_mask_rows", lambda x: mb.boolean_mask(x, [True, False, True]),
     lambda x: x[[True, False, True]], [F]),
    ("softmax", mb.softmax,
     lambda x: f32(np.exp(x) / np.exp(x.astype("float64")).sum(-1, keepdims=True)), [F]),
    ("softmax_axis0_large", lambda x: mb.softmax(x * 1000, axis=0),
     lambda x: f32(np.exp(1000 * x.astype("float64") - (1000 * x).max(0))
                   / np.exp(1000 * x.astype("float64") - (1000 * x).max(0)).sum(0)), [F]),
    ("log_softmax", mb.log_softmax,
     lambda x: f32(x - np.log(np.exp(x.astype("float64")).sum(-1, keepdims=True))), [F]),
]

INDEX_UPDATES = [
    ("int", 1, 9.0),
    ("slice", (slice(None), slice(1, 3)), 5.0),
    ("row_vector", 0, np.arange(4, dtype="float32")),
    ("fancy", ([0, 2], [1, 3]), np.array([7.0, 8.0], dtype="float32")),
    ("bool_mask", M, -1.0),
    ("negative_step", (slice(None, None, -1), -1), np.array([1.0, 2.0, 3.0], "float32")),
]


@pytest.mark.parametrize("name, fn, ref, inputs", CASES, ids=[c[0] for c in CASES])
def test_op_matches_numpy(backend, name, fn, ref, inputs):
    args = [mb.array(a) for a in inputs]
    check(fn(*args), ref(*inputs))


@pytest.mark.parametrize("name, index, value", INDEX_UPDATES, ids=[u[0] for u in INDEX_UPDATES])
def test_index_update_matches_numpy_assignment(backend, name, index, value):
    expected = F.copy()
    expected[index] = value
    x = mb.array(F)
    v = value if np.isscalar(value) else mb.array(value)
    idx = mb.array(index) if isinstance(index, np.ndarray) else index
    check(mb.index_update(x, idx, v), expected)
    check(x, F)                                   # the input is not modified


def test_split_matches_numpy(backend):
    x = mb.array(B3)
    for args in [(2, 0), (3, 1), ([1, 3], 2), ([1], -1)]:
        parts = mb.split(x, *args)
        expected = np.split(B3, *args)
        assert len(parts) == len(expected)
        for p, e in zip(parts, expected):
            check(p, e)


def test_shape_helpers(backend):
    x = mb.array(B3)
    assert mb.shape(x) == (2, 3, 4) and all(type(d) is int for d in mb.shape(x))
    assert mb.size(x) == 24 and type(mb.size(x)) is int
    assert mb.ndim(x) == 3
    assert mb.dtype(x) == "float32" and mb.dtype(mb.arange(3)) == "int64"
    assert mb.is_floating(x) and not mb.is_floating(mb.arange(3))


def test_conversions(backend):
    x = mb.array(F)
    a = mb.to_numpy(x)
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, F)
    check(mb.from_numpy(np.arange(3, dtype="int32")), np.arange(3, dtype="int32"))
    s = mb.item(mb.sum(mb.arange(5)))
    assert s == 10 and type(s) is int
    f = mb.item(mb.array([2.5]))
    assert f == 2.5 and type(f) is float
    assert mb.tolist(mb.array([[1, 2]])) == [[1, 2]]
    assert mb.is_tensor(x) and not mb.is_tensor(F if backend != "numpy" else [1])


def test_array_and_from_numpy_copy_the_numpy_buffer(backend):
    # "the data is copied": a later write to the numpy array must not reach the tensor, for a
    # buffer at every alignment (JAX shares a 64-byte aligned one unless asked to copy)
    buf = np.zeros(64, np.float32)
    for start in range(16):
        a = buf[start:start + 8]
        x, y = mb.array(a), mb.from_numpy(a)
        a[0] = 7.0
        assert mb.to_numpy(x)[0] == 0.0 and mb.to_numpy(y)[0] == 0.0, \
            f"alignment {a.ctypes.data % 64}"
        a[0] = 0.0


def test_numpy_input_is_accepted(backend):
    # numpy arrays are the common currency: every backend converts them (keeping dtype)
    check(mb.exp(F), np.exp(F))


def test_dtype_constants():
    assert (mb.float32, mb.float64, mb.int64, mb.bool_) == ("float32", "float64", "int64", "bool")


def test_every_backend_module_implements_the_interface(backend):
    from mlbook import backends
    module = backends.current()
    missing = [n for n in backends.INTERFACE if not hasattr(module, n)]
    assert not missing, f"{backend} lacks {missing}"


def test_every_public_function_has_a_docstring():
    import inspect
    from mlbook import ops
    undocumented = [n for n in ops.__all__
                    if callable(getattr(ops, n)) and not inspect.getdoc(getattr(ops, n))]
    assert not undocumented


def test_max_and_min_share_the_gradient_between_ties(backend):
    """Tied maxima split the gradient evenly on every backend (MXNet's own gives each tied
    element the whole gradient, so the gradient summed to 2)."""
    x = mb.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check(mb.grad(lambda v: mb.sum(mb.max(v, axis=1)))(x),
          [[0, 0.5, 0.5], [0.5, 0.5, 0]], dtype=False)
    check(mb.grad(lambda v: mb.max(v))(x), [[0, 0.5, 0.5], [0, 0, 0]], dtype=False)
    check(mb.grad(lambda v: mb.sum(mb.min(v, axis=0, keepdims=True)))(x),
          [[1, 0, 0], [0, 1, 1]], dtype=False)
    values = np.array([3.0, 2.0], "float32")        # the values themselves are unchanged
    check(mb.max(x, axis=1), values)
    with mb.record():
        check(mb.max(x, axis=1), values)


AXIS_OPS = {   # op: (call with axis a on a (2, 3) tensor x, numpy's call, the axes it accepts)
    "sum": (lambda x, a: mb.sum(x, axis=a), lambda x, a: np.sum(x, axis=a), 2),
    "max": (lambda x, a: mb.max(x, axis=a), lambda x, a: np.max(x, axis=a), 2),
    "var": (lambda x, a: mb.var(x, axis=a), lambda x, a: np.var(x, axis=a), 2),
    "argmax": (lambda x, a: mb.argmax(x, axis=a), lambda x, a: np.argmax(x, axis=a), 2),
    "argmin": (lambda x, a: mb.argmin(x, axis=a), lambda x, a: np.argmin(x, axis=a), 2),
    "cumsum": (lambda x, a: mb.cumsum(x, axis=a), lambda x, a: np.cumsum(x, axis=a), 2),
    "logsumexp": (lambda x, a: mb.logsumexp(x, axis=a),
                  lambda x, a: np.log(np.sum(np.exp(x), axis=a)), 2),
    "softmax": (lambda x, a: mb.softmax(x, axis=a),
                lambda x, a: np.exp(x) / np.sum(np.exp(x), axis=a, keepdims=True), 2),
    "log_softmax": (lambda x, a: mb.log_softmax(x, axis=a),
                    lambda x, a: x - np.log(np.sum(np.exp(x), axis=a, keepdims=True)), 2),
    "take": (lambda x, a: mb.take(x, mb.array([1, 0]), axis=a),
             lambda x, a: np.take(x, [1, 0], axis=a), 2),
    "split": (lambda x, a: mb.concat(mb.split(x, 1, axis=a), axis=a),
              lambda x, a: np.concatenate(np.split(x, 1, axis=a), axis=a), 2),
    "concat": (lambda x, a: mb.concat([x, x], axis=a), lambda x, a: np.concatenate([x, x], a), 2),
    "stack": (lambda x, a: mb.stack([x, x], axis=a), lambda x, a: np.stack([x, x], a), 3),
    "expand_dims": (lambda x, a: mb.expand_dims(x, a), lambda x, a: np.expand_dims(x, a), 3),
    "repeat": (lambda x, a: mb.repeat(x, 2, axis=a), lambda x, a: np.repeat(x, 2, axis=a), 2),
    "swapaxes": (lambda x, a: mb.swapaxes(x, a, 0), lambda x, a: np.swapaxes(x, a, 0), 2),
    "flatten": (lambda x, a: mb.flatten(x, a),
                lambda x, a: x.reshape(x.shape[:a % 2] + (-1,)), 2),
}


@pytest.mark.parametrize("op", sorted(AXIS_OPS))
def test_axes_are_numpys_and_out_of_range_is_an_error_naming_the_op(backend, op):
    # numpy's rule: an axis in -n <= a < n (n the axes of the result, for an op that adds
    # one), negatives counted from the end; outside it AxisError, never a wrapped-around axis
    ours, theirs, n = AXIS_OPS[op]
    x0 = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -2.5]], dtype=np.float32)
    x = mb.array(x0)
    for a in range(-n, n):
        np.testing.assert_allclose(mb.to_numpy(ours(x, a)), theirs(x0, a), rtol=1e-5,
                                   atol=1e-6, err_msg=f"{op}, axis {a}")   # float32 rounding
    for a in (n, -n - 1, n + 3):
        with pytest.raises(np.exceptions.AxisError, match=f"{op}: axis {a} is out of range") as err:
            ours(x, a)
        assert isinstance(err.value, ValueError) and isinstance(err.value, IndexError)


MIXED = {   # an int64 tensor i with a float: mlbook's functions compute in float32 everywhere
    "maximum(i, 1.5)": (lambda i, f: mb.maximum(i, 1.5), lambda i, f: np.maximum(i, 1.5)),
    "minimum(1.5, i)": (lambda i, f: mb.minimum(1.5, i), lambda i, f: np.minimum(1.5, i)),
    "maximum(i, f)": (lambda i, f: mb.maximum(i, f), lambda i, f: np.maximum(i, f)),
    "power(i, 0.5)": (lambda i, f: mb.power(i, 0.5), lambda i, f: np.power(i, 0.5)),
    "clip(i, 0.5, 2.5)": (lambda i, f: mb.clip(i, 0.5, 2.5), lambda i, f: np.clip(i, 0.5, 2.5)),
    "clip(i, None, 1.5)": (lambda i, f: mb.clip(i, None, 1.5), lambda i, f: np.clip(i, None, 1.5)),
    "where(c, i, 0.5)": (lambda i, f: mb.where(mb.array([True, False, True]), i, 0.5),
                         lambda i, f: np.where([True, False, True], i, 0.5)),
    "where(c, i, f)": (lambda i, f: mb.where(mb.array([True, False, True]), i, f),
                       lambda i, f: np.where([True, False, True], i, f)),
    "concat([i, f])": (lambda i, f: mb.concat([i, f]), lambda i, f: np.concatenate([i, f])),
}


@pytest.mark.parametrize("case", sorted(MIXED))
def test_int_and_float_mix_in_float32_with_numpys_values(backend, case):
    ours, theirs = MIXED[case]
    i0, f0 = np.array([1, 2, 3]), np.array([0.5, 1.5, 2.5], dtype=np.float32)
    out = ours(mb.array(i0), mb.array(f0))
    assert mb.dtype(out) == "float32"
    np.testing.assert_allclose(mb.to_numpy(out), theirs(i0, f0), rtol=1e-6)


SPECIAL_ROWS = [[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf],
                [np.inf, 0.0, 1.0], [np.nan, 1.0, 2.0], [-1e30, 1e30, 0.0]]


def _softmax_family_reference(row: np.ndarray, name: str):
    """The convention, in float64: a row with NaN is NaN; with +inf (and no NaN), logsumexp
    is +inf (SciPy, PyTorch, TensorFlow, JAX) and softmax and log_softmax are NaN (inf/inf);
    all -inf, logsumexp is -inf and the others NaN (0/0); else the max-shifted formulas,
    where a -inf entry (a masked one) has probability 0 and log-probability -inf."""
    row = row.astype(np.float64)
    if np.isnan(row).any() or (np.isposinf(row).any() and name != "logsumexp"):
        return np.full(row.shape if name != "logsumexp" else (), np.nan)
    if np.isposinf(row).any():
        return np.inf
    if np.isneginf(row).all():
        return -np.inf if name == "logsumexp" else np.full(row.shape, np.nan)
    m = row.max()
    with np.errstate(divide="ignore"):
        lse = m + np.log(np.sum(np.exp(row - m)))
    return {"logsumexp": lse, "log_softmax": row - lse, "softmax": np.exp(row - lse)}[name]


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_is_stable_with_inf_and_nan_as_the_frameworks(backend, name):
    # huge logits, -inf (a masked entry), all -inf, +inf and NaN, row by row
    x0 = np.array(SPECIAL_ROWS, dtype=np.float32)
    ref = np.array([_softmax_family_reference(row, name) for row in x0])
    out = mb.to_numpy(getattr(mb, name)(mb.array(x0), axis=1))
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=0)      # NaN exactly where NaN


def test_show_prints_values_shape_and_dtype_as_numpy_does(backend, capsys):
    cases = [np.arange(6).reshape(2, 3), np.array([0.5, 1 / 3, -2e-9], "float32"),
             np.array(3.0, "float32"), np.array([True, False]),
             np.linspace(0, 1, 2000, dtype="float32"), np.zeros((0, 2), "float32")]
    with np.printoptions(precision=2, threshold=5):      # a reader's settings change nothing
        for a in cases:
            mb.show(mb.array(a))
            body = np.array2string(a, separator=", ", prefix="tensor(", precision=8,
                                   threshold=1000, floatmode="maxprec")
            assert capsys.readouterr().out == \
                f"tensor({body}, shape={a.shape}, dtype={a.dtype.name})\n"
    mb.show(mb.array([-1e-9, 0.12345, 2.0]), decimals=3)      # rounded, and no "-0."
    assert capsys.readouterr().out == "tensor([0.   , 0.123, 2.   ], shape=(3,), dtype=float32)\n"
    mb.show({"w": mb.ones(2), "b": (mb.zeros(()),)})
    assert capsys.readouterr().out == (
        "{'w': tensor([1., 1.], shape=(2,), dtype=float32),\n"
        " 'b': (tensor(0., shape=(), dtype=float32),)}\n")
