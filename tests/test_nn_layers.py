"""Layers: forward values against numpy references, and forward values AND gradients equal on
every backend for the same weights and inputs.

Tolerances (float32): rtol = 1e-4, atol = 1e-5.  Convolutions, matrix products and recurrent
loops accumulate tens to hundreds of float32 products in an order each framework chooses
(im2col, Winograd, blocked GEMM); 1e-4 relative is ~1000 float32 ulps, far below any real
mistake (a wrong padding or gate moves values by O(1e-1)).
"""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from mlbook import nn
from helpers import check, conv_ref, conv_transpose_ref, pool_ref

RTOL, ATOL = 1e-4, 1e-5


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def gru_ref(x, h, wx, wh, b):
    n = h.shape[1]
    outs = []
    for xt in x:
        xw = xt @ wx + b
        r = sigmoid(xw[:, :n] + h @ wh[:, :n])
        z = sigmoid(xw[:, n:2 * n] + h @ wh[:, n:2 * n])
        cand = np.tanh(xw[:, 2 * n:] + (r * h) @ wh[:, 2 * n:])
        h = z * h + (1 - z) * cand
        outs.append(h)
    return np.stack(outs), h


def lstm_ref(x, h, c, wx, wh, b):
    n = h.shape[1]
    outs = []
    for xt in x:
        g = xt @ wx + b + h @ wh
        i, f, o = (sigmoid(g[:, k * n:(k + 1) * n]) for k in range(3))
        c = f * c + i * np.tanh(g[:, 3 * n:])
        h = o * np.tanh(c)
        outs.append(h)
    return np.stack(outs), h, c


def params_np(layer):
    return {k: mb.to_numpy(v).astype("float64") for k, v in layer.named_parameters()}


# --------------------------------------------------------------------------- numpy references
def test_linear_matches_numpy(backend):
    layer = nn.Linear(5, 3)
    x = mb.normal(0, 1, (4, 5))
    p = params_np(layer)
    check(layer(x), (mb.to_numpy(x) @ p["weight"] + p["bias"]).astype("float32"), RTOL, ATOL)


@pytest.mark.parametrize("kernel, stride, padding", [
    (3, 1, 0), (3, 1, 1), (3, 2, 1), (2, 2, 0), ((3, 2), (2, 1), (1, 0)), (5, 3, 2), (1, 1, 0)])
def test_conv2d_matches_numpy(backend, kernel, stride, padding):
    layer = nn.Conv2d(3, 4, kernel, stride=stride, padding=padding,
                      bias_init=mb.init.normal(0, 1))
    x = mb.normal(0, 1, (2, 3, 9, 8))
    p = params_np(layer)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    check(layer(x), conv_ref(mb.to_numpy(x), p["weight"], p["bias"], pair(stride), pair(padding)),
          RTOL, ATOL)


@pytest.mark.parametrize("kernel, stride, padding", [
    (2, 1, 0), (2, 2, 0), (4, 2, 1), (3, 2, 1), ((3, 2), (2, 1), (1, 0)), (2, 2, 2), (16, 8, 4)])
def test_conv_transpose2d_matches_numpy(backend, kernel, stride, padding):
    layer = nn.ConvTranspose2d(3, 4, kernel, stride=stride, padding=padding,
                               bias_init=mb.init.normal(0, 1))
    x = mb.normal(0, 1, (2, 3, 5, 4))
    p = params_np(layer)
    assert p["weight"].shape[:2] == (3, 4)                      # (in, out, kh, kw)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    expected = (conv_transpose_ref(mb.to_numpy(x), p["weight"], pair(stride), pair(padding))
                + p["bias"][None, :, None, None]).astype("float32")
    out = layer(x)
    assert mb.shape(out)[2:] == tuple(
        nn.functional.conv_transpose_output_size(n, k, s, q)
        for n, k, s, q in zip((5, 4), pair(kernel), pair(stride), pair(padding)))
    check(out, expected, RTOL, ATOL)


