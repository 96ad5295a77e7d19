"""One training epoch on the digits (1,437 images, minibatches of 64): mlbook against the same
training written with each framework's own API.

* MLP: 64-128-10 with ReLU, softmax cross-entropy;
* LeNet-style CNN: conv3x3(6, pad 1)-tanh-avgpool2-conv3x3(16, pad 1)-tanh-avgpool2-64-tanh-10;

each trained with SGD with momentum (lr 0.1, momentum 0.9) and with Adam (lr 0.01).  mlbook runs
twice: with the backend's fused optimiser kernels (the default) and with the reference update
(``fused=False``, as ``MLBOOK_FUSED=0`` sets), so the table shows what the kernels buy, and on
backends that compile (TensorFlow, JAX) a third time with ``Trainer(compile=True)``.

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
from mlbook import backends, data, losses, nn, ops, optim, train
from _harness import each_backend, parse_args, table

BATCH = 64


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Conv2d(6, 16, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 10))


MODELS = {"MLP": mlp, "LeNet": lenet}
LR = {"SGD-m": 0.1, "Adam": 0.01}
MOMENTUM = 0.9
OPTIMISERS = {"SGD-m": lambda net, fused: optim.SGD(net, lr=LR["SGD-m"], momentum=MOMENTUM,
                                                    fused=fused),
              "Adam": lambda net, fused: optim.Adam(net, lr=LR["Adam"], fused=fused)}


def batches(X, y):
    order = np.random.default_rng(0).permutation(len(y))
    return [(X[order[i:i + BATCH]], y[order[i:i + BATCH]]) for i in range(0, len(y), BATCH)]


def mlbook_epoch(model: str, opt: str, host_batches, fused: bool | None = None,
                 compile: bool = False) -> Callable[[], float]:
    mb.seed(0)
    net = MODELS[model]()
    trainer = train.Trainer(net, losses.cross_entropy, OPTIMISERS[opt](net, fused),
                            compile=compile)
    b = backends.current()

    def epoch():
        for X, y in host_batches:
            loss, _ = trainer.step(b.from_numpy(X), b.from_numpy(y))
        return float(mb.item(loss))               # like the native loops: read it once
    return epoch, {k: mb.to_numpy(v) for k, v in net.named_parameters()}


# ----------------------------------------------------------------------------- native versions
def native_torch(model, opt_name, w, host_batches):
    import torch
    import torch.nn.functional as F
    p = {k: torch.tensor(v, requires_grad=True) for k, v in w.items()}
    if model == "MLP":
        def forward(X):
            h = torch.relu(X.reshape(len(X), -1) @ p["1.weight"] + p["1.bias"])
            return h @ p["3.weight"] + p["3.bias"]
    else:
        def forward(X):
            h = F.avg_pool2d(torch.tanh(F.conv2d(X, p["0.weight"], p["0.bias"], padding=1)), 2)
            h = F.avg_pool2d(torch.tanh(F.conv2d(h, p["3.weight"], p["3.bias"], padding=1)), 2)
            h = torch.tanh(h.reshape(len(h), -1) @ p["7.weight"] + p["7.bias"])
            return h @ p["9.weight"] + p["9.bias"]
    opt = (torch.optim.SGD(p.values(), lr=LR[opt_name], momentum=MOMENTUM) if opt_name == "SGD-m"
           else torch.optim.Adam(p.values(), lr=LR[opt_name]))

    def epoch():
        for X, y in host_batches:
            loss = F.cross_entropy(forward(torch.from_numpy(X)), torch.from_numpy(y))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()
    return epoch


def native_tensorflow(model, opt_name, w, host_batches):
    import tensorflow as tf
    p = {k: tf.Variable(v if v.ndim != 4 else v.transpose(2, 3, 1, 0)) for k, v in w.items()}
    nhwc = [(X.transpose(0, 2, 3, 1), y) for X, y in host_batches]
    if model == "MLP":
        def forward(X):
            h = tf.nn.relu(tf.reshape(X, [X.shape[0], -1]) @ p["1.weight"] + p["1.bias"])
            return h @ p["3.weight"] + p["3.bias"]
    else:
        def forward(X):
            h = tf.nn.avg_pool2d(tf.tanh(tf.nn.conv2d(X, p["0.weight"], 1, "SAME")
                                         + p["0.bias"]), 2, 2, "VALID")
            h = tf.nn.avg_pool2d(tf.tanh(tf.nn.conv2d(h, p["3.weight"], 1, "SAME")
                                         + p["3.bias"]), 2, 2, "VALID")
            h = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [h.shape[0], -1])   # same order
            h = tf.tanh(h @ p["7.weight"] + p["7.bias"])
            return h @ p["9.weight"] + p["9.bias"]
    opt = (tf.keras.optimizers.SGD(learning_rate=LR[opt_name], momentum=MOMENTUM)
           if opt_name == "SGD-m" else
           tf.keras.optimizers.Adam(learning_rate=LR[opt_name], epsilon=1e-8))
    variables = list(p.values())

    def epoch():
        for X, y in nhwc:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    y, forward(tf.constant(X))))
            opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return float(loss)
    return epoch


def native_mxnet(model, opt_name, w, host_batches):
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
    else:
        def block(X, k):
            h = npx.convolution(X, P[f"{k}.weight"], P[f"{k}.bias"], kernel=(3, 3), pad=(1, 1),
                                num_filter=P[f"{k}.weight"].shape[0])
            return npx.pooling(mnp.tanh(h), kernel=(2, 2), stride=(2, 2), pool_type="avg")

        def forward(X):
            h = block(block(X, 0), 3)
            h = mnp.tanh(mnp.dot(h.reshape(h.shape[0], -1), P["7.weight"]) + P["7.bias"])
            return mnp.dot(h, P["9.weight"]) + P["9.bias"]
    opt = (mx.optimizer.SGD(learning_rate=LR[opt_name], momentum=MOMENTUM)
           if opt_name == "SGD-m" else
           mx.optimizer.Adam(learning_rate=LR[opt_name], epsilon=1e-8))
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


def written_out(opt_name: str, sqrt: Callable) -> Callable:
    """The update a user of an array library without optimisers writes (optax's formulas),
    functional: ``update(p, g, state, t) -> (p, state)`` for one array."""
    lr = LR[opt_name]
    if opt_name == "SGD-m":
        def update(p, g, state, t):
            v = MOMENTUM * state.get("v", 0.0) + g
            return p - lr * v, {"v": v}
    else:
        def update(p, g, state, t):
            m = 0.9 * state.get("m", 0.0) + 0.1 * g
            v = 0.999 * state.get("v", 0.0) + 0.001 * g * g
            return p - lr * (m / (1 - 0.9 ** t)) / (sqrt(v / (1 - 0.999 ** t)) + 1e-8), \
                {"m": m, "v": v}
    return update


def native_numpy(model, opt_name, w, host_batches):
    if model != "MLP":
        return None
    import autograd
    import autograd.numpy as anp
    names = ("1.weight", "1.bias", "3.weight", "3.bias")
    params = [np.array(w[k]) for k in names]

    def loss_fn(p, X, y):
        h = anp.maximum(X.reshape(len(X), -1) @ p[0] + p[1], 0)
        o = h @ p[2] + p[3]
        m = anp.max(o, axis=1, keepdims=True)
        lse = anp.log(anp.sum(anp.exp(o - m), axis=1)) + m[:, 0]
        return anp.mean(lse - o[np.arange(len(y)), y])
    step = autograd.value_and_grad(loss_fn)
    update = written_out(opt_name, np.sqrt)
    state = {"t": 0, "slots": [{} for _ in params]}

    def epoch():
        for X, y in host_batches:
            loss, g = step(params, X, y)
            state["t"] += 1
            for i, gv in enumerate(g):
                params[i], state["slots"][i] = update(params[i], gv, state["slots"][i],
                                                      state["t"])
        return float(loss)
    return epoch


def native_jax(model, opt_name, w, host_batches):
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
    update = written_out(opt_name, jnp.sqrt)
    state = {"t": 0, "slots": {k: {} for k in p}}

    def epoch():
        for X, y in host_batches:
            loss, g = step(p, jnp.asarray(X), jnp.asarray(y))
            state["t"] += 1
            for k in p:
                p[k], state["slots"][k] = update(p[k], g[k], state["slots"][k], state["t"])
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
            for opt in OPTIMISERS:
                fused, weights = mlbook_epoch(model, opt, host)
                reference, _ = mlbook_epoch(model, opt, host, fused=False)
                native = NATIVE[name](model, opt, weights, host)
                runs = {"fused": fused, "reference": reference}
                if ops.parameters.can_compile():
                    runs["compiled"], _ = mlbook_epoch(model, opt, host, compile=True)
                if native:
                    runs["native"] = native
                for fn in runs.values():                          # warm-up epoch
                    fn()
                times: dict[str, list[float]] = {k: [] for k in runs}
                for _ in range(args.rounds):                      # alternate, one epoch each
                    for k, fn in runs.items():
                        times[k].append(seconds(fn))
                med = {k: statistics.median(v) for k, v in times.items()}
                rows.append((name, model, opt, med))
                print(f"{name:<11} {model:<6} {opt:<6} " + "  ".join(
                    f"{k} {v:7.4f} s" for k, v in med.items()), file=sys.stderr)
    table("training", "One training epoch on the digits: mlbook against native training loops",
          ["backend", "model", "optimiser", "native (s/epoch)", "mlbook, reference update",
           "mlbook (s/epoch)", "mlbook / native", "compiled step", "compiled / native"],
          [(name, model, opt, med.get("native"), med["reference"], med["fused"],
            med["fused"] / med["native"] if med.get("native") else None, med.get("compiled"),
            med["compiled"] / med["native"] if med.get("compiled") and med.get("native")
            else None) for name, model, opt, med in rows],
          ["", "", "", ".4f", ".4f", ".4f", ".2f", ".4f", ".2f"], args.save,
          chart={"label": ["backend", "model", "optimiser"],
                 "bars": ["native (s/epoch)", "mlbook (s/epoch)", "compiled step"],
                 "unit": "seconds per epoch"},
          note="23 minibatches of 64; median of the rounds, every variant alternating in one "
               "process.")
    lenet = {(n, o): med["fused"] for n, m, o, med in rows if m == "LeNet"}
    for opt in OPTIMISERS:
        if ("numpy", opt) in lenet and ("torch", opt) in lenet:
            print(f"\nnumpy / torch, mlbook's LeNet epoch with {opt}: "
                  f"{lenet['numpy', opt] / lenet['torch', opt]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
