"""Module mechanics: names, sharing, lazy shapes, modes, initialisers, save/load across
backends."""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from mlbook import init, nn, optim
from helpers import check


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 16)
        self.out = nn.Linear(16, 3)

    def forward(self, x):
        return self.out(mb.relu(self.hidden(x)))


class FixedHidden(nn.Module):
    """The book's control-flow block: a constant weight, a shared layer, a while loop."""

    def __init__(self):
        super().__init__()
        self.rand_weight = mb.uniform(0, 1, (20, 20))
        self.linear = nn.Linear(20, 20)

    def forward(self, x):
        x = self.linear(x)
        x = mb.relu(mb.matmul(x, self.rand_weight) + 1)
        x = self.linear(x)
        while mb.item(mb.sum(mb.abs(x))) > 1:
            x = x / 2
        return mb.sum(x)


def test_named_parameters_and_children(backend):
    net = nn.Sequential(MLP(), nn.Linear(3, 2))
    names = [n for n, _ in net.named_parameters()]
    assert names == ["0.hidden.weight", "0.hidden.bias", "0.out.weight", "0.out.bias",
                     "1.weight", "1.bias"]
    assert [type(c).__name__ for c in net.children()] == ["MLP", "Linear"]
    assert len(net.parameters()) == 6 and isinstance(net[1], nn.Linear) and len(net) == 2
    assert mb.shape(net(mb.normal(0, 1, (4, 20)))) == (4, 2)
    assert "Linear(in_features=3, out_features=2)" in repr(net)


def test_shared_layer_appears_once_and_gets_both_gradients(backend):
    shared = nn.Linear(4, 4)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), shared, nn.ReLU(), shared, nn.Linear(4, 1))
    names = [n for n, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias"]
    x = mb.normal(0, 1, (5, 3))
    _, g = mb.value_and_grad(lambda p: mb.sum(net.functional_call(p, x)))(net.parameter_dict())
    # the shared weight's gradient is the sum over both uses: check against finite differences
    p = net.parameter_dict()
    w = mb.to_numpy(p["2.weight"]).astype("float64")
    eps, (i, j) = 1e-2, (1, 2)

    def f(delta):
        w2 = w.copy()
        w2[i, j] += delta
        q = dict(p)
        q["2.weight"] = mb.array(w2.astype("float32"))
        return float(mb.item(mb.sum(net.functional_call(q, x))))

    numeric = (f(eps) - f(-eps)) / (2 * eps)
    assert abs(float(mb.to_numpy(g["2.weight"])[i, j]) - numeric) < 2e-3


def test_control_flow_block(backend):
    mb.seed(0)
    net = FixedHidden()
    value = mb.item(net(mb.uniform(0, 1, (2, 20))))
    assert abs(value) <= 1


def test_lazy_linear_infers_input_size(backend):
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.Dense(2))
    assert not net.is_initialized() and net.parameters() == []
    net(mb.ones((3, 5)))
    assert net.is_initialized()
    assert [mb.shape(p) for p in net.parameters()] == [(5, 8), (8,), (8, 2), (2,)]
    with pytest.raises(ValueError, match=r"Linear\(5, 8\) got an input with 4 features"):
        net(mb.ones((3, 4)))


def test_train_eval_flags(backend):
    net = nn.Sequential(nn.Dropout(0.5))
    x = mb.ones((10, 10))
    assert not net.training
    with mb.train_mode():
        assert net.training and (mb.to_numpy(net(x)) == 0).any()
        net.eval()
        assert not net.training and (mb.to_numpy(net(x)) == 1).all()
    net.train()
    assert net[0].training


def test_functional_call_restores_parameters(backend):
    net = nn.Linear(2, 1, weight_init=init.ones())
    x = mb.ones((1, 2))
    other = {"weight": mb.full((2, 1), 3.0), "bias": mb.full((1,), 1.0)}
    check(net.functional_call(other, x), np.array([[7.0]], "float32"))
    check(net(x), np.array([[2.0]], "float32"))
    with pytest.raises(KeyError, match="no sub-module"):
        net.functional_call({"nope.weight": mb.ones(1)}, x)


