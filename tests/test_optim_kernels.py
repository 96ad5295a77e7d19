"""Fused optimiser updates: each backend's kernels (and compiled updates) against the reference
update, :meth:`Optimizer.delta` applied per parameter.

Tolerance: parameters within 1e-6 (absolute, values of order 1) after 10 steps, for every
option (momentum, weight decay, epsilon, betas), with parameter groups that have their own rate
and decay, and with a learning-rate schedule.  Kernels differ from the reference in rounding
only (fused multiply-adds, a rescaled gradient on MXNet's Adam): measured at most 4.8e-7;
numpy's in-place kernels are bit for bit the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from mlbook import backends, losses, nn, ops, optim, train

TOL = 1e-6
SHAPES = [(3, 4), (4,), (2, 2, 3), (5, 1)]

CASES = [
    (optim.SGD, {}),
    (optim.SGD, {"momentum": 0.9}),
    (optim.SGD, {"momentum": 0.5, "weight_decay": 0.05}),
    (optim.Adam, {}),
    (optim.Adam, {"betas": (0.8, 0.99), "eps": 0.1, "weight_decay": 0.01}),
    (optim.RMSProp, {}),
    (optim.RMSProp, {"gamma": 0.7, "eps": 0.1, "weight_decay": 0.01}),
    (optim.Adagrad, {}),
    (optim.Adagrad, {"eps": 0.1, "weight_decay": 0.01}),
]

#: How each optimiser updates on each backend (documented in the README's "Optimisers").
PATHS = {
    "numpy": {"SGD": "kernel", "Adam": "kernel", "RMSProp": "kernel", "Adagrad": "kernel"},
    "torch": {"SGD": "kernel", "Adam": "kernel", "RMSProp": "kernel", "Adagrad": "kernel"},
    "mxnet": {"SGD": "kernel", "Adam": "kernel", "RMSProp": "kernel", "Adagrad": "reference"},
    "tensorflow": {"SGD": "kernel", "Adam": "compiled", "RMSProp": "kernel",
                   "Adagrad": "compiled"},
    "jax": {"SGD": "compiled", "Adam": "compiled", "RMSProp": "compiled",
            "Adagrad": "compiled"},
}


def strided(rng, shape):
    """A tensor of ``shape`` whose memory is laid out in the reverse axis order (a transposed
    view, where the backend keeps views): kernels must read it by its strides."""
    a = rng.normal(size=shape[::-1]).astype(np.float32)
    return mb.transpose(mb.array(a), tuple(range(len(shape)))[::-1])


def run(cls, kw, fused, groups=False, schedule=False, steps=10, layout="contiguous"):
    """``layout="strided parameters"``: parameters made from transposed numpy arrays;
    ``"strided gradients"``: gradients given as transposed tensors."""
    rng = np.random.default_rng(1)
    if layout == "strided parameters":
        ps = [ops.make_parameter(mb.array(rng.normal(size=s[::-1]).astype(np.float32).T))
              for s in SHAPES]
    else:
        ps = [ops.make_parameter(mb.array(rng.normal(size=s).astype(np.float32)))
              for s in SHAPES]
    params = ([{"params": ps[:2], "lr": 0.02, "weight_decay": 0.1}, {"params": ps[2:]}]
              if groups else ps)
    opt = cls(params, lr=0.05, fused=fused, **kw)
    for t in range(steps):
        if schedule:
            opt.lr = 0.05 * 0.7 ** t
        if layout == "strided gradients":
            opt.step([strided(rng, s) for s in SHAPES])
        else:
            opt.step([mb.array(rng.normal(size=s).astype(np.float32)) for s in SHAPES])
    return [mb.to_numpy(p) for p in ps], opt.update_path


@pytest.mark.parametrize("cls, kw", CASES, ids=lambda c: getattr(c, "__name__", str(c)))
@pytest.mark.parametrize("setting", ["plain", "groups", "schedule", "strided parameters",
                                     "strided gradients"])
def test_fused_update_equals_reference(backend, cls, kw, setting):
    """The strided settings: PyTorch's fused Adam once added a contiguous gradient to a
    parameter with transposed strides in memory order, a scrambled update."""
    options = {"groups": setting == "groups", "schedule": setting == "schedule",
               "layout": setting if setting.startswith("strided") else "contiguous"}
    reference, ref_path = run(cls, kw, False, **options)
    fused, path = run(cls, kw, None, **options)
    assert ref_path == "reference"
    assert path == PATHS[backend][cls.__name__]
    for r, f in zip(reference, fused):
        np.testing.assert_allclose(f, r, rtol=0, atol=TOL)
    moved = max(np.abs(r - w).max() for r, w in zip(reference, run(cls, kw, False, steps=0)[0]))
    assert moved > 100 * TOL                           # the comparison is not vacuous


def test_fused_kernels_train_a_network_like_the_reference(backend):
    """Through ``Trainer``: a network's parameters by name, the gradients it computes."""
    results = {}
    for fused in (None, False):
        mb.seed(0)
        net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        opt = optim.Adam([{"params": net[0], "lr": 0.02}, {"params": net[2]}], lr=0.05,
                         fused=fused)
        trainer = train.Trainer(net, losses.cross_entropy, opt)
        X = mb.array(np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32))
        y = mb.array(np.arange(16) % 3)
        for _ in range(10):
            trainer.step(X, y)
        results[fused] = {k: mb.to_numpy(v) for k, v in net.named_parameters()}
    for name, value in results[None].items():
        np.testing.assert_allclose(value, results[False][name], rtol=0, atol=TOL, err_msg=name)


