"""Gradients: every differentiable function against central finite differences (float64, on
every backend), the backends against each other, and the autograd API itself.

Tolerances: finite differences with eps = 1e-6 in float64 have truncation error ~eps² and
round-off ~1e-16/eps ≈ 1e-10 times the function's magnitude, so rtol = atol = 1e-6 is loose
enough for float64 and tight enough to catch any wrong rule.  Backends against each other:
rtol = atol = 1e-9 (float64; only summation order differs).
"""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from mlbook.nn.functional import conv_transpose2d
from helpers import check, conv_transpose_ref, numerical_grad

rng = np.random.default_rng(7)
F = rng.normal(size=(3, 4))
P = rng.uniform(0.5, 2.0, size=(3, 4))
V = rng.normal(size=(4,))
W = rng.normal(size=(4,))
B3 = rng.normal(size=(2, 3, 4))
C = rng.normal(size=(4, 5))
M = np.array([[True, False, True, False], [False, False, True, True],
              [True, True, False, False]])
IDX = np.array([2, 0, 2, 3])

CONV_X = np.random.default_rng(5).normal(size=(2, 2, 3, 3))
CONV_W = np.random.default_rng(6).normal(size=(2, 3, 3, 2))

# (id, mlbook function, numpy reference, float64 inputs, argnums to differentiate)
GRAD_CASES = [
    ("exp", mb.exp, np.exp, [F], (0,)),
    ("log", mb.log, np.log, [P], (0,)),
    ("log1p", mb.log1p, np.log1p, [P], (0,)),
    ("sqrt", mb.sqrt, np.sqrt, [P], (0,)),
    ("abs", mb.abs, np.abs, [F], (0,)),
    ("sin", mb.sin, np.sin, [F], (0,)),
    ("cos", mb.cos, np.cos, [F], (0,)),
    ("tanh", mb.tanh, np.tanh, [F], (0,)),
    ("sigmoid", mb.sigmoid, lambda x: 1 / (1 + np.exp(-x)), [F], (0,)),
    ("relu", mb.relu, lambda x: np.maximum(x, 0), [F], (0,)),
    ("sign", mb.sign, np.sign, [F], (0,)),
    ("floor", mb.floor, np.floor, [F + 0.3], (0,)),
    ("round", mb.round, np.round, [F + 0.3], (0,)),
    ("maximum", mb.maximum, np.maximum, [F, P - 1], (0, 1)),
    ("minimum", mb.minimum, np.minimum, [F, V], (0, 1)),
    ("power", mb.power, np.power, [P, F], (0, 1)),
    ("power_scalar", lambda x: mb.power(x, 3), lambda x: x ** 3, [F], (0,)),
    ("clip", lambda x: mb.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), [F], (0,)),
    ("where", lambda x, y: mb.where(mb.array(M), x, y), lambda x, y: np.where(M, x, y),
     [F, P], (0, 1)),
    ("operators", lambda x, y: mb.sum((x * y - x / y) ** 2, axis=1) + mb.sum(x @ mb.T(y), 1),
     lambda x, y: np.sum((x * y - x / y) ** 2, axis=1) + np.sum(x @ y.T, 1), [F, P], (0, 1)),
    ("sum", lambda x: mb.sum(x, axis=(0, 2)), lambda x: np.sum(x, axis=(0, 2)), [B3], (0,)),
    ("mean", lambda x: mb.mean(x, axis=1, keepdims=True),
     lambda x: np.mean(x, axis=1, keepdims=True), [F], (0,)),
    ("max", lambda x: mb.max(x, axis=1), lambda x: np.max(x, axis=1), [F], (0,)),
    ("min", mb.min, np.min, [F], (0,)),
    ("prod", lambda x: mb.prod(x, axis=0), lambda x: np.prod(x, axis=0), [P], (0,)),
    ("var", lambda x: mb.var(x, axis=1), lambda x: np.var(x, axis=1), [F], (0,)),
    ("std", lambda x: mb.std(x, ddof=1), lambda x: np.std(x, ddof=1), [F], (0,)),
    ("cumsum", lambda x: mb.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1), [F], (0,)),
    ("logsumexp", lambda x: mb.logsumexp(x, axis=1),
     lambda x: np.log(np.sum(np.exp(x), axis=1)), [F], (0,)),
    ("softmax", mb.softmax, lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True), [F], (0,)),
    ("log_softmax", lambda x: mb.log_softmax(x, axis=0),
     lambda x: x - np.log(np.exp(x).sum(0, keepdims=True)), [F], (0,)),
    ("matmul", mb.matmul, np.matmul, [F, C], (0, 1)),
    ("matmul_batched", mb.matmul, np.matmul, [B3, C], (0, 1)),
    ("dot", mb.dot, np.dot, [V, W], (0, 1)),
    ("dot_nd", mb.dot, np.dot, [B3, C], (0, 1)),
    ("mv", mb.mv, np.dot, [F, V], (0, 1)),
    ("outer", mb.outer, np.outer, [V, W], (0, 1)),
    ("tensordot", lambda a, b: mb.tensordot(a, b, ([2], [0])),
     lambda a, b: np.tensordot(a, b, ([2], [0])), [B3, C], (0, 1)),
    ("einsum", lambda a, b: mb.einsum("bij,jk->bik", a, b),
     lambda a, b: np.einsum("bij,jk->bik", a, b), [B3, C], (0, 1)),
    ("norm_l2", mb.norm, np.linalg.norm, [F], (0,)),
    ("norm_l1_axis", lambda x: mb.norm(x, 1, axis=0), lambda x: np.abs(x).sum(0), [F], (0,)),
    ("reshape", lambda x: mb.reshape(x, (4, -1)), lambda x: x.reshape(4, -1), [F], (0,)),
    ("transpose", lambda x: mb.transpose(x, (2, 0, 1)), lambda x: x.transpose(2, 0, 1), [B3],
     (0,)),
    ("swapaxes", lambda x: mb.swapaxes(x, 0, 1), lambda x: np.swapaxes(x, 0, 1), [B3], (0,)),
    ("expand_squeeze", lambda x: mb.squeeze(mb.expand_dims(x, 1), 1), lambda x: x, [F], (0,)),
    ("flatten", lambda x: mb.flatten(x, 1), lambda x: x.reshape(2, -1), [B3], (0,)),
    ("concat", lambda a, b: mb.concat([a, b], axis=1), lambda a, b: np.concatenate([a, b], 1),
     [F, P], (0, 1)),
    ("stack", lambda a, b: mb.stack([a, b]), lambda a, b: np.stack([a, b]), [F, P], (0, 1)),
    ("split", lambda x: mb.concat(mb.split(x, [1, 3], axis=1)[::-1], axis=1),
     lambda x: np.concatenate(np.split(x, [1, 3], axis=1)[::-1], axis=1), [F], (0,)),
    ("tile", lambda x: mb.tile(x, (2, 3)), lambda x: np.tile(x, (2, 3)), [F], (0,)),
    ("repeat", lambda x: mb.repeat(x, 2, axis=0), lambda x: np.repeat(x, 2, axis=0), [F], (0,)),
    ("broadcast_to", lambda x: mb.broadcast_to(x, (3, 4)),
     lambda x: np.broadcast_to(x, (3, 4)), [V], (0,)),
    ("pad", lambda x: mb.pad(x, ((1, 2), (0, 1)), value=0.5),
     lambda x: np.pad(x, ((1, 2), (0, 1)), constant_values=0.5), [F], (0,)),
    ("take_repeated", lambda x: mb.take(x, IDX, axis=1), lambda x: np.take(x, IDX, axis=1),
     [F], (0,)),
    ("take_along_axis", lambda x: mb.take_along_axis(x, IDX[:3, None], 1),
     lambda x: np.take_along_axis(x, IDX[:3, None], 1), [F], (0,)),
    ("boolean_mask", lambda x: mb.boolean_mask(x, M), lambda x: x[M], [F], (0,)),
    ("index_update", lambda x, v: mb.index_update(x, (slice(None), 1), v),
     lambda x, v: np.concatenate([x[:, :1], np.broadcast_to(v, (3,))[:, None], x[:, 2:]], 1),
     [F, V[:1]], (0, 1)),
    ("conv_transpose2d", lambda x, w: conv_transpose2d(x, w, None, (2, 1), (1, 0)),
     lambda x, w: conv_transpose_ref(x, w, (2, 1), (1, 0)), [CONV_X, CONV_W], (0, 1)),
]


