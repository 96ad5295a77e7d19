"""The backend records: every list of backends derives from them, and each backend's
parameters behave alike whether its arrays are mutable or not (JAX's are not)."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import mlbook as mb
from mlbook import backends, config, nn, optim
from mlbook.backends import INTERFACE
from mlbook.records import BY_NAME, RECORDS
from mlbook.site.merge import LABELS

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _benchmark(name: str):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}",
                                                      ROOT / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def test_every_list_of_backends_comes_from_the_records():
    names = tuple(r.name for r in RECORDS)
    assert config.BACKENDS == names
    assert set(LABELS) == set(names) and LABELS["jax"] == "JAX"
    for name in names:
        assert (ROOT / "mlbook" / "backends" / f"{name}.py").is_file()
        assert backends.FRAMEWORKS[name] == (BY_NAME[name].import_name,
                                             BY_NAME[name].distributions[0],
                                             BY_NAME[name].extra)
    extras = (ROOT / "pyproject.toml").read_text()
    for record in RECORDS:
        if record.extra:
            assert f"\n{record.extra} = [" in extras, f"pyproject.toml lacks [{record.extra}]"
            assert record.extra in extras.split("\nall = ")[1].split("\n")[0]


@pytest.mark.parametrize("script", ["overhead", "training"])
def test_every_backend_has_native_benchmark_code(script):
    assert set(_benchmark(script).NATIVE) == set(config.BACKENDS)


def test_backend_of_recognises_each_backends_tensors(backend):
    x = mb.arange(3.0)
    assert backends.backend_of(x) == backend
    p = backends.current().make_parameter(x)
    assert backends.backend_of(p) == backend
    assert backends.backend_of(3.0) is None


def test_every_backend_module_defines_the_interface(backend):
    module = backends.current()
    missing = [name for name in INTERFACE if not hasattr(module, name)]
    assert not missing, f"{backend} lacks {missing}"


def test_parameters_update_through_one_holder(backend):
    """A parameter keeps its identity through updates (on JAX the holder's array is replaced),
    so the module, the optimiser and the user's reference all see the new values."""
    mb.seed(0)
    net = nn.Linear(3, 2)
    weight = net.weight
    before = mb.to_numpy(weight).copy()
    opt = optim.SGD(net, lr=0.5)
    X, y = mb.ones((4, 3)), mb.zeros((4, 2))
    params = net.parameter_dict()
    loss, grads = mb.value_and_grad(
        lambda p: mb.mean((net.functional_call(p, X) - y) ** 2))(params)
    opt.step(grads)
    assert net.weight is weight and opt.params["weight"] is weight
    expected = before - 0.5 * mb.to_numpy(grads["weight"])
    np.testing.assert_allclose(mb.to_numpy(net.weight), expected, rtol=1e-6)
    np.testing.assert_allclose(mb.to_numpy(weight), expected, rtol=1e-6)
    # computing with a parameter gives the framework's own tensor type
    out = net(X)
    assert backends.backend_of(out) == backend and mb.is_tensor(out)
    net.set_parameter("bias", mb.array([1.0, -1.0]))
    np.testing.assert_array_equal(mb.to_numpy(net.bias), [1.0, -1.0])
