"""The API reference's examples: every documented name has one, and every example prints what
its docstring says on every backend (``--backend`` selects them, as for the other tests).

Each example runs with the standard library's :mod:`doctest` in a fresh namespace made of the
imports the reference states (:data:`mlbook.site.api.EXAMPLE_IMPORTS`), with no option flags:
the output must match to the character, so a value that differs between backends in its last
digit is rounded by the example itself (``mb.show(x, decimals=4)``), never hidden.
"""

from __future__ import annotations

import doctest
import re
import sys

import pytest

from helpers import use_data_file
from mlbook.site import api

#: Option directives that would let an example pass without showing what it prints.
HIDING = re.compile(r"#\s*doctest:.*(SKIP|ELLIPSIS|NORMALIZE_WHITESPACE|IGNORE_EXCEPTION_DETAIL)")


def _documented() -> list[tuple[str, str]]:
    """(module, name) of every documented name whose documentation holds an example, each
    text once (a function documented under two names runs once)."""
    seen: set[str] = set()
    found = []
    for qualified in sorted(api.documented_names()):
        module, _, name = qualified.rpartition(".")
        text, _ = api.documentation_of(module, name)
        if ">>>" in text and text not in seen:
            seen.add(text)
            found.append((module, name))
    return found


EXAMPLES = _documented()

#: Examples that read a real data file (from ``MLBOOK_DATA_DIR``), by the name they use.
DATA_FILES = {"timemachine.txt": ("read_time_machine", "load_corpus_time_machine",
                                  "load_data_time_machine", "SeqDataLoader")}


def test_every_documented_name_has_an_example():
    missing = api.without_example()
    assert not missing, (f"{len(missing)} documented names have no example that prints "
                         f"something (a '>>>' line and its output, in the docstring, or in the "
                         f"'#:' comment of a constant): " + ", ".join(missing))


@pytest.mark.parametrize("module, name", EXAMPLES, ids=[f"{m}.{n}" for m, n in EXAMPLES])
def test_docstring_example(backend, module, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                 # an example that saves a file leaves nothing
    text, source = api.documentation_of(module, name)
    for file, users in DATA_FILES.items():
        if any(user in text for user in users):
            use_data_file(file, monkeypatch, f"the example of {module}.{name}")
    assert not HIDING.search(text), f"{module}.{name}: an example hides its output ({text})"
    import mlbook as mb
    from mlbook import data
    mb.seed(12345)                # an example that draws random numbers seeds them itself
    hub = dict(data.DATA_HUB)     # what an example registers is undone afterwards
    test = doctest.DocTestParser().get_doctest(text, api.example_namespace(),
                                               f"{module}.{name}", source, 0)
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=0)
    try:
        result = runner.run(test, out=report.append, clear_globs=True)
    finally:
        data.DATA_HUB.clear()
        data.DATA_HUB.update(hub)
        if "matplotlib.pyplot" in sys.modules:        # a plot example's figures
            sys.modules["matplotlib.pyplot"].close("all")
    assert result.failed == 0, (f"the example of {module}.{name} (written in {source}) on "
                                f"{backend}:\n" + "".join(report))
