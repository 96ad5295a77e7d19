"""Overhead of mlbook's neutral API against the same computation written natively.

For each installed backend, two workloads on float32 data, X of shape 256×784:

* op mix: a forward pass of a 784-256-10 MLP plus a handful of elementwise ops, reductions and
  reshapes (the kind of code a chapter writes);
* MLP step: ``value_and_grad`` of the softmax cross-entropy of that MLP w.r.t. its 4 parameters.

Each workload is written twice, once with mlbook and once with the framework's own API as its
users would write it, and the two are timed alternately in the same process (interleaved
rounds, median of the rounds), so machine noise hits both alike.  Run by hand::

    python benchmarks/overhead.py [--backend torch,tensorflow] [--rounds 15]

It prints a Markdown table of per-call times and the ratio mlbook / native (goal: <= 1.10).
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Callable

import numpy as np

import mlbook as mb
from _harness import each_backend, parse_args, table

N, D, H, K = 256, 784, 256, 10


def make_data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, K, N)
    return {
        "X": rng.normal(size=(N, D)).astype("float32"),
        "W1": (rng.normal(size=(D, H)) * 0.05).astype("float32"),
        "b1": np.zeros(H, "float32"),
        "W2": (rng.normal(size=(H, K)) * 0.05).astype("float32"),
        "b2": np.zeros(K, "float32"),
        "Y": np.eye(K, dtype="float32")[labels],
    }


# ----------------------------------------------------------------------------- mlbook versions
def mlbook_workloads(d: dict[str, np.ndarray]) -> dict[str, Callable[[], object]]:
    X, Y = mb.array(d["X"]), mb.array(d["Y"])
    params = [mb.array(d[k]) for k in ("W1", "b1", "W2", "b2")]

    def op_mix():
        W1, b1, W2, b2 = params
        h = mb.relu(mb.matmul(X, W1) + b1)
        o = mb.matmul(h, W2) + b2
        s = mb.softmax(o)
        e = mb.exp(-mb.abs(o)) + mb.tanh(o) * mb.sigmoid(o)
        m = mb.mean(mb.sum(s * e, axis=1)) + mb.max(mb.reshape(mb.transpose(h), (-1,)))
        return mb.to_numpy(m)

    def loss(p):
        W1, b1, W2, b2 = p
        o = mb.matmul(mb.relu(mb.matmul(X, W1) + b1), W2) + b2
        return mb.mean(mb.logsumexp(o, axis=1) - mb.sum(o * Y, axis=1))

    step = mb.value_and_grad(loss)

    def mlp_step():
        value, grads = step(params)
        return mb.to_numpy(grads[0])

    return {"op mix": op_mix, "MLP value_and_grad": mlp_step}


# ----------------------------------------------------------------------------- native versions
def native_numpy(d):
    import autograd
    import autograd.numpy as anp
    X, Y = d["X"], d["Y"]
    params = [d[k] for k in ("W1", "b1", "W2", "b2")]

    def op_mix():
        W1, b1, W2, b2 = params
        h = anp.maximum(X @ W1 + b1, 0)
        o = h @ W2 + b2
        z = anp.exp(o - o.max(axis=1, keepdims=True))
        s = z / z.sum(axis=1, keepdims=True)
        e = anp.exp(-anp.abs(o)) + anp.tanh(o) * (1 / (1 + anp.exp(-o)))
        return anp.mean(anp.sum(s * e, axis=1)) + anp.max(h.T.reshape(-1))

    def loss(p):
        W1, b1, W2, b2 = p
        o = anp.maximum(X @ W1 + b1, 0) @ W2 + b2
        m = anp.max(o, axis=1, keepdims=True)
        lse = anp.log(anp.sum(anp.exp(o - m), axis=1)) + m[:, 0]
        return anp.mean(lse - anp.sum(o * Y, axis=1))

    step = autograd.value_and_grad(loss)
    return {"op mix": op_mix, "MLP value_and_grad": lambda: step(params)[1][0]}


def native_torch(d):
    import torch
    X, Y = torch.from_numpy(d["X"]), torch.from_numpy(d["Y"])
    params = [torch.from_numpy(d[k]).clone().requires_grad_(True)
              for k in ("W1", "b1", "W2", "b2")]

    def op_mix():
        with torch.no_grad():
            W1, b1, W2, b2 = params
            h = torch.relu(X @ W1 + b1)
            o = h @ W2 + b2
            s = torch.softmax(o, dim=1)
            e = torch.exp(-torch.abs(o)) + torch.tanh(o) * torch.sigmoid(o)
            return (torch.mean(torch.sum(s * e, dim=1)) + torch.max(h.T.reshape(-1))).numpy()

    def mlp_step():
        W1, b1, W2, b2 = params
        o = torch.relu(X @ W1 + b1) @ W2 + b2
        loss = torch.mean(torch.logsumexp(o, dim=1) - torch.sum(o * Y, dim=1))
        grads = torch.autograd.grad(loss, params)
        return grads[0].numpy()

    return {"op mix": op_mix, "MLP value_and_grad": mlp_step}


def native_tensorflow(d):
    import tensorflow as tf
    X, Y = tf.constant(d["X"]), tf.constant(d["Y"])
    params = [tf.Variable(d[k]) for k in ("W1", "b1", "W2", "b2")]

    def op_mix():
        W1, b1, W2, b2 = params
        h = tf.nn.relu(X @ W1 + b1)
        o = h @ W2 + b2
        s = tf.nn.softmax(o, axis=1)
        e = tf.exp(-tf.abs(o)) + tf.tanh(o) * tf.sigmoid(o)
        m = tf.reduce_mean(tf.reduce_sum(s * e, axis=1)) + \
            tf.reduce_max(tf.reshape(tf.transpose(h), [-1]))
        return m.numpy()

    def mlp_step():
        W1, b1, W2, b2 = params
        with tf.GradientTape() as tape:
            o = tf.nn.relu(X @ W1 + b1) @ W2 + b2
            loss = tf.reduce_mean(tf.reduce_logsumexp(o, axis=1) - tf.reduce_sum(o * Y, axis=1))
        grads = tape.gradient(loss, params)
        return grads[0].numpy()

    return {"op mix": op_mix, "MLP value_and_grad": mlp_step}


def native_mxnet(d):
    from mlbook.backends import mxnet as _  # noqa: F401 - applies the numpy.bool fix, set_np()
    from mxnet import autograd, np as mnp, npx
    X, Y = mnp.array(d["X"]), mnp.array(d["Y"])
    params = [mnp.array(d[k]) for k in ("W1", "b1", "W2", "b2")]
    for p in params:
        p.attach_grad()

    def op_mix():
        W1, b1, W2, b2 = params
        h = npx.relu(mnp.dot(X, W1) + b1)
        o = mnp.dot(h, W2) + b2
        s = npx.softmax(o, axis=1)
        e = mnp.exp(-mnp.abs(o)) + mnp.tanh(o) * npx.sigmoid(o)
        m = mnp.mean(mnp.sum(s * e, axis=1)) + mnp.max(h.T.reshape(-1))
        return m.asnumpy()

    def mlp_step():
        W1, b1, W2, b2 = params
        with autograd.record():
            o = mnp.dot(npx.relu(mnp.dot(X, W1) + b1), W2) + b2
            m = mnp.max(o, axis=1, keepdims=True)
            lse = mnp.log(mnp.sum(mnp.exp(o - m), axis=1)) + m[:, 0]
            loss = mnp.mean(lse - mnp.sum(o * Y, axis=1))
        loss.backward()
        return W1.grad.asnumpy()

    return {"op mix": op_mix, "MLP value_and_grad": mlp_step}


def native_jax(d):
    from mlbook.backends import jax as _  # noqa: F401 - the same jax_enable_x64 as mlbook's
    import jax
    import jax.numpy as jnp
    X, Y = jnp.asarray(d["X"]), jnp.asarray(d["Y"])
    params = [jnp.asarray(d[k]) for k in ("W1", "b1", "W2", "b2")]

    def op_mix():
        W1, b1, W2, b2 = params
        h = jax.nn.relu(X @ W1 + b1)
        o = h @ W2 + b2
        s = jax.nn.softmax(o, axis=1)
        e = jnp.exp(-jnp.abs(o)) + jnp.tanh(o) * jax.nn.sigmoid(o)
        m = jnp.mean(jnp.sum(s * e, axis=1)) + jnp.max(h.T.reshape(-1))
        return np.asarray(m)

    def loss(p):
        W1, b1, W2, b2 = p
        o = jax.nn.relu(X @ W1 + b1) @ W2 + b2
        return jnp.mean(jax.nn.logsumexp(o, axis=1) - jnp.sum(o * Y, axis=1))

    step = jax.value_and_grad(loss)                # eager, as mlbook runs it (no jax.jit)
    return {"op mix": op_mix, "MLP value_and_grad": lambda: np.asarray(step(params)[1][0])}


#: Native code per backend: a new backend adds its function here.
NATIVE = {"numpy": native_numpy, "torch": native_torch, "tensorflow": native_tensorflow,
          "mxnet": native_mxnet, "jax": native_jax}


# ----------------------------------------------------------------------------- timing
def per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def compare(ours: Callable[[], object], native: Callable[[], object], rounds: int,
            budget: float = 0.2) -> tuple[float, float]:
    """Median per-call times (ours, native), alternating the two in every round."""
    for _ in range(3):                             # warm up caches, lazy kernels, allocators
        ours(), native()
    calls = max(1, int(budget / max(per_call(native, 3), 1e-6)))
    t_ours, t_native = [], []
    for r in range(rounds):                        # alternate which one goes first
        if r % 2 == 0:
            t_ours.append(per_call(ours, calls))
            t_native.append(per_call(native, calls))
        else:
            t_native.append(per_call(native, calls))
            t_ours.append(per_call(ours, calls))
    return statistics.median(t_ours), statistics.median(t_native)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(__doc__, 15, argv)
    data = make_data()
    rows = []
    for name in each_backend(args.backend):
        ours, native = mlbook_workloads(data), NATIVE[name](data)
        for workload in ours:
            np.testing.assert_allclose(np.asarray(ours[workload]()),
                                       np.asarray(native[workload]()), rtol=1e-4, atol=1e-5)
            t_ours, t_native = compare(ours[workload], native[workload], args.rounds)
            rows.append((name, workload, t_native * 1e3, t_ours * 1e3, t_ours / t_native))
            print(f"{name:<11} {workload:<19} native {t_native * 1e3:8.3f} ms   mlbook "
                  f"{t_ours * 1e3:8.3f} ms   ratio {t_ours / t_native:5.2f}", file=sys.stderr)
    table("overhead", "The neutral API against each framework's own API",
          ["backend", "workload", "native (ms/call)", "mlbook (ms/call)", "mlbook / native"],
          rows, ["", "", ".3f", ".3f", ".2f"], args.save,
          chart={"label": ["backend", "workload"], "bars": ["mlbook / native"],
                 "unit": "mlbook / native (1: as fast as the framework's own API)"},
          note="Median of the rounds, the two alternating in one process; goal: mlbook / "
               "native <= 1.10.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
