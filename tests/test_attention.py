"""Attention layers, the Transformer's blocks, Adadelta, learning-rate schedules and the heat-map
plot: values against numpy references written here, gradients against finite differences in
float64, and every backend against the numpy backend (same seed, same initial weights).

Tolerances: float32 values within 1e-5 of float64 references (sums of a few dozen terms);
gradients within 1e-3 relative of central differences on float64 numpy (float32 rounding of
softmax and layer normalization); backends within 1e-5 of each other.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlbook as mb
from mlbook import nn, optim, plot, schedulers, train
from mlbook.nn.attention import MASK_VALUE, positional_encoding
from helpers import check, numerical_grad

rng = np.random.default_rng(7)
Q = rng.normal(size=(2, 3, 4)).astype("float32")
K = rng.normal(size=(2, 5, 4)).astype("float32")
V = rng.normal(size=(2, 5, 6)).astype("float32")


def np_masked_softmax(X, valid_lens=None):
    X = np.array(X, dtype=np.float64)
    if valid_lens is not None:
        lens = np.asarray(valid_lens)
        if lens.ndim == 1:
            lens = np.repeat(lens[:, None], X.shape[1], axis=1)
        X = np.where(np.arange(X.shape[2])[None, None, :] < lens[:, :, None], X, MASK_VALUE)
    e = np.exp(X - X.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_dot_attention(q, k, v, valid_lens=None):
    w = np_masked_softmax(q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1]), valid_lens)
    return w @ v, w


@pytest.mark.parametrize("valid_lens", [None, [2, 4], [[1, 2, 5], [3, 3, 1]]])
def test_masked_softmax(backend, valid_lens):
    X = rng.normal(size=(2, 3, 5)).astype("float32")
    lens = None if valid_lens is None else mb.array(valid_lens)
    weights = nn.masked_softmax(mb.array(X), lens)
    check(weights, np_masked_softmax(X, valid_lens).astype("float32"), 1e-5, 1e-7)
    w = mb.to_numpy(weights)
    np.testing.assert_allclose(w.sum(axis=-1), 1, rtol=1e-6)
    if valid_lens is not None:
        ref = np_masked_softmax(np.zeros_like(X), valid_lens)
        assert np.all(w[ref == 0] == 0)                     # masked keys: exactly 0


def test_masked_softmax_errors(backend):
    with pytest.raises(ValueError, match=r"valid_lens must be \(batch,\)"):
        nn.masked_softmax(mb.zeros((2, 3, 4)), mb.array([1, 2, 3]))
    with pytest.raises(ValueError, match="X must be"):
        nn.masked_softmax(mb.zeros((3, 4)), mb.array([1, 2, 3]))


def test_dot_product_attention_values_and_gradient(backend):
    attention = nn.DotProductAttention(dropout=0.5)
    attention.eval()
    lens = [2, 5]
    out = attention(mb.array(Q), mb.array(K), mb.array(V), mb.array(lens))
    ref, w = np_dot_attention(Q, K, V, lens)
    check(out, ref.astype("float32"), 1e-5, 1e-5)
    check(attention.attention_weights, w.astype("float32"), 1e-5, 1e-6)
    with pytest.raises(ValueError, match="equal sizes"):
        attention(mb.array(Q), mb.array(V), mb.array(V))

    def f(q, k, v):
        return mb.sum(attention(q, k, v, mb.array(lens)) ** 2)

    grads = mb.grad(f, argnums=(0, 1, 2))(mb.array(Q), mb.array(K), mb.array(V))
    for n, g in enumerate(grads):
        num = numerical_grad(lambda q, k, v: float((np_dot_attention(q, k, v, lens)[0] ** 2)
                                                   .sum()), [Q, K, V], n)
        np.testing.assert_allclose(mb.to_numpy(g), num, rtol=1e-3, atol=1e-4)


def test_additive_attention(backend):
    mb.seed(0)
    attention = nn.AdditiveAttention(8)
    q = rng.normal(size=(2, 1, 20)).astype("float32")
    out = attention(mb.array(q), mb.array(K), mb.array(V), mb.array([2, 3]))
    Wq, Wk, wv = (mb.to_numpy(attention.W_q.weight), mb.to_numpy(attention.W_k.weight),
                  mb.to_numpy(attention.w_v.weight))
    feats = np.tanh((q @ Wq)[:, :, None, :] + (K @ Wk)[:, None, :, :])
    w = np_masked_softmax((feats @ wv)[..., 0], [2, 3])
    check(out, (w @ V).astype("float32"), 1e-5, 1e-5)
    check(attention.attention_weights, w.astype("float32"), 1e-5, 1e-6)


def np_multihead(net, q, k, v, valid_lens, heads):
    W = {n: mb.to_numpy(getattr(net, n).weight).astype(np.float64) for n in
         ("W_q", "W_k", "W_v", "W_o")}
    outs = []
    for b in range(q.shape[0]):
        cols = []
        for h in range(heads):
            d = W["W_q"].shape[1] // heads
            sl = slice(h * d, (h + 1) * d)
            qh, kh, vh = q[b] @ W["W_q"][:, sl], k[b] @ W["W_k"][:, sl], v[b] @ W["W_v"][:, sl]
            lens = None if valid_lens is None else [valid_lens[b]]
            cols.append(np_dot_attention(qh[None], kh[None], vh[None], lens)[0][0])
        outs.append(np.concatenate(cols, axis=-1) @ W["W_o"])
    return np.stack(outs)


def test_multihead_attention_against_per_head_loop(backend):
    mb.seed(0)
    net = nn.MultiHeadAttention(8, 2)
    out = net(mb.array(Q), mb.array(K), mb.array(V), mb.array([3, 5]))
    assert mb.shape(out) == (2, 3, 8)
    assert mb.shape(net.attention_weights) == (4, 3, 5)
    check(out, np_multihead(net, Q, K, V, [3, 5], 2).astype("float32"), 1e-5, 1e-5)
    with pytest.raises(ValueError, match="multiple of num_heads"):
        nn.MultiHeadAttention(10, 3)


def test_positional_encoding(backend):
    P = positional_encoding(50, 6)
    i, j = 7, 2
    assert P[i, 2 * j] == np.float32(math.sin(i / 10000 ** (2 * j / 6)))
    assert P[i, 2 * j + 1] == np.float32(math.cos(i / 10000 ** (2 * j / 6)))
    enc = nn.PositionalEncoding(6, dropout=0.0, max_len=50)
    X = rng.normal(size=(2, 10, 6)).astype("float32")
    check(enc(mb.array(X)), X + P[None, :10], 1e-6, 1e-6)
    check(enc(mb.array(X[:, :1]), offset=7), X[:, :1] + P[None, 7:8], 1e-6, 1e-6)
    with pytest.raises(ValueError, match="max_len=50"):
        enc(mb.zeros((1, 51, 6)))
    with pytest.raises(ValueError, match="at position 45"):
        enc(mb.zeros((1, 6, 6)), offset=45)


def test_addnorm_ffn_and_encoder_block(backend):
    mb.seed(0)
    X = rng.normal(size=(2, 4, 8)).astype("float32")
    ffn = nn.PositionWiseFFN(16, 8)
    y = ffn(mb.array(X))
    W1, b1 = mb.to_numpy(ffn.dense1.weight), mb.to_numpy(ffn.dense1.bias)
    W2, b2 = mb.to_numpy(ffn.dense2.weight), mb.to_numpy(ffn.dense2.bias)
    check(y, (np.maximum(X @ W1 + b1, 0) @ W2 + b2).astype("float32"), 1e-5, 1e-5)
    addnorm = nn.AddNorm(8)
    Z = X + mb.to_numpy(y)
    ref = (Z - Z.mean(-1, keepdims=True)) / np.sqrt(Z.var(-1, keepdims=True) + 1e-5)
    check(addnorm(mb.array(X), y), ref.astype("float32"), 1e-4, 1e-5)
    block = nn.TransformerEncoderBlock(8, 16, 2)
    block.eval()
    assert mb.shape(block(mb.array(X), mb.array([2, 4]))) == (2, 4, 8)


def test_decoder_block_causal_in_training_equals_stepwise_prediction(backend):
    """Training sees the whole target with a causal mask; prediction decodes one position at a
    time against the cache: both give the same outputs (dropout 0)."""
    mb.seed(0)
    enc = mb.array(rng.normal(size=(2, 5, 8)).astype("float32"))
    X = rng.normal(size=(2, 4, 8)).astype("float32")
    block = nn.TransformerDecoderBlock(8, 16, 2, 0.0, 0)
    block.train()
    whole, _ = block(mb.array(X), [enc, mb.array([3, 5]), [None]])
    block.eval()
    state = [enc, mb.array([3, 5]), [None]]
    steps = []
    for t in range(4):
        y, state = block(mb.array(X[:, t:t + 1]), state)
        steps.append(mb.to_numpy(y))
    check(whole, np.concatenate(steps, axis=1), 1e-5, 1e-5)


def test_patch_embedding(backend):
    mb.seed(0)
    emb = nn.PatchEmbedding(8, 4, 6)
    X = rng.normal(size=(2, 1, 8, 8)).astype("float32")
    out = emb(mb.array(X))
    assert mb.shape(out) == (2, 4, 6) and emb.num_patches == 4
    W, b = mb.to_numpy(emb.conv.weight), mb.to_numpy(emb.conv.bias)
    patches = X.reshape(2, 1, 2, 4, 2, 4).transpose(0, 2, 4, 1, 3, 5).reshape(2, 4, 16)
    check(out, (patches @ W.reshape(6, 16).T + b).astype("float32"), 1e-5, 1e-5)
    with pytest.raises(ValueError, match="not a multiple"):
        nn.PatchEmbedding(10, 4, 6)


def test_transformer_blocks_agree_on_every_backend(all_backends):
    """Outputs and parameter gradients of an encoder and a decoder block, each backend against
    the first (the same seeded weights everywhere)."""
    X = rng.normal(size=(2, 4, 8)).astype("float32")
    results = {}
    for b in all_backends:
        mb.set_backend(b)
        mb.seed(0)
        encoder = nn.TransformerEncoderBlock(8, 16, 2)
        decoder = nn.TransformerDecoderBlock(8, 16, 2, 0.0, 0)
        lens = mb.array([2, 4])

        def loss(params, X):
            enc = encoder.functional_call(params["enc"], X, lens)
            out, _ = decoder.functional_call(params["dec"], X, [enc, lens, [None]])
            return mb.sum(out * out)
        encoder(mb.array(X), lens)                        # create the lazy layers
        decoder(mb.array(X), [encoder(mb.array(X), lens), lens, [None]])
        params = {"enc": encoder.parameter_dict(), "dec": decoder.parameter_dict()}
        value, grads = mb.value_and_grad(loss)(params, mb.array(X))
        results[b] = (float(mb.item(value)),
                      {f"{k}.{n}": mb.to_numpy(g) for k in grads for n, g in grads[k].items()})
    first = all_backends[0]
    for b in all_backends[1:]:
        assert results[b][0] == pytest.approx(results[first][0], rel=1e-5), b
        for name, g in results[first][1].items():
            np.testing.assert_allclose(results[b][1][name], g, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{b} {name}")


def test_adadelta_against_numpy(backend):
    w0 = rng.normal(size=(3, 2)).astype("float32")
    grads = [rng.normal(size=(3, 2)).astype("float32") for _ in range(5)]
    for fused in (None, False):
        p = mb.ops.make_parameter(mb.array(w0))
        opt = optim.Adadelta([p], rho=0.9, eps=1e-5, fused=fused)
        for g in grads:
            opt.step([mb.array(g)])
        w, s, d = w0.astype(np.float64), 0.0, 0.0
        for g in grads:
            s = 0.9 * s + 0.1 * g * g
            g2 = np.sqrt((d + 1e-5) / (s + 1e-5)) * g
            d = 0.9 * d + 0.1 * g2 * g2
            w = w - g2
        check(p, w.astype("float32"), 1e-5, 1e-6)


def test_schedulers():
    f = schedulers.FactorScheduler(0.9, 1e-2, 2.0)
    assert f(0) == 2.0 and f(3) == pytest.approx(2.0 * 0.9 ** 3) and f(100) == 1e-2
    m = schedulers.MultiFactorScheduler([15, 30], 0.5, 0.5)
    assert [m(t) for t in (0, 14, 15, 29, 30)] == [0.5, 0.5, 0.25, 0.25, 0.125]
    c = schedulers.CosineScheduler(20, base_lr=0.3, final_lr=0.01, warmup_steps=5)
    assert c(0) == 0.0 and c(5) == pytest.approx(0.3) and c(2) == pytest.approx(0.12)
    assert c(20) == pytest.approx(0.01) and c(50) == 0.01
    assert c(5 + 15 // 2) < 0.3 and c(12) == pytest.approx(0.01 + 0.29 * (1 + math.cos(
        math.pi * 7 / 15)) / 2)
    with pytest.raises(ValueError, match="factor must be"):
        schedulers.FactorScheduler(1.5)
    with pytest.raises(ValueError, match="steps must increase"):
        schedulers.MultiFactorScheduler([30, 15])
    with pytest.raises(ValueError, match="warmup_steps"):
        schedulers.CosineScheduler(5, warmup_steps=6)


def test_fit_takes_a_scheduler(backend):
    from mlbook import data, losses, train
    mb.seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    opt = optim.SGD(net, lr=1.0)
    schedule = schedulers.MultiFactorScheduler([1], 0.1, 0.3)
    train_iter, _ = data.load_digits(256)
    train.fit(net, train_iter, losses.cross_entropy, opt, 2, progress=False,
              lr_schedule=schedule)
    assert opt.lr == pytest.approx(0.03)


def test_show_heatmaps():
    weights = np.eye(5).reshape(1, 1, 5, 5)
    axes = plot.show_heatmaps(weights, "keys", "queries", titles=["head 1"])
    assert axes.shape == (1, 1)
    assert axes[0, 0].get_xlabel() == "keys" and axes[0, 0].get_title() == "head 1"
    np.testing.assert_array_equal(axes[0, 0].images[0].get_array(), np.eye(5))
    with pytest.raises(ValueError, match="rows, columns, queries, keys"):
        plot.show_heatmaps(np.eye(5), "keys", "queries")


def test_train_2d_and_trajectory_2d_and_fit_digits(backend):
    """The optimisation chapter's helpers: a from-scratch update and the library's optimiser
    take the same path; ``fit_digits`` starts from the same weights every call."""
    def f(x):
        return x[0] ** 2 + 2 * x[1] ** 2

    scratch = train.train_2d(lambda x, g, state: x - 0.1 * g, f, steps=5)
    closed = np.array([[-5.0 * 0.8 ** t, -2.0 * 0.6 ** t] for t in range(6)])
    np.testing.assert_allclose(scratch, closed, rtol=1e-6)
    library = train.trajectory_2d(lambda p: optim.SGD(p, lr=0.1), f, steps=5)
    np.testing.assert_allclose(library, closed, rtol=1e-6)
    noise = mb.array(np.ones((3, 2), np.float32))
    noisy = train.trajectory_2d(lambda p: optim.SGD(p, lr=0.1), f, steps=3, noise=noise,
                                lr_schedule=lambda t: 0.1 / t)
    x = np.array([-5.0, -2.0])
    for t in range(1, 4):
        x = x - 0.1 / t * (np.array([2, 4]) * x + 1)
    np.testing.assert_allclose(noisy[-1], x, rtol=1e-6)
    axes = plot.show_trace_2d(f, [scratch, library], legend=["scratch", "library"])
    np.testing.assert_allclose(axes.lines[0].get_xydata(), scratch)
    first = train.fit_digits(lambda net: optim.SGD(net, lr=0.5), num_epochs=1, progress=False)
    second = train.fit_digits(lambda net: optim.SGD(net, lr=0.5), num_epochs=1, progress=False)
    assert first["step_loss"] == second["step_loss"] and first["test_acc"][0] > 0.8
