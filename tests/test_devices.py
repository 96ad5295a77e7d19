"""Devices: on a machine without a GPU every backend falls back to the CPU."""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from mlbook import data, losses, nn, ops, optim, train
from helpers import check, framework_gpus


def test_cpu_fallback(backend):
    x = mb.arange(3.0)
    assert mb.device_of(x) == mb.cpu() and repr(mb.cpu()) == "cpu" and repr(mb.gpu(1)) == "gpu:1"
    n = mb.num_gpus()
    assert mb.try_gpu() == (mb.gpu(0) if n else mb.cpu())
    assert mb.try_gpu(5) == (mb.gpu(5) if n > 5 else mb.cpu())
    assert mb.try_all_gpus() == ([mb.gpu(i) for i in range(n)] or [mb.cpu()])
    y = mb.to_device(x, mb.try_gpu())
    check(y, np.arange(3.0, dtype="float32"))
    assert mb.device_of(y) == mb.try_gpu()
    assert mb.to_device(x, mb.cpu()) is x


def test_missing_gpu_is_a_clear_error(backend):
    n = mb.num_gpus()
    with pytest.raises(ValueError, match=f"gpu:{n} does not exist.*try_gpu"):
        mb.to_device(mb.ones(2), mb.gpu(n))


# --------------------------------------------------------------------------- networks and fit
def _data():
    mb.seed(0)
    X = mb.normal(0, 1, (64, 4))
    y = mb.astype(mb.sum(X, 1) > 0, "int64")
    return data.load_array((X, y), 16, is_train=False)


