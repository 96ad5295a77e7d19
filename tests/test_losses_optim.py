"""Losses against numpy formulas; optimisers against hand-written numpy updates."""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from mlbook import losses, nn, optim, train
from helpers import check

rng = np.random.default_rng(5)
LOGITS = (rng.normal(size=(6, 4)) * 3).astype("float32")
LABELS = rng.integers(0, 4, 6)
PRED = rng.normal(size=(6, 1)).astype("float32")
TARGET = rng.normal(size=(6,)).astype("float32")


def ce_ref(z, y):
    z = z.astype("float64")
    return np.log(np.exp(z).sum(1)) - z[np.arange(len(y)), y]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_losses_match_numpy(backend, reduction):
    red = {"none": lambda v: v, "mean": np.mean, "sum": np.sum}[reduction]
    f32 = lambda v: np.asarray(red(v), "float32")  # noqa: E731
    check(losses.cross_entropy(mb.array(LOGITS), mb.array(LABELS), reduction),
          f32(ce_ref(LOGITS, LABELS)), 1e-5, 1e-5)
    diff = PRED[:, 0].astype("float64") - TARGET
    check(losses.squared_loss(mb.array(PRED), mb.array(TARGET), reduction)
          if reduction != "none" else
          losses.squared_loss(mb.array(PRED[:, 0]), mb.array(TARGET), reduction),
          f32(diff ** 2 / 2), 1e-5, 1e-6)
    check(losses.mse_loss(mb.array(PRED[:, 0]), mb.array(TARGET), reduction), f32(diff ** 2),
          1e-5, 1e-6)
    y01 = (TARGET > 0).astype("float32")
    z = PRED[:, 0].astype("float64")
    p = 1 / (1 + np.exp(-z))
    bce = -(y01 * np.log(p) + (1 - y01) * np.log(1 - p))
    check(losses.binary_cross_entropy_with_logits(mb.array(PRED[:, 0]), mb.array(y01),
                                                  reduction), f32(bce), 1e-5, 1e-6)
    check(losses.binary_cross_entropy(mb.array(p.astype("float32")), mb.array(y01), reduction),
          f32(bce), 1e-4, 1e-5)


def test_cross_entropy_is_stable_and_checks_input(backend):
    z = mb.array([[1000.0, 0.0], [-1000.0, 0.0]])
    check(losses.cross_entropy(z, mb.array([0, 0]), "none"), np.array([0.0, 1000.0], "float32"))
    with pytest.raises(ValueError, match="one more axis"):
        losses.cross_entropy(z, mb.array([0]))
    with pytest.raises(TypeError, match="integer class labels"):
        losses.cross_entropy(z, mb.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="reduction must be"):
        losses.mse_loss(z, z, "avg")
    check(losses.CrossEntropyLoss()(mb.array(LOGITS), mb.array(LABELS)),
          np.float32(ce_ref(LOGITS, LABELS).mean()), 1e-5, 1e-5)


def _numpy_updates(kind, w, grads, **kw):
    w = w.astype("float64").copy()
    state = {"v": 0.0, "m": 0.0, "s": 0.0}
    for t, g in enumerate(grads, 1):
        g = g + kw.get("weight_decay", 0.0) * w
        if kind == "sgd":
            state["v"] = kw.get("momentum", 0.0) * state["v"] + g
            w = w - kw["lr"] * (state["v"] if kw.get("momentum") else g)
        elif kind == "adam":
            state["m"] = 0.9 * state["m"] + 0.1 * g
            state["v"] = 0.999 * state["v"] + 0.001 * g * g
            w = w - kw["lr"] * (state["m"] / (1 - 0.9 ** t)) / (
                np.sqrt(state["v"] / (1 - 0.999 ** t)) + 1e-8)
        elif kind == "rmsprop":
            state["s"] = 0.9 * state["s"] + 0.1 * g * g
            w = w - kw["lr"] * g / np.sqrt(state["s"] + 1e-6)
        elif kind == "adagrad":
            state["s"] = state["s"] + g * g
            w = w - kw["lr"] * g / np.sqrt(state["s"] + 1e-6)
    return w.astype("float32")


