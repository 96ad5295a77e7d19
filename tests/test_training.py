"""Training agreement: with the same seed, an MLP and a LeNet-style CNN trained on the digits
follow the same loss curve on all four backends, and reach the accuracy a user expects.

Tolerance: every one of the 230 minibatch losses within 1e-5 (absolute) of the numpy
backend's; measured differences are below 5e-7.  Why these models: their activations are
smooth (tanh) or their optimiser has no momentum.  A ReLU CNN trained with momentum 0.9
diverges between backends after 70-180 steps: float32 rounding differs by ~1e-7, a unit whose
pre-activation sits at 0 flips on one backend and not on another, and the trajectories separate
(chaotically, not because a backend computes a different function; the layer tests check
each layer's values and gradients).
"""

from __future__ import annotations

import numpy as np

import mlbook as mb
from mlbook import data, losses, nn, optim, train

CURVE_ATOL = 1e-5


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Conv2d(6, 16, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                         nn.Flatten(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 10))


def run(make, optimizer, epochs=10):
    mb.seed(0)
    net = make()
    train_iter, test_iter = data.load_digits(64)
    history = train.fit(net, train_iter, losses.cross_entropy, optimizer(net), epochs, test_iter,
                        progress=False)
    return history


def check_agreement(all_backends, make, optimizer):
    histories = {}
    for b in all_backends:
        mb.set_backend(b)
        histories[b] = run(make, optimizer)
    reference = np.array(histories[all_backends[0]]["step_loss"])
    assert len(reference) == 230                       # 10 epochs of 23 minibatches
    for b in all_backends[1:]:
        curve = np.array(histories[b]["step_loss"])
        np.testing.assert_allclose(curve, reference, rtol=0, atol=CURVE_ATOL, err_msg=b)
    return histories


def test_mlp_same_curve_everywhere_and_accurate(all_backends):
    histories = check_agreement(all_backends, mlp, lambda net: optim.SGD(net, lr=0.3))
    for b, h in histories.items():
        assert h["test_acc"][-1] >= 0.95, f"{b}: test accuracy {h['test_acc'][-1]:.3f}"
        assert h["step_loss"][-1] < 0.3 < h["step_loss"][0]


def test_lenet_same_curve_everywhere_and_accurate(all_backends):
    histories = check_agreement(all_backends, lenet, lambda net: optim.Adam(net, lr=0.01))
    for b, h in histories.items():
        assert h["test_acc"][-1] >= 0.95, f"{b}: test accuracy {h['test_acc'][-1]:.3f}"


def test_trainer_with_lazy_layers_dropout_and_clipping(backend):
    mb.seed(0)
    net = nn.Sequential(nn.Flatten(), nn.LazyLinear(32), nn.ReLU(), nn.Dropout(0.2),
                        nn.LazyLinear(10))
    trainer = train.Trainer(net, losses.cross_entropy, optim.Adam(net, lr=0.01), clip=1.0)
    train_iter, test_iter = data.load_digits(64)
    history = trainer.fit(train_iter, 3, test_iter, progress=False)
    assert net.is_initialized() and len(history["train_loss"]) == 3
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["test_acc"][-1] > 0.8


def test_regression_fit_recovers_weights(backend):
    mb.seed(0)
    X, y = data.synthetic_data(mb.array([2.0, -3.4]), 4.2, 1000)
    net = nn.Linear(2, 1)
    history = train.fit(net, data.load_array((X, y), 10), losses.mse_loss,
                        optim.SGD(net, lr=0.03), 3, classify=False, progress=False)
    assert set(history) == {"step_loss", "train_loss"}
    np.testing.assert_allclose(mb.to_numpy(net.weight)[:, 0], [2.0, -3.4], atol=0.01)
    np.testing.assert_allclose(mb.to_numpy(net.bias), [4.2], atol=0.01)