def test_conv_transpose2d_is_the_adjoint_of_conv2d(backend):
    # <conv2d(z, w), x> = <z, conv_transpose2d(x, w)> for the same weight, stride and padding
    mb.seed(0)
    w = mb.normal(0, 1, (3, 2, 3, 3))
    x = mb.normal(0, 1, (2, 3, 4, 4))
    y = nn.functional.conv_transpose2d(x, w, stride=2, padding=1)
    z = mb.normal(0, 1, mb.shape(y))
    lhs = mb.item(mb.sum(nn.functional.conv2d(z, w, stride=2, padding=1) * x))
    rhs = mb.item(mb.sum(z * y))
    assert mb.shape(y) == (2, 2, 7, 7)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-5)


def test_conv_transpose2d_errors(backend):
    x = mb.ones((1, 3, 2, 2))
    with pytest.raises(ValueError, match="input has 3 channels but the weight expects 2"):
        nn.functional.conv_transpose2d(x, mb.ones((2, 1, 2, 2)))
    with pytest.raises(ValueError, match="cuts away the whole output.*smaller padding"):
        nn.functional.conv_transpose2d(x, mb.ones((3, 1, 2, 2)), padding=2)
    with pytest.raises(ValueError, match="NCHW input with 4 axes"):
        nn.functional.conv_transpose2d(mb.ones((3, 2, 2)), mb.ones((3, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"weight of shape \(in, out, kh, kw\), got \(3, 2\)"):
        nn.functional.conv_transpose2d(x, mb.ones((3, 2)))
    with pytest.raises(ValueError, match=r"conv2d needs a weight of shape \(out, in, kh, kw\)"):
        nn.functional.conv2d(x, mb.ones((3, 2)))


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k, s, p", [(2, 2, 0), (3, 1, 1), (3, 2, 1), (2, 1, 0)])
def test_pooling_matches_numpy(backend, kind, k, s, p):
    layer = (nn.MaxPool2d if kind == "max" else nn.AvgPool2d)(k, s, p)
    x = mb.normal(0, 1, (2, 3, 7, 6))
    check(layer(x), pool_ref(mb.to_numpy(x), k, s, p, kind), RTOL, ATOL)


def test_adaptive_and_global_pooling(backend):
    x = mb.normal(0, 1, (2, 3, 4, 6))
    a = mb.to_numpy(x)
    check(nn.GlobalAvgPool2d()(x), a.mean((2, 3), keepdims=True), RTOL, ATOL)
    check(nn.AdaptiveAvgPool2d((2, 3))(x), a.reshape(2, 3, 2, 2, 3, 2).mean((3, 5)), RTOL, ATOL)


@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 5, 5)])
def test_batchnorm_train_and_eval_match_numpy(backend, shape):
    layer = nn.BatchNorm(shape[1])
    layer.set_parameter("gamma", mb.normal(1, 0.1, shape[1]))
    layer.set_parameter("beta", mb.normal(0, 0.1, shape[1]))
    g, bt = mb.to_numpy(layer.gamma), mb.to_numpy(layer.beta)
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    view = (1, -1) if len(shape) == 2 else (1, -1, 1, 1)
    running_mean, running_var = np.zeros(shape[1]), np.ones(shape[1])
    for step in range(3):
        x = mb.normal(step, 2.0, shape)
        a = mb.to_numpy(x).astype("float64")
        mean, var = a.mean(axes), a.var(axes)
        expected = g.reshape(view) * (a - mean.reshape(view)) / np.sqrt(var.reshape(view) + 1e-5) \
            + bt.reshape(view)
        with mb.train_mode():
            check(layer(x), expected.astype("float32"), RTOL, ATOL)
        running_mean = 0.9 * running_mean + 0.1 * mean
        running_var = 0.9 * running_var + 0.1 * var
        check(layer.running_mean, running_mean.astype("float32"), RTOL, ATOL)
        check(layer.running_var, running_var.astype("float32"), RTOL, ATOL)
    x = mb.normal(0, 1, shape)
    a = mb.to_numpy(x)
    expected = g.reshape(view) * (a - running_mean.reshape(view)) / \
        np.sqrt(running_var.reshape(view) + 1e-5) + bt.reshape(view)
    with mb.predict_mode():
        check(layer(x), expected.astype("float32"), RTOL, ATOL)
    layer.train()                                  # module flag overrides the global mode
    y_train = layer(x)
    check(mb.mean(y_train, axis=axes), np.asarray(bt, "float32"), 1e-3, 1e-4)


