"""Exactly compiled training steps (mlbook.compiled): where the backend compiles them
(TensorFlow), compiled gradients, losses and running statistics equal the eager ones bit for
bit; everywhere the wrapper returns what the function returns; random draws, untraceable
functions and MLBOOK_COMPILE=0 keep to the eager function."""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from mlbook import compiled, config, losses, nn, ops, optim, train
from mlbook.autograd import value_and_grad

COMPILING = {"tensorflow"}           # backends whose compiled graphs compute the eager numbers


def batches(n=4, shape=(8, 6), classes=3):
    rng = np.random.default_rng(0)
    return [(mb.array(rng.normal(size=shape).astype(np.float32)),
             mb.array(rng.integers(0, classes, shape[0]))) for _ in range(n)]


def gradients(net, n=4):
    """Loss, gradients and buffers of ``n`` steps (no update), wrapped and (twice) plain."""
    obj = value_and_grad(lambda p, X, y: losses.cross_entropy(net.functional_call(p, X), y))
    params = net.parameter_dict()
    start = net.state_dict()                  # both runs start from the same running statistics
    out = {}
    for name, fn in (("wrapped", compiled.exact_compile(obj, net)), ("eager", obj)):
        net.load_state_dict(start)
        mb.seed(3)
        steps, flags = [], []
        for X, y in batches(n):
            with config.train_mode():
                loss, grads = fn(params, X, y)
            flags.append(getattr(fn, "compiled", False))
            steps.append((mb.to_numpy(loss), {k: mb.to_numpy(g) for k, g in grads.items()},
                          {k: mb.to_numpy(v) for k, v in net.named_buffers()}))
        out[name] = steps, flags
    return out


def assert_same(out):
    for (la, ga, ba), (lb, gb, bb) in zip(out["wrapped"][0], out["eager"][0]):
        np.testing.assert_array_equal(la, lb)
        assert ga.keys() == gb.keys() and ba.keys() == bb.keys()
        for k in ga:
            np.testing.assert_array_equal(ga[k], gb[k])
        for k in ba:
            np.testing.assert_array_equal(ba[k], bb[k])


def test_mlp_with_batch_norm_and_embedding_bit_for_bit(backend):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(5, 6)
            self.body = nn.Sequential(nn.Linear(6, 7), nn.BatchNorm(7), nn.ReLU(), nn.Linear(7, 3))

        def forward(self, X):
            idx = mb.astype(mb.abs(X[:, :2] * 3), "int64") % 5 - 5      # negative indices
            return self.body(X + mb.sum(self.emb(idx), axis=1))

    mb.seed(0)
    net = Net()
    net(batches(1)[0][0])
    out = gradients(net)
    assert_same(out)
    assert out["wrapped"][1] == [False] + [backend in COMPILING] * 3   # the first call is eager


def test_gru_language_model_bit_for_bit(backend):
    mb.seed(0)
    net = nn.RNNModel(nn.GRU(5, 8, num_layers=2), 5)
    obj = value_and_grad(lambda p, X, Y, s: losses.cross_entropy(
        *(lambda r: (r[0], ops.reshape(ops.T(Y), (-1,))))(net.functional_call(p, X, s))),
        has_aux=False)
    fn = compiled.exact_compile(obj, net)
    rng = np.random.default_rng(0)
    params = net.parameter_dict()
    for step in range(3):
        X = mb.array(rng.integers(0, 5, (4, 6)))
        Y = mb.array(rng.integers(0, 5, (4, 6)))
        state = net.begin_state(4)
        a_loss, a = fn(params, X, Y, state)
        assert fn.compiled == (step > 0 and backend in COMPILING)
        b_loss, b = obj(params, X, Y, state)
        np.testing.assert_array_equal(mb.to_numpy(a_loss), mb.to_numpy(b_loss))
        for k in a:
            np.testing.assert_array_equal(mb.to_numpy(a[k]), mb.to_numpy(b[k]))


