"""One training epoch on the digits (1,437 images, minibatches of 64): mlbook against the same
training written with each framework's own API.

* MLP: 64-128-10 with ReLU, softmax cross-entropy, SGD (lr 0.3);
* LeNet-style CNN: conv3x3(6, pad 1)-tanh-avgpool2-conv3x3(16, pad 1)-tanh-avgpool2-64-tanh-10,
  Adam (lr 0.01).

Both versions start from the same weights and see the same minibatches; the native versions
are written as a user of that framework would (``torch.nn.functional`` and ``torch.optim``;
``tf.Variable``, ``GradientTape`` and NHWC images for TensorFlow; ``attach_grad``/``record``
and ``mx.optimizer`` for MXNet; eager ``jax.value_and_grad`` and ``lax`` with the update
written out (optax's SGD and Adam formulas) for JAX; HIPS autograd for numpy's MLP; numpy has
no native CNN, so its
LeNet row shows mlbook's time only).  Timing alternates the two in one process (median of the
rounds).  Run by hand::

    python benchmarks/training.py [--backend torch,mxnet] [--rounds 7]
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Callable

import numpy as np

import mlbook as mb
from mlbook import backends, data, losses, nn, optim, train
from _harness import each_backend, parse_args

BATCH = 64


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Conv2d(6, 16, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 10))


MODELS = {"MLP": (mlp, lambda net: optim.SGD(net, lr=0.3)),
          "LeNet": (lenet, lambda net: optim.Adam(net, lr=0.01))}


def batches(X, y):
    order = np.random.default_rng(0).permutation(len(y))
    return [(X[order[i:i + BATCH]], y[order[i:i + BATCH]]) for i in range(0, len(y), BATCH)]


def mlbook_epoch(model: str, host_batches) -> Callable[[], float]:
    make, make_opt = MODELS[model]
    mb.seed(0)
    net = make()
    trainer = train.Trainer(net, losses.cross_entropy, make_opt(net))
    b = backends.current()

    def epoch():
        for X, y in host_batches:
            loss, _ = trainer.step(b.from_numpy(X), b.from_numpy(y))
        return float(mb.item(loss))               # like the native loops: read it once
    return epoch, {k: mb.to_numpy(v) for k, v in net.named_parameters()}


# ----------------------------------------------------------------------------- native versions
def native_torch(model, w, host_batches):
    import torch
    import torch.nn.functional as F
    p = {k: torch.tensor(v, requires_grad=True) for k, v in w.items()}
    if model == "MLP":
        def forward(X):
            h = torch.relu(X.reshape(len(X), -1) @ p["1.weight"] + p["1.bias"])
            return h @ p["3.weight"] + p["3.bias"]
        opt = torch.optim.SGD(p.values(), lr=0.3)
    else:
        def forward(X):
            h = F.avg_pool2d(torch.tanh(F.conv2d(X, p["0.weight"], p["0.bias"], padding=1)), 2)
            h = F.avg_pool2d(torch.tanh(F.conv2d(h, p["3.weight"], p["3.bias"], padding=1)), 2)
            h = torch.tanh(h.reshape(len(h), -1) @ p["7.weight"] + p["7.bias"])
            return h @ p["9.weight"] + p["9.bias"]
        opt = torch.optim.Adam(p.values(), lr=0.01)

    def epoch():
        for X, y in host_batches:
            loss = F.cross_entropy(forward(torch.from_numpy(X)), torch.from_numpy(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()
    return epoch


def native_tensorflow(model, w, host_batches):
    import tensorflow as tf
    p = {k: tf.Variable(v if v.ndim != 4 else v.transpose(2, 3, 1, 0)) for k, v in w.items()}
    nhwc = [(X.transpose(0, 2, 3, 1), y) for X, y in host_batches]
    if model == "MLP":
        def forward(X):
            h = tf.nn.relu(tf.reshape(X, [X.shape[0], -1]) @ p["1.weight"] + p["1.bias"])
            return h @ p["3.weight"] + p["3.bias"]
        opt = tf.keras.optimizers.SGD(learning_rate=0.3)
    else:
        def forward(X):
            h = tf.nn.avg_pool2d(tf.tanh(tf.nn.conv2d(X, p["0.weight"], 1, "SAME")
                                         + p["0.bias"]), 2, 2, "VALID")
            h = tf.nn.avg_pool2d(tf.tanh(tf.nn.conv2d(h, p["3.weight"], 1, "SAME")
                                         + p["3.bias"]), 2, 2, "VALID")
            h = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [h.shape[0], -1])   # same order
            h = tf.tanh(h @ p["7.weight"] + p["7.bias"])
            return h @ p["9.weight"] + p["9.bias"]
        opt = tf.keras.optimizers.Adam(learning_rate=0.01, epsilon=1e-8)
    variables = list(p.values())

    def epoch():
        for X, y in nhwc:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    y, forward(tf.constant(X))))
            opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return float(loss)
    return epoch


def native_mxnet(model, w, host_batches):
    from mlbook.backends import mxnet as _  # noqa: F401 - numpy.bool fix and set_np()
    import mxnet as mx
    from mxnet import autograd, np as mnp, npx
    names = list(w)
    p = [mnp.array(w[k]) for k in names]
    for v in p:
        v.attach_grad()
    P = dict(zip(names, p))
    if model == "MLP":
        def forward(X):
            h = npx.relu(mnp.dot(X.reshape(X.shape[0], -1), P["1.weight"]) + P["1.bias"])
            return mnp.dot(h, P["3.weight"]) + P["3.bias"]
        opt = mx.optimizer.SGD(learning_rate=0.3)
    else:
        def block(X, k):
            h = npx.convolution(X, P[f"{k}.weight"], P[f"{k}.bias"], kernel=(3, 3), pad=(1, 1),
                                num_filter=P[f"{k}.weight"].shape[0])
            return npx.pooling(mnp.tanh(h), kernel=(2, 2), stride=(2, 2), pool_type="avg")

        def forward(X):
            h = block(block(X, 0), 3)
            h = mnp.tanh(mnp.dot(h.reshape(h.shape[0], -1), P["7.weight"]) + P["7.bias"])
            return mnp.dot(h, P["9.weight"]) + P["9.bias"]
        opt = mx.optimizer.Adam(learning_rate=0.01, epsilon=1e-8)
    updater = mx.optimizer.get_updater(opt)

    def epoch():
        for X, y in host_batches:
            X, y = mnp.array(X), mnp.array(y, dtype="int64")
            with autograd.record():
                out = forward(X)
                loss = mnp.mean(-npx.pick(npx.log_softmax(out), y))
            loss.backward()
            for i, v in enumerate(p):
                updater(i, v.grad, v)
        return float(loss)
    return epoch


def native_numpy(model, w, host_batches):
    if model != "MLP":
        return None
    import autograd
    import autograd.numpy as anp
    params = [np.array(w[k]) for k in ("1.weight", "1.bias", "3.weight", "3.bias")]

    def loss_fn(p, X, y):
        h = anp.maximum(X.reshape(len(X), -1) @ p[0] + p[1], 0)
        o = h @ p[2] + p[3]
        m = anp.max(o, axis=1, keepdims=True)
        lse = anp.log(anp.sum(anp.exp(o - m), axis=1)) + m[:, 0]
        return anp.mean(lse - o[np.arange(len(y)), y])
    step = autograd.value_and_grad(loss_fn)

    def epoch():
        for X, y in host_batches:
            loss, g = step(params, X, y)
            for v, gv in zip(params, g):
                v -= 0.3 * gv
        return float(loss)
    return epoch


def native_jax(model, w, host_batches):
    from mlbook.backends import jax as _  # noqa: F401 - the same jax_enable_x64 as mlbook's
    import jax
    import jax.numpy as jnp
    from jax import lax
    p = {k: jnp.asarray(v) for k, v in w.items()}

    if model == "MLP":
        def forward(p, X):
            h = jax.nn.relu(X.reshape(len(X), -1) @ p["1.weight"] + p["1.bias"])
            return h @ p["3.weight"] + p["3.bias"]
    else:
        def block(p, X, k):
            h = lax.conv_general_dilated(X, p[f"{k}.weight"], (1, 1), ((1, 1), (1, 1)),
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
            h = jnp.tanh(h + p[f"{k}.bias"][:, None, None])
            return lax.reduce_window(h, 0.0, lax.add, (1, 1, 2, 2), (1, 1, 2, 2), "VALID") / 4

        def forward(p, X):
            h = block(p, block(p, X, 0), 3)
            h = jnp.tanh(h.reshape(len(h), -1) @ p["7.weight"] + p["7.bias"])
            return h @ p["9.weight"] + p["9.bias"]

    def loss_fn(p, X, y):
        logp = jax.nn.log_softmax(forward(p, X))
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    step = jax.value_and_grad(loss_fn)               # eager, as mlbook runs (no jax.jit)
    state = {"t": 0, "m": {k: jnp.zeros_like(v) for k, v in p.items()},
             "v": {k: jnp.zeros_like(v) for k, v in p.items()}}

    def epoch():
        for X, y in host_batches:
            loss, g = step(p, jnp.asarray(X), jnp.asarray(y))
            if model == "MLP":
                for k in p:
                    p[k] = p[k] - 0.3 * g[k]
                continue
            state["t"] += 1
            t = state["t"]
            for k in p:                                  # Adam, lr 0.01, as optax.adam
                m = state["m"][k] = 0.9 * state["m"][k] + 0.1 * g[k]
                v = state["v"][k] = 0.999 * state["v"][k] + 0.001 * g[k] * g[k]
                p[k] = p[k] - 0.01 * (m / (1 - 0.9 ** t)) / (jnp.sqrt(v / (1 - 0.999 ** t))
                                                             + 1e-8)
        return float(loss)
    return epoch


#: Native code per backend: a new backend adds its function here.
NATIVE = {"numpy": native_numpy, "torch": native_torch, "tensorflow": native_tensorflow,
          "mxnet": native_mxnet, "jax": native_jax}


def seconds(fn: Callable[[], float]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None) -> int:
    args = parse_args(__doc__, 7, argv)
    X_train, y_train, _, _ = data.digits_arrays()
    host = batches(X_train, y_train)
    rows = []
    for name in each_backend(args.backend):
        for model in MODELS:
            ours, weights = mlbook_epoch(model, host)
            native = NATIVE[name](model, weights, host)
            ours(), native() if native else None                  # warm-up epoch
            t_ours, t_native = [], []
            for r in range(args.rounds):                           # alternate, one epoch each
                t_ours.append(seconds(ours))
                if native:
                    t_native.append(seconds(native))
            to = statistics.median(t_ours)
            tn = statistics.median(t_native) if native else None
            rows.append((name, model, tn, to))
            print(f"{name:<11} {model:<6} native {tn if tn else float('nan'):7.3f} s  mlbook "
                  f"{to:7.3f} s", file=sys.stderr)
    print("| backend | model | native (s/epoch) | mlbook (s/epoch) | mlbook / native |")
    print("|---|---|---:|---:|---:|")
    for name, model, tn, to in rows:
        native = f"{tn:.3f}" if tn else "—"
        ratio = f"{to / tn:.2f}" if tn else "—"
        print(f"| {name} | {model} | {native} | {to:.3f} | {ratio} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