def test_layernorm_and_embedding(backend):
    ln = nn.LayerNorm(6)
    x = mb.normal(0, 3, (2, 4, 6))
    a = mb.to_numpy(x).astype("float64")
    mu, var = a.mean(-1, keepdims=True), a.var(-1, keepdims=True)
    check(ln(x), ((a - mu) / np.sqrt(var + 1e-5)).astype("float32"), RTOL, ATOL)
    emb = nn.Embedding(10, 3)
    idx = mb.array([[1, 4], [9, 1]])
    check(emb(idx), mb.to_numpy(emb.weight)[[[1, 4], [9, 1]]])


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_recurrent_layers_match_numpy(backend, kind):
    layer = getattr(nn, kind)(3, 4)
    x = mb.normal(0, 1, (5, 2, 3))
    p = params_np(layer)
    a = mb.to_numpy(x).astype("float64")
    h0 = np.zeros((2, 4))
    if kind == "GRU":
        outs, h = gru_ref(a, h0, p["weight_x_l0"], p["weight_h_l0"], p["bias_l0"])
        y, state = layer(x)
        check(state, h[None].astype("float32"), RTOL, ATOL)
    else:
        outs, h, c = lstm_ref(a, h0, h0, p["weight_x_l0"], p["weight_h_l0"], p["bias_l0"])
        y, (hs, cs) = layer(x)
        check(hs, h[None].astype("float32"), RTOL, ATOL)
        check(cs, c[None].astype("float32"), RTOL, ATOL)
    check(y, outs.astype("float32"), RTOL, ATOL)


def test_rnn_bidirectional_multilayer_shapes_and_reverse(backend):
    layer = nn.RNN(3, 4, num_layers=2, bidirectional=True)
    x = mb.normal(0, 1, (6, 2, 3))
    y, h = layer(x)
    assert mb.shape(y) == (6, 2, 8) and mb.shape(h) == (4, 2, 4)
    # the backward direction of the last layer ends at time 0: its final state is y[0, :, 4:]
    check(h[3], mb.to_numpy(y)[0, :, 4:], RTOL, ATOL)
    check(h[2], mb.to_numpy(y)[-1, :, :4], RTOL, ATOL)


def test_dropout(backend):
    layer = nn.Dropout(0.5)
    x = mb.ones((100, 100))
    check(layer(x), np.ones((100, 100), "float32"))          # prediction: identity
    with mb.train_mode():
        y = mb.to_numpy(layer(x))
    assert set(np.unique(y)) == {0.0, 2.0}
    assert abs((y == 0).mean() - 0.5) < 0.02