def test_loop_over_time_steps_bit_for_bit(backend):
    # a from-scratch RNN iterates over its input's first axis (``for X in inputs``), which
    # TensorFlow refuses in a graph outside AutoGraph; the compiled step slices as eagerly
    mb.seed(0)
    W_xh, W_hh = mb.normal(0, 0.5, (3, 4)), mb.normal(0, 0.5, (4, 4))

    def loss(params, inputs):
        H, outputs = mb.zeros((2, 4)), []
        for X in inputs:
            H = mb.tanh(mb.matmul(X, params["W_xh"]) + mb.matmul(H, params["W_hh"]))
            outputs.append(H)
        return mb.sum(mb.stack(outputs) ** 2)

    obj = value_and_grad(loss)
    fn = compiled.exact_compile(obj)
    params = {"W_xh": W_xh, "W_hh": W_hh}
    rng = np.random.default_rng(1)
    for step in range(3):
        inputs = mb.array(rng.normal(size=(5, 2, 3)).astype(np.float32))
        a_loss, a = fn(params, inputs)
        assert fn.compiled == (step > 0 and backend in COMPILING)
        b_loss, b = obj(params, inputs)
        np.testing.assert_array_equal(mb.to_numpy(a_loss), mb.to_numpy(b_loss))
        for k in a:
            np.testing.assert_array_equal(mb.to_numpy(a[k]), mb.to_numpy(b[k]))
    if backend == "tensorflow":                      # the patch held only while tracing
        import tensorflow as tf
        graph_only = tf.function(lambda x: [v for v in x], autograph=False)
        with pytest.raises(Exception, match="Iterating over a symbolic"):
            graph_only(tf.zeros((2, 3)))


def test_dropout_compiles_with_the_masks_eager_execution_draws(backend):
    mb.seed(0)
    net = nn.Sequential(nn.Linear(6, 7), nn.Dropout(0.5), nn.Linear(7, 5), nn.Dropout(0.2),
                        nn.Linear(5, 3))
    out = gradients(net, n=5)
    assert_same(out)                          # same seed, same masks, same numbers
    assert out["wrapped"][1] == [False] + [backend in COMPILING] * 4


def test_dropout_with_a_new_shape_draws_eagerly_once(backend, caplog):
    # the last, smaller batch: its first step runs eagerly and records its masks, the next
    # step of that shape is compiled with them; the generator ends where eager leaves it
    mb.seed(0)
    net = nn.Sequential(nn.Linear(6, 7), nn.Dropout(0.5), nn.Linear(7, 3))
    obj = value_and_grad(lambda p, X, y: losses.cross_entropy(net.functional_call(p, X), y))
    fn = compiled.exact_compile(obj, net)
    data = batches(2) + batches(2, shape=(3, 6)) + batches(1)
    results, flags, states = {}, [], {}
    caplog.set_level("DEBUG", logger="mlbook.compiled")
    for name, f in (("wrapped", fn), ("eager", obj)):
        mb.seed(5)
        results[name] = []
        for X, y in data:
            with config.train_mode():
                loss, grads = f(net.parameter_dict(), X, y)
            results[name].append(mb.to_numpy(loss))
            if name == "wrapped":
                flags.append(fn.compiled)
        states[name] = config.generator().bit_generator.state
    np.testing.assert_array_equal(results["wrapped"], results["eager"])
    assert states["wrapped"] == states["eager"]
    assert fn.reason is None
    compiling = backend in COMPILING
    assert flags == [False, compiling, False, compiling, compiling]
    new_shapes = [r.getMessage() for r in caplog.records if "new shapes" in r.getMessage()]
    assert len(new_shapes) == compiling and (not compiling or "(3, 6)" in new_shapes[0])


def test_the_reason_to_run_eagerly_is_logged_once(backend, caplog):
    mb.seed(0)
    net = nn.Sequential(nn.Linear(6, 7), nn.Linear(7, 3))

    def noisy(p, X, y):                       # noise drawn in the step: no graph can hold it
        return losses.cross_entropy(net.functional_call(p, X + mb.normal(0, 0.1, (8, 6))), y)

    obj = value_and_grad(noisy)
    fn = compiled.exact_compile(obj, net)
    with caplog.at_level("INFO", logger="mlbook.compiled"):
        for X, y in batches(3):
            with config.train_mode():
                fn(net.parameter_dict(), X, y)
    records = [r.getMessage() for r in caplog.records if r.name == "mlbook.compiled"]
    if backend in COMPILING:
        assert fn.reason is not None and "random numbers" in fn.reason
        assert len(records) == 1 and "random numbers" in records[0]
    else:                                     # nothing compiles, so there is nothing to say
        assert fn.reason is None and records == []


def test_untraceable_function_runs_eagerly(backend):
    w = ops.make_parameter(mb.array([1.0, 2.0]))

    def f(x):
        scale = float(mb.item(mb.sum(x)))    # a Python number: no graph can hold it
        return mb.sum(w * x) * scale

    fn = compiled.exact_compile(f)
    for x in ([1.0, 1.0], [2.0, 3.0], [0.5, 0.0]):
        assert mb.item(fn(mb.array(x))) == pytest.approx((x[0] + 2 * x[1]) * sum(x))
        assert not fn.compiled
    assert (fn.reason is not None and "cannot be traced" in fn.reason) == (backend in COMPILING)