def _weights(out_shape):
    return np.random.default_rng(sum(out_shape) + 1).normal(size=out_shape)


def _backend_grads(fn, ref, inputs, argnums):
    R = _weights(np.shape(ref(*inputs)))
    objective = mb.grad(lambda *a: mb.sum(fn(*a) * mb.array(R)), argnums=argnums)
    return [mb.to_numpy(g) for g in objective(*[mb.array(a) for a in inputs])], R


@pytest.mark.parametrize("name, fn, ref, inputs, argnums", GRAD_CASES,
                         ids=[c[0] for c in GRAD_CASES])
def test_grad_matches_finite_differences(backend, name, fn, ref, inputs, argnums):
    grads, R = _backend_grads(fn, ref, inputs, argnums)
    for g, n in zip(grads, argnums):
        expected = numerical_grad(lambda *a: float(np.sum(ref(*a) * R)), list(inputs), n)
        assert g.dtype == np.float64, f"gradient dtype {g.dtype}, expected float64"
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-6,
                                   err_msg=f"d/d(arg {n}) of {name} on {backend}")


def test_grads_agree_across_backends(all_backends):
    for name, fn, ref, inputs, argnums in GRAD_CASES:
        results = {}
        for b in all_backends:
            mb.set_backend(b)
            results[b] = _backend_grads(fn, ref, inputs, argnums)[0]
        first = all_backends[0]
        for b in all_backends[1:]:
            for g0, g in zip(results[first], results[b]):
                np.testing.assert_allclose(g, g0, rtol=1e-9, atol=1e-9,
                                           err_msg=f"{name}: {b} vs {first}")