def test_switches(backend, monkeypatch):
    p = ops.make_parameter(mb.ones((2,)))
    assert optim.SGD([p], lr=0.1, fused=False).update_path == "reference"
    monkeypatch.setenv(optim.FUSED_ENV, "0")
    assert optim.Adam([p]).update_path == "reference"
    assert optim.Adam([p], fused=True).update_path == PATHS[backend]["Adam"]
    monkeypatch.setenv(optim.FUSED_ENV, "yes")
    with pytest.raises(ValueError, match="MLBOOK_FUSED='yes'.*use 1.*or 0"):
        optim.SGD([p], lr=0.1).step([mb.ones((2,))])
    monkeypatch.delenv(optim.FUSED_ENV)
    with pytest.raises(ValueError, match="fused must be None"):
        optim.SGD([p], lr=0.1, fused="yes")
    for cls in (optim.SGD, optim.Adam, optim.RMSProp, optim.Adagrad):
        opt = cls([p], lr=0.1, fused=True)
        if PATHS[backend][cls.__name__] == "reference":
            with pytest.raises(ValueError, match=f"{cls.__name__}\\(fused=True\\).*{backend} "
                                                 "backend has no fused kernel"):
                opt.step([mb.ones((2,))])
        else:
            opt.step([mb.ones((2,))])


class HalfSGD(optim.SGD):
    """A reader's variant: a subclass with its own delta must not get SGD's kernel."""

    def delta(self, g, state, lr, constants):
        return 0.5 * lr * g, {}


def test_subclass_with_its_own_delta_runs_its_delta(backend):
    p = ops.make_parameter(mb.ones((3,)))
    opt = HalfSGD([p], lr=0.2)
    assert opt.update_path != "kernel"
    assert opt.update_path == ("compiled" if ops.parameters.can_compile() else "reference")
    opt.step([mb.ones((3,))])
    np.testing.assert_allclose(mb.to_numpy(p), np.full(3, 0.9, np.float32), rtol=1e-7)


def test_kernels_exist_only_for_known_optimisers():
    """A kernel must be named after an optimiser's ``kind`` (else it is never used)."""
    kinds = {c.kind for c in (optim.SGD, optim.Adam, optim.RMSProp, optim.Adagrad)}
    for name in backends.FRAMEWORKS:
        if backends.is_installed(name):
            module = backends.load(name)
            assert set(getattr(module, "OPTIMIZER_KERNELS", {})) <= kinds, name