# --------------------------------------------------------------------------- all backends agree
LAYERS = {
    "linear": (lambda: nn.Linear(6, 4), (3, 6)),
    "lazy_linear": (lambda: nn.LazyLinear(4), (3, 6)),
    "conv_pad_stride": (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 7, 7)),
    "conv_rect": (lambda: nn.Conv2d(2, 3, (2, 3), padding=(1, 0)), (2, 2, 5, 6)),
    "conv_transpose": (lambda: nn.ConvTranspose2d(2, 3, 4, stride=2, padding=1), (2, 2, 3, 4)),
    "conv_transpose_lazy": (lambda: nn.ConvTranspose2d(None, 2, (3, 2), stride=(1, 2)),
                            (2, 3, 3, 3)),
    "maxpool": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(3, 2, 1)), (2, 1, 8, 8)),
    "avgpool": (lambda: nn.Sequential(nn.Conv2d(1, 2, 3), nn.AvgPool2d(2)), (2, 1, 8, 8)),
    "batchnorm1d": (lambda: nn.Sequential(nn.Linear(5, 4), nn.BatchNorm(4)), (6, 5)),
    "batchnorm2d": (lambda: nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm(3)), (4, 2, 5, 5)),
    "layernorm": (lambda: nn.Sequential(nn.Linear(5, 4), nn.LayerNorm(4)), (3, 5)),
    "dropout_mlp": (lambda: nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Dropout(0.3),
                                          nn.Linear(8, 2)), (4, 5)),
    "activations": (lambda: nn.Sequential(nn.Linear(5, 5), nn.Sigmoid(), nn.Linear(5, 5),
                                          nn.Tanh(), nn.Softmax()), (3, 5)),
    "rnn": (lambda: nn.RNN(3, 4, num_layers=2, bidirectional=True), (5, 2, 3)),
    "gru": (lambda: nn.GRU(3, 4, num_layers=2), (5, 2, 3)),
    "lstm": (lambda: nn.LSTM(3, 4, bidirectional=True), (5, 2, 3)),
}


def _run_layer(name):
    make, shape = LAYERS[name]
    mb.seed(1)
    layer = make()
    x = mb.normal(0, 1, shape)
    layer(x) if not layer.is_initialized() else None

    def objective(params, x):
        out = layer.functional_call(params, x)
        out = out[0] if isinstance(out, tuple) else out
        return mb.sum(out * mb.cos(out)), out

    mb.seed(2)                                     # same dropout mask everywhere
    with mb.train_mode():
        (value, out), (g_params, g_x) = mb.value_and_grad(objective, argnums=(0, 1),
                                                          has_aux=True)(layer.parameter_dict(), x)
    result = {"out": mb.to_numpy(out), "x": mb.to_numpy(g_x)}
    result.update({k: mb.to_numpy(v) for k, v in g_params.items()})
    return result


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_outputs_and_gradients_agree_across_backends(all_backends, name):
    results = {}
    for b in all_backends:
        mb.set_backend(b)
        results[b] = _run_layer(name)
    reference = results[all_backends[0]]
    for b in all_backends[1:]:
        assert results[b].keys() == reference.keys()
        for key in reference:
            np.testing.assert_allclose(results[b][key], reference[key], rtol=RTOL, atol=ATOL,
                                       err_msg=f"{name}: {key} on {b} vs {all_backends[0]}")


# ---- ties, and float32 accuracy through normalisation (found training part 2 of the book) ----

def test_max_pool_gradient_goes_to_the_first_maximum_of_each_window(backend):
    """Ties are common after ReLU (uniform backgrounds); every backend routes the gradient to
    the first maximum in row-major order, as PyTorch, TensorFlow and MXNet natively do."""
    x = np.ones((1, 1, 4, 4), "float32")
    x[0, 0, 3, 3] = 0.5
    g = mb.grad(lambda v: mb.sum(nn.functional.max_pool2d(v, 2, 1)))(mb.array(x))
    expected = np.zeros((4, 4), "float32")
    expected[:3, :3] = 1.0                         # each of the 9 windows picks its top-left
    check(g, expected[None, None], dtype=False)
    g = mb.grad(lambda v: mb.sum(nn.functional.max_pool2d(v, 2, 2)))(mb.array(x))
    expected = np.zeros((4, 4), "float32")
    expected[::2, ::2] = 1.0
    check(g, expected[None, None], dtype=False)