def test_float32_gradients_keep_float32(backend):
    x = mb.array(F.astype("float32"))
    g = mb.grad(lambda x: mb.sum(mb.where(x > 0, x, 0.0) * mb.exp(x)))(x)
    assert mb.dtype(g) == "float32"
    expected = np.where(F > 0, np.exp(F) * (1 + F), 0).astype("float32")
    check(g, expected, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- required examples
def test_gradient_of_2_xT_x_is_4x(backend):
    x = mb.reshape(mb.arange(4.0), (4, 1))
    g = mb.grad(lambda x: 2 * mb.matmul(mb.T(x), x))(x)
    check(g, 4 * np.arange(4.0, dtype="float32").reshape(4, 1))
    with mb.record() as tape:
        xw = tape.watch(x)
        y = 2 * mb.matmul(mb.T(xw), xw)
    check(tape.gradient(y, xw), 4 * np.arange(4.0, dtype="float32").reshape(4, 1))


def control_flow(a):
    b = a * 2
    while mb.norm(b) < 1000:
        b = b * 2
    if mb.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


SEEDS = [0, 3, 4, 8]            # mb.normal gives a > 0 for seeds 0 and 3, a < 0 for 4 and 8


@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_through_python_control_flow(backend, seed):
    mb.seed(seed)
    a = mb.normal(0, 1, ())
    d = control_flow(a)
    g = mb.grad(control_flow)(a)
    check(g, mb.to_numpy(d) / mb.to_numpy(a))
    with mb.record() as tape:
        aw = tape.watch(a)
        dw = control_flow(aw)
    check(tape.gradient(dw, aw), mb.to_numpy(d) / mb.to_numpy(a))


def test_both_branches_are_exercised():
    signs = set()
    for seed in SEEDS:
        mb.seed(seed)
        signs.add(np.sign(mb.to_numpy(mb.normal(0, 1, ()))))
    assert signs == {-1.0, 1.0}


def test_broadcasting_example(backend):
    A = mb.reshape(mb.arange(3), (3, 1))
    B = mb.reshape(mb.arange(2), (1, 2))
    check(A + B, np.array([[0, 1], [1, 2], [2, 3]]))


def test_sum_over_axes_example(backend):
    x = mb.ones((2, 3, 4, 5))
    assert mb.shape(mb.sum(x, axis=(1, 3))) == (2, 4)
    assert mb.shape(mb.sum(x, axis=(1, 3), keepdims=True)) == (2, 1, 4, 1)
    check(mb.sum(x, axis=(1, 3)), np.full((2, 4), 15.0, dtype="float32"))


# --------------------------------------------------------------------------- the API
def test_value_and_grad_over_list_and_dict(backend):
    params = {"w": mb.array(V), "b": [mb.array(2.0, dtype="float64"), mb.array(W)]}

    def loss(p, x):
        return mb.sum((p["w"] * x + p["b"][0]) ** 2) + mb.sum(p["b"][1] * x)

    value, g = mb.value_and_grad(loss)(params, mb.array(W))
    expected = np.sum((V * W + 2.0) ** 2) + np.sum(W * W)
    check(value, np.float64(expected))
    assert set(g) == {"w", "b"} and isinstance(g["b"], list) and len(g["b"]) == 2
    check(g["w"], 2 * (V * W + 2.0) * W)
    check(g["b"][0], np.float64(np.sum(2 * (V * W + 2.0))))
    check(g["b"][1], W)


def test_argnums_tuple_and_has_aux(backend):
    def f(x, y):
        z = x * y
        return mb.sum(z), {"z": z}

    (value, aux), (gx, gy) = mb.value_and_grad(f, argnums=(0, 1), has_aux=True)(
        mb.array(V), mb.array(W))
    check(value, np.float64(np.sum(V * W)))
    check(aux["z"], V * W)
    check(gx, W)
    check(gy, V)
    g, aux = mb.grad(f, argnums=1, has_aux=True)(mb.array(V), mb.array(W))
    check(g, V)
    check(aux["z"], V * W)


def test_unused_argument_gets_zero_gradient(backend):
    gx, gy = mb.grad(lambda x, y: mb.sum(x * x), argnums=(0, 1))(mb.array(V), mb.array(W))
    check(gx, 2 * V)
    check(gy, np.zeros_like(W))


def test_grad_needs_scalar_output(backend):
    with pytest.raises(ValueError, match="scalar output.*shape \\(4,\\)"):
        mb.grad(lambda x: x * 2)(mb.array(V))


def test_tape_sums_non_scalar_targets(backend):
    x = mb.arange(4.0)
    with mb.record() as tape:
        x = tape.watch(x)
        y = x * x
    check(tape.gradient(y, x), 2 * np.arange(4.0, dtype="float32"))


def test_persistent_tape_answers_several_gradients(backend):
    # two targets recorded once: y = x^3 and z = sum(sin x), as TensorFlow's persistent tape
    x0 = np.array([0.5, -1.0, 2.0], dtype="float32")
    with mb.record(persistent=True) as tape:
        x = tape.watch(mb.array(x0))
        y = x * x * x
        z = mb.sum(mb.sin(x))
    check(tape.gradient(y, x), 3 * x0 ** 2)
    check(tape.gradient(z, x), np.cos(x0), rtol=1e-6)
    check(tape.gradient(y, x), 3 * x0 ** 2)            # the same target again
    assert tape.persistent


def test_tape_answers_one_gradient_unless_persistent(backend):
    with mb.record() as tape:
        x = tape.watch(mb.array([1.0, 2.0]))
        y = mb.sum(x * x)
    check(tape.gradient(y, x), np.array([2.0, 4.0], dtype="float32"))
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, x)


