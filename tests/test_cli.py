"""The ``mlbook`` command line."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

import pytest

from conftest import require_backend
from mlbook import cli, config


def run_cli(*args: str, backend: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != config.ENV_VAR}
    if backend:
        env[config.ENV_VAR] = backend
    return subprocess.run([sys.executable, "-m", "mlbook", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_info_lists_every_backend_with_version_and_import_status():
    for name in config.BACKENDS:
        require_backend(name)
    result = run_cli("info", backend="tf")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "selected backend: tensorflow (from MLBOOK_BACKEND)" in out
    rows = {line.split()[0]: line for line in out.splitlines()
            if line.split() and line.split()[0] in config.BACKENDS}
    assert set(rows) == set(config.BACKENDS)
    assert rows["torch"].split()[1:] == ["torch", importlib.metadata.version("torch"), "yes"]
    assert importlib.metadata.version("mxnet") in rows["mxnet"]
    assert rows["numpy"].endswith("yes") and rows["mxnet"].endswith("yes")
    assert "tensorflow *" in out and rows["tensorflow"].endswith("yes")


def test_info_reports_a_missing_framework(monkeypatch):
    real = cli._version
    monkeypatch.setattr(cli, "_version",
                        lambda names: None if "torch" in names else real(names))
    text = cli.info(check_imports=False)
    torch_row = next(line for line in text.splitlines() if line.startswith("torch"))
    assert "not installed" in torch_row and 'pip install "mlbook[torch]"' in torch_row
    assert "not checked" in text


def test_console_script_is_installed():
    bindir = os.path.dirname(sys.executable)
    script = os.path.join(bindir, "mlbook")
    if not os.path.exists(script):
        pytest.fail(f"the mlbook console script is missing from {bindir}; reinstall the package")
    result = subprocess.run([script, "info", "--no-import"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "selected backend: numpy" in result.stdout


def test_unknown_command_fails():
    result = run_cli("frobnicate")
    assert result.returncode == 2 and "invalid choice" in result.stderr