@pytest.mark.parametrize("kind, cls, kw", [
    ("sgd", optim.SGD, {"lr": 0.1}),
    ("sgd", optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    ("adam", optim.Adam, {"lr": 0.01}),
    ("rmsprop", optim.RMSProp, {"lr": 0.01}),
    ("adagrad", optim.Adagrad, {"lr": 0.1}),
])
@pytest.mark.parametrize("fused", [None, False], ids=["fused", "reference"])
def test_optimizers_match_numpy(backend, kind, cls, kw, fused):
    w0 = rng.normal(size=(3, 2)).astype("float32")
    grads = [rng.normal(size=(3, 2)).astype("float32") for _ in range(4)]
    net = nn.Linear(3, 2, bias=False)
    net.set_parameter("weight", mb.array(w0))
    opt = cls(net, fused=fused, **kw)
    for g in grads:
        opt.step({"weight": mb.array(g)})
    check(net.weight, _numpy_updates(kind, w0, grads, **kw), 1e-5, 1e-6)


def test_optimizer_on_plain_tensors_and_errors(backend):
    net = nn.Linear(3, 1)
    opt = optim.SGD(net.parameters(), lr=0.5)
    opt.step([mb.ones((3, 1)), mb.ones(1)])
    check(net.bias, np.array([-0.5], "float32"))
    with pytest.raises(ValueError, match="got 1 gradients for 2 parameters"):
        opt.step([mb.ones(1)])
    with pytest.raises(KeyError, match="unknown parameters"):
        optim.SGD(net, lr=0.1).step({"nope": mb.ones(1)})
    with pytest.raises(ValueError, match="gradient for weight has shape"):
        optim.SGD(net, lr=0.1).step({"weight": mb.ones(3)})


def test_clip_grad_norm(backend):
    grads = {"a": mb.array([3.0, 0.0]), "b": mb.array([[4.0]])}
    clipped, norm = optim.clip_grad_norm(grads, 1.0)
    assert abs(norm - 5.0) < 1e-6
    check(clipped["a"], np.array([0.6, 0.0], "float32"))
    check(clipped["b"], np.array([[0.8]], "float32"))
    same, _ = optim.clip_grad_norm(grads, 10.0)
    check(same["a"], np.array([3.0, 0.0], "float32"))


def test_masked_cross_entropy_ignores_padding(backend):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 4, 5)).astype("float32")
    labels = rng.integers(0, 5, (2, 4)).astype("int64")
    valid = np.array([2, 4])
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    per_token = -np.take_along_axis(log_p, labels[..., None], -1)[..., 0]
    expected = (per_token[0, :2].sum() + per_token[1].sum()) / 6
    got = losses.masked_cross_entropy(mb.array(logits), mb.array(labels), mb.array(valid))
    assert mb.item(got) == pytest.approx(expected, rel=1e-5)
    # whatever the model predicts at padded positions does not matter, for value or gradient
    changed = logits.copy()
    changed[0, 2:] = 100.0
    assert mb.item(losses.masked_cross_entropy(mb.array(changed), mb.array(labels),
                                               mb.array(valid))) == pytest.approx(expected,
                                                                                   rel=1e-5)
    g = mb.grad(lambda z: losses.masked_cross_entropy(z, mb.array(labels), mb.array(valid)))(
        mb.array(logits))
    assert np.all(mb.to_numpy(g)[0, 2:] == 0) and np.any(mb.to_numpy(g)[1, 3] != 0)


