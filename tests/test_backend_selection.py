"""Choosing a backend, what gets imported, and the errors for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import mlbook as mb
from mlbook import backends, config
from mlbook.records import RECORDS
from conftest import require_backend

#: The frameworks mlbook may import (numpy's autograd aside), from the backend records.
FRAMEWORK_MODULES = tuple(r.import_name for r in RECORDS if r.name != "numpy")


def run_python(code: str, backend: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != config.ENV_VAR}
    if backend is not None:
        environment[config.ENV_VAR] = backend
    environment.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=environment, timeout=300)


@pytest.mark.parametrize("spelling, expected", [
    ("numpy", "numpy"), ("np", "numpy"), ("NumPy", "numpy"), ("mxnet", "mxnet"), ("MX", "mxnet"),
    ("torch", "torch"), ("PyTorch", "torch"), ("tensorflow", "tensorflow"), ("TF", "tensorflow"),
    (" tf ", "tensorflow"), ("JAX", "jax"),
])
def test_names_and_aliases(spelling, expected):
    assert config.canonical_name(spelling) == expected


def test_every_record_name_and_alias_is_accepted():
    for record in RECORDS:
        for spelling in (record.name, *record.aliases):
            assert config.canonical_name(spelling.upper()) == record.name
    assert config.BACKENDS == tuple(r.name for r in RECORDS)
    assert set(backends.FRAMEWORKS) == set(backends.DISTRIBUTIONS) == set(config.BACKENDS)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError) as err:
        mb.set_backend("caffe")
    message = str(err.value)
    assert "'caffe'" in message
    for name in config.BACKENDS:
        assert name in message


def test_default_is_numpy_and_import_loads_no_other_framework():
    result = run_python("""
        import sys, mlbook as mb
        x = mb.sum(mb.arange(6))
        print(mb.backend(), int(x))
        print(sorted(m for m in %r if m in sys.modules))
    """ % (FRAMEWORK_MODULES,))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["numpy 15", "[]"]


@pytest.mark.parametrize("record", [r for r in RECORDS if r.name != "numpy"],
                         ids=lambda r: r.name)
def test_env_var_selects_backend_and_imports_only_it(record):
    name = record.name
    require_backend(name)
    spelling = (record.aliases[0] if record.aliases else name).upper()
    result = run_python("""
        import sys, mlbook as mb
        from mlbook import backends
        x = mb.arange(3)
        print(mb.backend(), backends.backend_of(x))
        print(sorted(m for m in %r if m in sys.modules))
    """ % (FRAMEWORK_MODULES,), backend=spelling)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[0] == f"{name} {name}"
    # the framework alone may import others (TensorFlow Lite imports JAX when it is there);
    # mlbook must add none
    alone = run_python("""
        import sys, numpy
        numpy.bool = numpy.bool_          # as mlbook's MXNet backend does, for mxnet 1.9.1
        import %s
        print(sorted(m for m in %r if m in sys.modules))
    """ % (record.import_name, FRAMEWORK_MODULES))
    assert record.import_name in lines[1]
    assert lines[1] == alone.stdout.split("\n")[0]


def test_env_var_with_unknown_name_fails_at_import():
    result = run_python("import mlbook", backend="caffe")
    assert result.returncode != 0
    assert "ValueError" in result.stderr and "MLBOOK_BACKEND='caffe'" in result.stderr
    assert "tensorflow (tf)" in result.stderr


BLOCK_TORCH = """
    import importlib.util
    _find = importlib.util.find_spec
    importlib.util.find_spec = lambda name, *a: None if name == "torch" else _find(name, *a)
"""


def test_missing_framework_names_the_extra():
    result = run_python(BLOCK_TORCH + """
    import mlbook
    try:
        mlbook.set_backend("pytorch")
    except ImportError as err:
        print(err)
    """)
    assert result.returncode == 0, result.stderr
    assert "'torch'" in result.stdout and 'pip install "mlbook[torch]"' in result.stdout


def test_missing_framework_from_env_fails_on_first_use():
    result = run_python(BLOCK_TORCH + """
    import mlbook
    print(mlbook.backend())
    mlbook.zeros(3)
    """, backend="torch")
    assert result.returncode != 0
    assert result.stdout.strip() == "torch"
    assert "ImportError" in result.stderr and 'mlbook[torch]' in result.stderr


def test_set_backend_switches_and_returns_canonical_name(backend):
    assert mb.backend() == backend
    assert mb.set_backend("np") == "numpy"
    assert mb.backend() == "numpy"
    assert isinstance(mb.zeros(2), np.ndarray)


def test_tensor_of_another_backend_is_a_type_error(backend):
    others = [name for name in config.BACKENDS if name not in (backend, "numpy")]
    for other in others:
        require_backend(other)
        mb.set_backend(other)
        foreign = mb.arange(3.0)
        mb.set_backend(backend)
        for call in (lambda: mb.exp(foreign), lambda: mb.sum(foreign),
                     lambda: mb.maximum(mb.zeros(3), foreign), lambda: mb.array(foreign),
                     lambda: mb.concat([mb.zeros(3), foreign])):
            with pytest.raises(TypeError) as err:
                call()
            assert f"got a {other} tensor" in str(err.value)
            assert f"active mlbook backend is {backend!r}" in str(err.value)


def test_backend_of_names_frameworks_without_importing_them():
    assert backends.backend_of(np.zeros(1)) == "numpy"
    assert backends.backend_of([1, 2]) is None


# --------------------------------------------------------------------------- clear errors
def test_shape_mismatch_errors(backend):
    a, b = mb.ones((2, 3)), mb.ones((4, 5))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not align"):
        mb.matmul(a, b)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        mb.maximum(a, mb.ones((3, 2)))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        mb.broadcast_to(a, (4, 4))
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\)"):
        mb.reshape(a, (4, -1))
    with pytest.raises(ValueError, match="concat along axis 0"):
        mb.concat([a, b])
    with pytest.raises(ValueError, match="stack needs tensors of one shape"):
        mb.stack([a, b])
    with pytest.raises(ValueError, match="mv needs a matrix and a vector"):
        mb.mv(a, a)
    with pytest.raises(ValueError, match="squeeze: axis 1"):
        mb.squeeze(a, 1)
    with pytest.raises(ValueError, match="cannot split an axis of length 3 into 2"):
        mb.split(a, 2, axis=1)


def test_other_bad_input(backend):
    with pytest.raises(ValueError, match="unknown dtype 'float8'"):
        mb.zeros(3, dtype="float8")
    with pytest.raises(ValueError, match="item\\(\\) needs a tensor with one element"):
        mb.item(mb.ones(2))
    with pytest.raises(IndexError, match="index 5 is out of range for axis 0 with length 3"):
        mb.take(mb.ones(3), [0, 5])
    with pytest.raises(TypeError, match="indices must be integers"):
        mb.take(mb.ones(3), mb.array([0.0]))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        mb.sum(mb.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="unsupported ord"):
        mb.norm(mb.ones(2), ord=3)
    with pytest.raises(TypeError, match="cannot make a tensor"):
        mb.array(["a", "b"])
    with pytest.raises(ValueError, match="not a permutation"):
        mb.transpose(mb.ones((2, 3)), (0, 0))
    with pytest.raises(ValueError, match="index_update: value of shape"):
        mb.index_update(mb.ones((2, 3)), 0, mb.ones(2))