class Tied(nn.Module):
    """Two layers sharing one weight matrix, and a batch-norm buffer."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)
        self.b.weight = self.a.weight
        self.norm = nn.BatchNorm(4)
        self.out = nn.Linear(4, 2)

    def forward(self, X):
        return self.out(self.norm(mb.relu(self.b(mb.relu(self.a(X))))))


def _train(device, optimizer=optim.Adam):
    mb.seed(1)
    net = Tied()
    opt = optimizer(net.parameters(), lr=0.05)        # a list: holds the tensors themselves
    it = _data()
    history = train.fit(net, it, losses.cross_entropy, opt, 3, it, progress=False,
                           device=device)
    return net, history


def test_fit_on_a_missing_gpu_falls_back_to_the_cpu_and_says_so(backend):
    reference, expected = _train(None)
    missing = mb.gpu(mb.num_gpus())
    with pytest.warns(RuntimeWarning, match=f"{missing!r} is not available.*training on the CPU"):
        net, history = _train(missing)
    assert history == expected
    assert all(mb.device_of(p) == mb.cpu() for p in net.parameters())


def test_fit_moves_the_network_and_the_optimiser_together(backend, monkeypatch):
    """Pretend every tensor lives on a GPU, so that fit(device=cpu) really moves the network,
    its buffers, the optimiser's tensors and every minibatch: training must be unchanged, the
    tied weight still tied, and the optimiser must update the moved parameters."""
    reference, expected = _train(None, optim.SGD)
    monkeypatch.setattr(ops.devices, "placement", lambda x: ("gpu", 0))
    mb.seed(1)
    net = Tied()
    before = {id(p) for p in net.parameters()}
    opt = optim.SGD(net.parameters(), lr=0.05)
    it = _data()
    history = train.fit(net, it, losses.cross_entropy, opt, 3, it, progress=False,
                           device=mb.cpu())
    assert not before & {id(p) for p in net.parameters()}      # every parameter was replaced
    assert net.b.weight is net.a.weight                         # ... and stays shared
    assert [id(p) for p in opt.params.values()] == [id(p) for p in net.parameters()]
    np.testing.assert_allclose(history["train_loss"], expected["train_loss"], rtol=1e-6)
    for (name, p), q in zip(net.named_parameters(), reference.parameters()):
        check(p, mb.to_numpy(q), rtol=1e-5, atol=1e-6)
    check(net.norm.running_mean, mb.to_numpy(reference.norm.running_mean), rtol=1e-5, atol=1e-6)


class Probe(nn.Module):
    """Records, at each call, where its input and the weight of the next layer live
    (meaningful outside gradient computations only, which trace tensors into new objects)."""

    def __init__(self, where, next_weight):
        super().__init__()
        self.where, self.next_weight, self.seen = where, next_weight, []

    def forward(self, X):
        self.seen.append((self.where(X), self.where(self.next_weight())))
        return X


def test_lazy_layers_are_created_on_the_host_then_moved(backend, monkeypatch):
    """With lazy layers, the first forward pass (which creates their parameters on the host)
    must see the host minibatch and the host network, and only then may the whole network go
    to the device: on a real GPU, a mix of the two fails.  A pretend GPU: tensors that
    ``move`` returns count as on it."""
    def make():
        mb.seed(2)
        return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.LazyLinear(2))

    def losses_of(net, device):
        trainer = train.Trainer(net, losses.cross_entropy, optim.SGD(net, lr=0.1),
                                device=device)
        return [float(mb.item(trainer.step(X, y)[0])) for X, y in _data()]

    expected = losses_of(make(), None)
    on_gpu, keep = set(), []                    # keep: no id is reused while the test runs
    real_move, real_move_parameter = ops.devices.move, ops.devices.move_parameter

    def pretend(real):
        def move(x, kind, index):
            out = real(x, "cpu", 0)
            out = out + 0 if out is x else out
            if kind == "gpu":
                on_gpu.add(id(out))
                keep.append(out)
            return out
        return move

    def where(x):
        return "gpu" if id(x) in on_gpu else "cpu"

    monkeypatch.setattr(ops.devices, "placement", lambda x: (where(x), 0))
    monkeypatch.setattr(ops.devices, "move", pretend(real_move))
    monkeypatch.setattr(ops.devices, "move_parameter", pretend(real_move_parameter))
    monkeypatch.setattr(mb.devices, "num_gpus", lambda: 1)
    monkeypatch.setattr(train, "num_gpus", lambda: 1)
    net = make()
    probe = Probe(where, lambda: net[1][0].weight)
    net = nn.Sequential(probe, net)
    got = losses_of(net, mb.gpu(0))
    assert probe.seen[0] == ("cpu", "cpu")                       # created on the host,
    assert len(probe.seen) > 1                                   # then trained on the device
    assert {where(p) for p in net.parameters()} == {"gpu"}
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_optimiser_state_follows_replaced_tensors(backend):
    mb.seed(0)
    net = nn.Linear(3, 1)
    opt = optim.SGD(net, lr=0.1, momentum=0.9)
    g = {n: mb.ones_like(p) for n, p in net.parameter_dict().items()}
    opt.step(g)
    old = net.parameter_dict()
    net_copy = {id(p): ops.make_parameter(mb.array(p)) for p in old.values()}
    opt.replace_tensors(net_copy)
    opt.step(g)
    new = [net_copy[id(p)] for p in old.values()]
    # momentum carried over: the second step moves by lr * (0.9 * 1 + 1) = 0.19 from the first
    for p_old, p_new in zip(old.values(), new):
        check(p_new, mb.to_numpy(p_old) - 0.19, rtol=1e-6, atol=1e-6)


def test_module_to_device(backend):
    net = Tied()
    params = net.parameters()
    assert net.to_device(mb.cpu()) is net and net.parameters() == params   # already there
    n = mb.num_gpus()
    with pytest.raises(ValueError, match=f"gpu:{n} does not exist.*try_gpu"):
        net.to_device(mb.gpu(n))
    with pytest.raises(TypeError, match="mb.cpu\\(\\) or mb.gpu\\(0\\)"):
        net.to_device("cuda")


def test_num_gpus_is_the_frameworks_own_count(backend):
    assert mb.num_gpus() == framework_gpus(backend)