def test_output_gradient_gives_the_vector_jacobian_product(backend):
    # y = A x, so v^T dy/dx = A^T v; and y = x * x elementwise gives 2 v x
    A = np.arange(6, dtype="float32").reshape(2, 3) - 2
    v = np.array([0.5, -3.0], dtype="float32")
    x0 = np.array([1.0, -2.0, 4.0], dtype="float32")
    with mb.record(persistent=True) as tape:
        x = tape.watch(mb.array(x0))
        y = mb.matmul(mb.array(A), x)
        w = x * x
    check(tape.gradient(y, x, output_gradient=mb.array(v)), A.T @ v)
    check(tape.gradient(w, x, output_gradient=mb.array(x0)), 2 * x0 * x0)
    check(tape.gradient(y, x, output_gradient=mb.ones(2)), A.sum(0))     # the default: a sum
    with pytest.raises(ValueError, match=r"output_gradient has shape \(3,\).*\(2,\)"):
        tape.gradient(y, x, output_gradient=mb.ones(3))


def test_tape_several_sources_and_structure(backend):
    with mb.record() as tape:
        a = tape.watch(mb.array([1.0, 2.0]))
        b = tape.watch(mb.array(3.0))
        y = mb.sum(a * a) * b
    grads = tape.gradient(y, {"a": a, "b": b})
    check(grads["a"], np.array([6.0, 12.0], dtype="float32"))
    check(grads["b"], np.float32(5.0))