def _residual_block_gradients(dtype: str) -> dict:
    """Gradients of a conv-BN-ReLU stem and a residual block on digits with a uniform
    background (the case where float32 sums over N, H, W lost 1e-4 relative on two backends)."""
    from mlbook import data, losses
    mb.seed(0)
    X, y = next(iter(data.load_digits(64, resize=16, standardize=True)[0]))
    net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm(16), nn.ReLU(),
                        nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm(16), nn.ReLU(),
                        nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm(16),
                        nn.GlobalAvgPool2d(), nn.Flatten(), nn.Linear(16, 10))
    params = {k: mb.astype(v, dtype) for k, v in net.parameter_dict().items()}
    X = mb.astype(X, dtype)
    with mb.train_mode():
        _, grads = mb.value_and_grad(
            lambda p: losses.cross_entropy(net.functional_call(p, X), y))(params)
    return {k: mb.to_numpy(v).astype("float64") for k, v in grads.items()}


def test_float32_gradients_through_batch_norm_match_float64(backend):
    """Every backend's float32 gradient of a BN network is within 2e-5 (relative to the largest
    gradient) of the float64 one computed by numpy; before float32 sums were accumulated in
    float64 on numpy and TensorFlow, their error was 5e-3 there (1e-6 on PyTorch, MXNet)."""
    got = _residual_block_gradients("float32")
    mb.set_backend("numpy")
    reference = _residual_block_gradients("float64")
    scale = max(np.abs(g).max() for g in reference.values())
    error = max(np.abs(got[k] - reference[k]).max() for k in reference) / scale
    assert error < 2e-5, f"{backend}: float32 gradient error {error:.1e} of the largest gradient"


def test_float32_sums_are_accurate_in_any_memory_layout(backend):
    """A channel-last array reduced over (N, H, W): numpy used to add 16,384 float32 values one
    by one (relative error ~1e-5); now every backend is within a few ulps of float64."""
    rng = np.random.default_rng(0)
    nhwc = (rng.random((64, 16, 16, 16)) * 0.01 + 0.3).astype("float32")
    x = nhwc.transpose(0, 3, 1, 2)                  # an NCHW view of channel-last memory
    exact = x.astype("float64").mean(axis=(0, 2, 3))
    assert np.abs(x.mean(axis=(0, 2, 3)) - exact).max() / exact.max() > 3e-7   # numpy's own
    for reduce in (mb.mean, lambda t, axis: mb.sum(t, axis=axis) / (64 * 16 * 16)):
        got = mb.to_numpy(reduce(mb.array(x), axis=(0, 2, 3)))
        assert got.dtype == np.float32
        assert np.abs(got - exact).max() / exact.max() < 3e-7


def test_sequence_mask(backend):
    X = mb.reshape(mb.arange(1.0, 13.0), (2, 3, 2))
    got = nn.functional.sequence_mask(X, mb.array([1, 3]), value=-1.0)
    check(got, np.array([[[1, 2], [-1, -1], [-1, -1]], [[7, 8], [9, 10], [11, 12]]], "float32"))
    check(nn.functional.sequence_mask(mb.ones((2, 3)), mb.array([0, 2])),
          np.array([[0, 0, 0], [1, 1, 0]], "float32"))
    with pytest.raises(ValueError, match="one length per sequence"):
        nn.functional.sequence_mask(X, mb.array([1, 2, 3]))


def test_encoder_decoder_chains_encoder_state_and_decoder(backend):
    """EncoderDecoder passes the extra arguments to the encoder and to init_state, and returns
    the decoder's outputs."""
    calls = []

    class Enc(nn.Encoder):
        def forward(self, X, valid_len):
            calls.append(("encode", mb.tolist(valid_len)))
            return mb.sum(X, axis=1)

    class Dec(nn.Decoder):
        def init_state(self, enc_outputs, valid_len):
            return enc_outputs * 10

        def forward(self, X, state):
            return X + mb.expand_dims(state, 1), state

    net = nn.EncoderDecoder(Enc(), Dec())
    out = net(mb.ones((2, 3)), mb.zeros((2, 4)), mb.array([3, 1]))
    check(out, np.full((2, 4), 30.0, "float32"))
    assert calls == [("encode", [3, 1])]
    with pytest.raises(NotImplementedError, match="must define init_state"):
        nn.Decoder().init_state(None)