# ----------------------------------------------------------------------------- compiled steps
def lenet():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(64, 10))


def test_compiled_training_step_equals_eager(backend):
    """``Trainer(compile=True)``: the whole step compiled (jax.jit, tf.function) trains the
    same network to the same parameters as the eager step (1e-6 after 12 steps)."""
    X = mb.array(np.random.default_rng(0).normal(size=(32, 1, 8, 8)).astype(np.float32))
    y = mb.array(np.arange(32) % 10)
    if not ops.parameters.can_compile():
        with pytest.raises(ValueError, match=f"the {backend} backend runs eagerly"):
            train.Trainer(lenet(), losses.cross_entropy, optim.Adam(lenet()), compile=True)
        return                                          # eager backends refuse, as they must
    results = {}
    for compile in (False, True):
        mb.seed(0)
        net = lenet()
        opt = optim.Adam([{"params": net[0], "lr": 0.02}, {"params": net[4]}], lr=0.05,
                         weight_decay=0.01)
        trainer = train.Trainer(net, losses.cross_entropy, opt, compile=compile)
        curve = []
        for t in range(12):
            opt.lr = 0.05 * 0.9 ** t
            loss, _ = trainer.step(X, y)
            curve.append(float(mb.item(loss)))
        results[compile] = curve, {k: mb.to_numpy(v) for k, v in net.named_parameters()}
    np.testing.assert_allclose(results[True][0], results[False][0], rtol=0, atol=1e-6)
    for name, value in results[True][1].items():
        np.testing.assert_allclose(value, results[False][1][name], rtol=0, atol=TOL,
                                   err_msg=name)
    assert results[True][0][-1] < results[True][0][0] - 0.1         # it trained


def test_compiled_steps_on_large_arrays_train_as_eager_ones(backend):
    """Activations and weights of 65,536 elements or more (which the JAX backend compiles
    optimised when they are not part of a traced program): the eager step, the optimiser's
    compiled update and, where the backend compiles, ``Trainer(compile=True)`` train the same
    network to the same losses, also after large operations ran eagerly first."""
    rng = np.random.default_rng(0)
    X = mb.array(rng.normal(size=(16, 1, 32, 32)).astype(np.float32))   # conv: 131,072
    y = mb.array(np.arange(16) % 10)

    def net():
        return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(2048, 40))                # 81,920

    def curve(compile):
        mb.seed(0)
        model = net()
        trainer = train.Trainer(model, losses.cross_entropy, optim.Adam(model, lr=0.01),
                                compile=compile)
        return [float(mb.item(trainer.step(X, y)[0])) for _ in range(5)]

    eager = curve(False)
    assert eager[-1] < eager[0] - 0.5                                   # it trained
    if ops.parameters.can_compile():
        np.testing.assert_allclose(curve(True), eager, rtol=0, atol=1e-5)
    np.testing.assert_allclose(curve(False), eager, rtol=0, atol=0)    # repeatable


def test_compiled_step_refuses_what_it_cannot_compile(backend):
    if not ops.parameters.can_compile():
        with pytest.raises(ValueError, match="does not compile a training step"):
            train.Trainer(lenet(), losses.cross_entropy, optim.Adam(lenet()), compile=True)
        return
    X = mb.array(np.zeros((4, 1, 8, 8), np.float32))
    y = mb.array(np.arange(4))
    with pytest.raises(ValueError, match="does not clip"):
        train.Trainer(lenet(), losses.cross_entropy, optim.Adam(lenet()), clip=1.0,
                      compile=True)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 8), nn.Dropout(0.5), nn.Linear(8, 10))
    trainer = train.Trainer(net, losses.cross_entropy, optim.SGD(net, lr=0.1), compile=True)
    with pytest.raises(ValueError, match="drew random numbers"):
        trainer.step(X, y)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 8), nn.BatchNorm(8), nn.Linear(8, 10))
    trainer = train.Trainer(net, losses.cross_entropy, optim.SGD(net, lr=0.1), compile=True)
    with pytest.raises(ValueError, match="has buffers.*running_mean"):
        trainer.step(X, y)
