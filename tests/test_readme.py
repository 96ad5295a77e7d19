"""The README and the guides stay true: their examples run on every backend, the README is
short, and its commands are CI's."""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

import mlbook as mb
from test_doc_examples import HIDING

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


#: Every page with Python a reader sees: the README and the guides.  Each page's ``python``
#: blocks run in order in one namespace (Sybil parses them; a block written as ``>>>`` lines is
#: a doctest, its output compared), on every backend, since all of them are backend-neutral.
PAGES = ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in
                               (ROOT / "docs" / "guides").glob("*.md")
                               if "```python" in p.read_text())


def run_page(page: str) -> dict:
    """Run ``page``'s Python blocks with Sybil; the namespace they leave."""
    from sybil import Sybil
    from sybil.parsers.markdown import PythonCodeBlockParser
    document = Sybil(parsers=[PythonCodeBlockParser()]).parse(ROOT / page)
    examples = list(document)
    assert examples, f"{page} has no Python block Sybil can run"
    for example in examples:
        example.evaluate()
    return document.namespace


def _check_quickstart(namespace: dict, backend: str, printed: str) -> None:
    np.testing.assert_allclose(mb.to_numpy(namespace["w"]), [2.0, -3.4], atol=1e-4)
    np.testing.assert_allclose(mb.to_numpy(namespace["b"]), 4.2, atol=1e-4)
    shown = re.findall(r"\$ MLBOOK_BACKEND=(\w+) python examples/quickstart.py\n(\w+)(.*?)(?=\$|```)",
                       README, re.S)
    assert len(shown) == 2 and all(name == printed_name for name, printed_name, _ in shown)
    assert {rest for _, _, rest in shown} == {printed.removeprefix(backend)}   # as the README shows


def _check_lenet(namespace: dict, backend: str, printed: str) -> None:
    assert abs(namespace["history"]["test_acc"][-1] - 0.967) < 0.001   # as the comment says
    assert printed.strip().endswith(f"{namespace['history']['test_acc'][-1]}")
    from mlbook import nn
    clone = nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                          nn.Conv2d(6, 16, 3, padding=1), nn.Tanh(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 10))
    clone.load("lenet.npz")
    X = mb.array(np.random.default_rng(0).random((3, 1, 8, 8), dtype="float32"))
    np.testing.assert_allclose(mb.to_numpy(clone(X)), mb.to_numpy(namespace["net"](X)),
                               rtol=1e-6, atol=1e-6)


#: What a page's blocks must have computed, beyond running (and their doctests' output).
PAGE_CHECKS = {"README.md": _check_quickstart, "docs/guides/toolkit.md": _check_lenet}


@pytest.mark.parametrize("page", PAGES)
def test_page_code_blocks_run(backend, page, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)                 # the toolkit's example saves lenet.npz
    namespace = run_page(page)
    if page in PAGE_CHECKS:
        PAGE_CHECKS[page](namespace, backend, capsys.readouterr().out)


def test_every_guide_with_python_is_run():
    assert {"README.md", "docs/guides/toolkit.md", "docs/guides/backends.md"} <= set(PAGES)
    for page in [ROOT / "README.md", *(ROOT / "docs" / "guides").glob("*.md")]:
        text = page.read_text()
        fences = set(re.findall(r"^```(\S*)", text, re.M))
        # Python goes in python blocks (run above); the others are shell commands and output
        assert fences <= {"python", "bash", "console", ""}, (page.name, fences)
        assert not HIDING.search(text), f"{page.name}: a block hides its output"


def test_readme_commands_match_ci_script():
    ci = (ROOT / ".ci" / "run").read_text()
    install = 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[all,test]"'
    assert install in README and install in ci
    assert "\npython -m pytest\n" in README and "\npython -m pytest\n" in ci