def test_stop_gradient_detaches(backend):
    x = mb.arange(4.0)
    with mb.record() as tape:
        x = tape.watch(x)
        y = x * x
        u = mb.stop_gradient(y)
        z = u * x
    check(tape.gradient(z, x), mb.to_numpy(u))
    g = mb.grad(lambda x: mb.sum(mb.stop_gradient(x * x) * x))(mb.arange(4.0))
    check(g, np.arange(4.0, dtype="float32") ** 2)


def test_train_mode_flags(backend):
    assert not mb.is_training()
    with mb.record():
        assert mb.is_training()
    with mb.record(train_mode=False):
        assert not mb.is_training()
    with mb.train_mode():
        assert mb.is_training()
        with mb.predict_mode():
            assert not mb.is_training()
        assert mb.is_training()
    assert not mb.is_training()


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")
def test_python_numbers_of_a_value_being_differentiated(backend):
    """``float(x)``, ``int(x)`` and ``bool(x)`` read the value of a tensor being differentiated
    on every backend (they raised on the numpy backend, whose tensors are autograd boxes there,
    and ``float`` on JAX's tracers)."""
    def f(a):
        total = mb.sum(a)
        if float(total) > 0 and int(total) == 3 and bool(total > 2):
            return mb.sum(a * 2)
        return mb.sum(a)

    check(mb.grad(f)(mb.ones(3)), np.full(3, 2.0, dtype="float32"))
    check(mb.grad(f)(-mb.ones(3)), np.full(3, 1.0, dtype="float32"))
    with mb.record() as tape:
        a = tape.watch(mb.ones(3))
        y = f(a)
        assert float(mb.sum(a)) == 3.0 and int(mb.sum(a)) == 3 and bool(mb.sum(a) > 2)
    check(tape.gradient(y, a), np.full(3, 2.0, dtype="float32"))


def test_tape_records_operators_indexing_and_several_outputs(backend):
    """The tape sees operators with a tensor or a Python number on either side, indexing, and
    operations with several outputs (split)."""
    with mb.record() as tape:
        x = tape.watch(mb.array([1.0, 2.0, 3.0, 4.0]))
        first, second = mb.split(x, 2)
        y = mb.sum(2.0 / first) + mb.sum(second ** 2) - x[0] * 3 + mb.sum(1 - x[1:3])
    expected = np.array([-2.0 / 1 - 3 - 0, -2.0 / 4 - 1, 2 * 3.0 - 1, 2 * 4.0],
                        dtype="float32")
    check(tape.gradient(y, x), expected)


def test_an_auxiliary_output_carries_no_gradient_history(backend):
    # f returns aux = 2 w alongside its value.  Used later in g(w) = sum(aux * w), aux must be
    # a constant (2 w0), so dg/dw = 2 w0; with the history of f attached it would be 4 w0.
    # The same for a second call of the same gradient function (an RNN's state fed back).
    w0 = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    w = mb.array(w0)
    (_, aux), _ = mb.value_and_grad(lambda v: (mb.sum(v * v), v * 2.0), has_aux=True)(w)
    np.testing.assert_array_equal(mb.to_numpy(aux), 2 * w0)
    g = mb.grad(lambda v: mb.sum(aux * v))(w)
    np.testing.assert_array_equal(mb.to_numpy(g), 2 * w0)
    step = mb.value_and_grad(lambda v, s: (mb.sum(v * s), v * s), has_aux=True)
    (_, state), _ = step(w, mb.ones(3))
    (_, _), g2 = step(w, state)                    # state = w0 as a constant: d/dv = w0
    np.testing.assert_array_equal(mb.to_numpy(g2), w0)