def test_initializers_are_the_same_on_every_backend(all_backends):
    draws = {}
    for b in all_backends:
        mb.set_backend(b)
        mb.seed(3)
        net = nn.Sequential(nn.Linear(4, 3, weight_init=init.normal(0, 0.01)),
                            nn.Conv2d(1, 2, 3, weight_init=init.kaiming()), nn.Linear(3, 2))
        net.initialize(init.constant(0.5), kind="bias")
        draws[b] = net.state_dict()
    for b in all_backends[1:]:
        for k, v in draws[all_backends[0]].items():
            np.testing.assert_array_equal(draws[b][k], v, err_msg=f"{k} on {b}")
    first = draws[all_backends[0]]
    assert np.allclose(first["0.bias"], 0.5)
    assert abs(first["0.weight"].std() - 0.01) < 0.01


def test_xavier_and_kaiming_scales():
    mb.seed(0)
    w = init.xavier("uniform")((400, 600), 400, 600)
    assert abs(w.std() - np.sqrt(2 / 1000)) < 0.002 and w.dtype == np.float32
    assert abs(w.max() - np.sqrt(6 / 1000)) < 0.005
    k = init.kaiming()((512, 256), 512, 256)
    assert abs(k.std() - np.sqrt(2 / 512)) < 0.003


def test_save_on_one_backend_load_on_every_other(all_backends, tmp_path):
    path = tmp_path / "mlp.npz"
    mb.set_backend(all_backends[0])
    mb.seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm(2), nn.Flatten(), nn.Linear(32, 3))
    x = np.random.default_rng(0).normal(size=(2, 1, 6, 6)).astype("float32")
    with mb.train_mode():
        net(mb.array(x))                           # moves the BatchNorm running statistics
    net.save(path)
    expected = mb.to_numpy(net(mb.array(x)))
    assert sorted(np.load(path).files) == sorted(net.state_dict())
    for b in all_backends:
        mb.set_backend(b)
        mb.seed(99)                                # different initial weights
        clone = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm(2), nn.Flatten(), nn.Linear(32, 3))
        clone.load(path)
        np.testing.assert_allclose(mb.to_numpy(clone(mb.array(x))), expected, rtol=1e-4,
                                   atol=1e-5, err_msg=b)


def test_state_dict_is_a_snapshot_that_training_does_not_change(backend):
    mb.seed(0)
    net = nn.Linear(3, 2)
    saved = net.state_dict()
    before = {k: v.copy() for k, v in saved.items()}
    x = mb.normal(0, 1, (4, 3))
    grads = mb.grad(lambda p: mb.sum(net.functional_call(p, x) ** 2))(net.parameter_dict())
    optim.SGD(net, lr=0.5).step(grads)                      # updates the parameters in place
    assert not np.allclose(mb.to_numpy(net.weight), before["weight"])
    for name in saved:
        np.testing.assert_array_equal(saved[name], before[name], err_msg=name)
    net.load_state_dict(saved)                              # back to the start
    np.testing.assert_array_equal(mb.to_numpy(net.weight), before["weight"])


def test_load_mismatch_lists_every_problem(backend, tmp_path):
    path = tmp_path / "a.npz"
    nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2)).save(path)
    other = nn.Sequential(nn.Linear(4, 5), nn.Linear(5, 2), nn.Linear(2, 1))
    with pytest.raises(ValueError) as err:
        other.load(path)
    text = str(err.value)
    assert "missing from the file: 2.weight, 2.bias" in text
    assert "0.weight: file (4, 3) vs model (4, 5)" in text and "1.weight: file (3, 2)" in text
    before = mb.to_numpy(other[0].weight)
    np.testing.assert_array_equal(mb.to_numpy(other[0].weight), before)   # nothing assigned


def test_save_is_atomic(backend, tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    net = nn.Linear(2, 2)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(OSError, match="disk full"):
        net.save(path)
    assert list(tmp_path.iterdir()) == []


def test_module_errors(backend):
    class Forgot(nn.Module):
        def __init__(self):
            self.w = 1

    with pytest.raises(RuntimeError, match="must call super"):
        Forgot()
    with pytest.raises(TypeError, match="Sequential takes Modules"):
        nn.Sequential(nn.Linear(2, 2), "relu")
    with pytest.raises(ValueError, match="3 channels but the weight expects 1"):
        nn.Conv2d(1, 2, 3)(mb.ones((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="kernel 5 is larger"):
        nn.MaxPool2d(5)(mb.ones((1, 1, 3, 3)))
    with pytest.raises(ValueError, match="cannot assign shape"):
        nn.Linear(2, 2).set_parameter("weight", mb.ones((3, 3)))
