"""The README and the guides stay true: their examples run on every backend, the README is
short, and its commands are CI's."""

from __future__ import annotations

import pathlib
import re

import numpy as np

import mlbook as mb

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
TOOLKIT = (ROOT / "docs" / "guides" / "toolkit.md").read_text()
EXAMPLE = (ROOT / "examples" / "quickstart.py").read_text()
LENET = (ROOT / "examples" / "lenet_digits.py").read_text()


def test_readme_and_toolkit_guide_show_the_example_files():
    assert EXAMPLE in re.findall(r"```python\n(.*?)```", README, re.S)
    assert LENET in re.findall(r"```python\n(.*?)```", TOOLKIT, re.S)


def test_readme_is_short_and_links_every_guide():
    assert len(README.splitlines()) < 150
    guides = sorted(p.name for p in (ROOT / "docs" / "guides").glob("*.md"))
    linked = sorted(set(re.findall(r"\(docs/guides/(\w+\.md)\)", README)))
    assert linked == guides


def test_lenet_example_reaches_the_stated_accuracy(backend, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(LENET, "lenet_digits.py", "exec"), namespace)
    assert abs(namespace["history"]["test_acc"][-1] - 0.967) < 0.001   # as the comment says
    from mlbook import nn
    clone = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                          nn.Conv2d(6, 16, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 10))
    clone.load(tmp_path / "lenet.npz")
    X = mb.array(np.random.default_rng(0).random((3, 1, 8, 8), dtype="float32"))
    np.testing.assert_allclose(mb.to_numpy(clone(X)), mb.to_numpy(namespace["net"](X)),
                               rtol=1e-6, atol=1e-6)


def test_example_recovers_the_true_parameters(backend, capsys):
    namespace: dict = {}
    exec(compile(EXAMPLE, "quickstart.py", "exec"), namespace)
    np.testing.assert_allclose(mb.to_numpy(namespace["w"]), [2.0, -3.4], atol=1e-4)
    np.testing.assert_allclose(mb.to_numpy(namespace["b"]), 4.2, atol=1e-4)
    assert capsys.readouterr().out.startswith(backend + " ")


def test_readme_commands_match_ci_script():
    ci = (ROOT / ".ci" / "run").read_text()
    install = 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[all,test]"'
    assert install in README and install in ci
    assert "\npython -m pytest\n" in README and "\npython -m pytest\n" in ci