class _TwoPart(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
        self.output = nn.Linear(4, 2)

    def forward(self, x):
        return self.output(self.features(x))


@pytest.mark.parametrize("kind, cls", [("sgd", optim.SGD), ("adam", optim.Adam)])
def test_parameter_groups_have_their_own_learning_rates(backend, kind, cls):
    net = _TwoPart()
    w_body, w_out = (np.array(mb.to_numpy(p)) for p in (net.features[0].weight, net.output.weight))
    opt = cls([{"params": net.features, "lr": 0.01}, {"params": net.output}], lr=0.1)
    assert list(opt.params) == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]
    assert opt.lr_of("0.0.weight") == pytest.approx(0.01) and opt.lr_of("1.bias") == 0.1
    grads_body = [rng.normal(size=(3, 4)).astype("float32") for _ in range(3)]
    grads_out = [rng.normal(size=(4, 2)).astype("float32") for _ in range(3)]
    for gb, go in zip(grads_body, grads_out):
        opt.step({"0.0.weight": mb.array(gb), "1.weight": mb.array(go)})
    check(net.features[0].weight, _numpy_updates(kind, w_body, grads_body, lr=0.01), 1e-5, 1e-6)
    check(net.output.weight, _numpy_updates(kind, w_out, grads_out, lr=0.1), 1e-5, 1e-6)
    opt.lr = 0.5                                   # a schedule scales every group alike
    assert opt.lr_of("0.0.weight") == pytest.approx(0.05) and opt.lr_of("1.weight") == 0.5


def test_parameter_groups_weight_decay_and_lists(backend):
    a = nn.Linear(2, 1).weight                  # any parameter tensors, as PyTorch's lists
    b = nn.Linear(2, 3).bias
    opt = optim.SGD([{"params": [a], "weight_decay": 0.5}, {"params": {"b": b}}], lr=0.1)
    assert list(opt.params) == ["0.0", "b"]
    a0, b0 = np.array(mb.to_numpy(a)), np.array(mb.to_numpy(b))    # copies: numpy updates in place
    opt.step({"0.0": mb.zeros_like(a), "b": mb.ones(3)})
    check(a, a0 - 0.1 * 0.5 * a0, 1e-6, 1e-7)            # only the decay moved it
    check(b, b0 - 0.1, 1e-6, 1e-7)                       # no decay in this group


def test_trainer_matches_groups_to_the_network_and_freezes_the_rest(backend):
    net = _TwoPart()
    X, y = mb.normal(0, 1, (8, 3)), mb.array(np.arange(8) % 2)
    body_before = net.features.state_dict()
    head_only = optim.SGD([{"params": net.output, "lr": 0.5}], lr=0.1)
    trainer = train.Trainer(net, losses.cross_entropy, head_only)
    w_out = np.array(mb.to_numpy(net.output.weight))
    params = net.parameter_dict()
    _, grads = mb.value_and_grad(lambda p: losses.cross_entropy(net.functional_call(p, X), y))(
        params)
    trainer.step(X, y)
    assert list(head_only.params) == ["output.weight", "output.bias"]   # renamed to the net's
    check(net.output.weight, w_out - 0.5 * mb.to_numpy(grads["output.weight"]), 1e-5, 1e-6)
    for name, value in net.features.state_dict().items():
        np.testing.assert_array_equal(value, body_before[name])        # frozen: not in a group


def test_parameter_group_errors(backend):
    net = _TwoPart()
    with pytest.raises(ValueError, match="may set 'lr' and 'weight_decay'"):
        optim.SGD([{"params": net.output, "momentum": 0.9}], lr=0.1)
    with pytest.raises(ValueError, match="group 1 has no parameters"):
        optim.SGD([{"params": net.output}, {"params": []}], lr=0.1)
    with pytest.raises(ValueError, match="one group only"):
        optim.SGD([{"params": net.output}, {"params": net}], lr=0.1)
    with pytest.raises(TypeError, match="mix of parameter groups"):
        optim.SGD([{"params": net.output}, net.features[0].weight], lr=0.1)
    with pytest.raises(ValueError, match="lr must be non-zero"):
        optim.SGD([{"params": net.output, "lr": 0.1}], lr=0.0)
    opt = optim.Adam([{"params": net.features}, {"params": net.output}], lr=0.1)
    with pytest.raises(KeyError, match=r"optimizer.rename\(net.parameter_dict\(\)\)"):
        opt.step({"output.weight": mb.zeros((4, 2))})
    with pytest.raises(ValueError, match="are not among the given ones"):
        opt.rename(net.output.parameter_dict())
    opt.rename(net.parameter_dict())
    assert list(opt.params) == list(net.parameter_dict())