@pytest.mark.parametrize("s", [2, 4])
def test_bilinear_init_upsamples_as_bilinear_interpolation(backend, s):
    # kernel 2s, stride s, padding s/2: equal to bilinear resizing away from the border
    layer = nn.ConvTranspose2d(3, 3, 2 * s, stride=s, padding=s // 2, bias=False,
                               weight_init=mb.init.bilinear())
    x = np.random.default_rng(s).uniform(size=(1, 3, 6, 7)).astype("float32")
    y = mb.to_numpy(layer(mb.array(x)))
    expected = mb.data.resize_images(x, (6 * s, 7 * s))
    assert y.shape == expected.shape
    np.testing.assert_allclose(y[..., s:-s, s:-s], expected[..., s:-s, s:-s], atol=1e-6)
    w = mb.to_numpy(layer.weight)
    assert np.all(w[0, 1] == 0) and np.isclose(w[1, 1].sum(), s * s)
    with pytest.raises(ValueError, match="square transposed-convolution weight"):
        mb.init.bilinear()((3, 3, 2, 3), 1, 1)


# ---- large arrays: on JAX, operations on arrays from 65,536 elements compile optimised ----

def test_large_arrays_compute_what_small_ones_do(backend):
    """Pooling, a transposed convolution and log-softmax on arrays of 65,536 elements or more
    (where the JAX backend compiles each operation at XLA's optimisation level 2 instead of 0)
    match numpy, and their gradients on the whole batch match those computed sample by sample
    (arrays too small for that), on and off the tape."""
    mb.seed(0)
    x = mb.normal(0, 1, (32, 8, 16, 16))                      # 65,536 elements
    w = mb.normal(0, 0.2, (8, 4, 4, 4))
    a, wa = mb.to_numpy(x), mb.to_numpy(w)
    check(nn.functional.max_pool2d(x, 3, 2, 1), pool_ref(a, 3, 2, 1, "max"), RTOL, ATOL)
    check(nn.functional.avg_pool2d(x, 2, 2), pool_ref(a, 2, 2, 0, "avg"), RTOL, ATOL)
    up = conv_transpose_ref(a, wa, (2, 2), (1, 1)).astype("float32")
    check(nn.functional.conv_transpose2d(x, w, stride=2, padding=1), up, RTOL, ATOL)
    logits = a.reshape(256, 256).astype("float64")
    shifted = logits - logits.max(axis=1, keepdims=True)
    expected = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    check(mb.log_softmax(mb.reshape(x, (256, 256)), axis=1), expected.astype("float32"),
          RTOL, ATOL)

    def loss(v, k):
        y = nn.functional.conv_transpose2d(v, k, stride=2, padding=1)
        return mb.sum(nn.functional.max_pool2d(y, 3, 2, 1) ** 2)

    gx, gw = mb.grad(loss, argnums=(0, 1))(x, w)
    parts = [mb.grad(loss, argnums=(0, 1))(x[i:i + 1], w) for i in range(4)]
    check(gx[:4], np.concatenate([mb.to_numpy(p[0]) for p in parts]), RTOL, ATOL)
    # the weight's gradient sums over the batch: the first four samples' share, by linearity
    gw4 = mb.to_numpy(mb.grad(loss, argnums=1)(x[:4], w))
    np.testing.assert_allclose(sum(mb.to_numpy(p[1]) for p in parts), gw4, rtol=1e-4, atol=1e-4)
    assert mb.shape(gw) == (8, 4, 4, 4)