def test_trainer_trains_as_eagerly(monkeypatch, backend):
    results = []
    for setting in ("1", "0"):
        monkeypatch.setenv(compiled.COMPILE_ENV, setting)
        mb.seed(0)
        net = nn.Sequential(nn.Linear(6, 7), nn.BatchNorm(7), nn.ReLU(), nn.Linear(7, 3))
        trainer = train.Trainer(net, losses.cross_entropy,
                                optim.SGD(net, lr=0.1, momentum=0.9), clip=1.0)
        for X, y in batches(5):
            trainer.step(X, y)
        assert trainer._exact_grad.compiled == (setting == "1" and backend in COMPILING)
        results.append({k: mb.to_numpy(v) for k, v in net.state_dict().items()})
    for k in results[0]:
        np.testing.assert_array_equal(results[0][k], results[1][k])


def test_compile_switch(monkeypatch, backend):
    monkeypatch.setenv(compiled.COMPILE_ENV, "0")
    fn = compiled.exact_compile(lambda x: x * 2)
    for _ in range(3):
        assert mb.to_numpy(fn(mb.array([1.0]))).tolist() == [2.0] and not fn.compiled
    monkeypatch.setenv(compiled.COMPILE_ENV, "yes")
    with pytest.raises(ValueError, match="MLBOOK_COMPILE='yes': use 1"):
        compiled.exact_compile(lambda x: x)


def test_replace_buffer_refuses_a_parameter():
    net = nn.BatchNorm(3)
    net(mb.ones((2, 3)))
    with pytest.raises(KeyError, match="is a parameter, not a buffer"):
        net.replace_buffer("gamma", mb.ones(3))


def test_attributes_set_while_traced_stay_readable(backend):
    mb.seed(0)
    mha = nn.MultiHeadAttention(8, 2)
    X = mb.normal(0, 1, (2, 3, 8))
    mha(X, X, X)                                   # creates the lazy projections
    fn = compiled.exact_compile(
        value_and_grad(lambda p, X: mb.sum(mha.functional_call(p, X, X, X))), mha)
    params = mha.parameter_dict()
    for step in range(3):
        fn(params, X * (step + 1))
        weights = mb.to_numpy(mha.attention_weights)   # a value, never a graph tensor
        assert weights.shape == (4, 3, 3)
        np.testing.assert_allclose(weights.sum(-1), 1, atol=1e-6)
    assert fn.compiled == (backend in COMPILING)


def test_a_step_follows_the_mode_and_the_dropout_rate_it_is_called_with(backend):
    # a step traced in training mode, then called with the network in eval mode, with p = 0
    # and in training mode again: each call computes (and draws) what the eager call does
    mb.seed(0)
    net = nn.Sequential(nn.Linear(6, 7), nn.Dropout(0.5), nn.Linear(7, 3))
    obj = value_and_grad(lambda p, X, y: losses.cross_entropy(net.functional_call(p, X), y))
    fn = compiled.exact_compile(obj, net)
    data = batches(8)
    settings = ["train", "train", "eval", "eval", "p0", "p0", "train", "train"]
    results = {}
    for name, f in (("wrapped", fn), ("eager", obj)):
        mb.seed(4)
        results[name] = []
        for (X, y), setting in zip(data, settings):
            net[1].p = 0.0 if setting == "p0" else 0.5
            if setting == "eval":
                net.eval()
            with config.train_mode():
                loss, _ = f(net.parameter_dict(), X, y)
            net.train()
            results[name].append(mb.to_numpy(loss))
        results[name].append(config.generator().bit_generator.state["state"]["state"])
    for a, b in zip(results["wrapped"], results["eager"]):
        np.testing.assert_array_equal(a, b)


def test_a_step_inside_another_steps_trace_runs_as_written(backend):
    mb.seed(0)
    net = nn.Sequential(nn.Linear(6, 7), nn.Dropout(0.5), nn.Linear(7, 3))
    inner = compiled.exact_compile(
        value_and_grad(lambda p, X, y: losses.cross_entropy(net.functional_call(p, X), y)), net)
    outer_obj = lambda p, X, y: inner(p, X, y)[0] * 2.0          # noqa: E731
    outer = compiled.exact_compile(outer_obj, net)
    results = {}
    for name, f in (("wrapped", outer), ("eager", outer_obj)):
        mb.seed(2)
        with config.train_mode():
            results[name] = [mb.to_numpy(f(net.parameter_dict(), X, y)) for X, y in batches(4)]
    np.testing.assert_array_equal(results["wrapped"], results["eager"])
