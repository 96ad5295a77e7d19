"""The website (``mlbook build``): merging the backends' outputs, the agreement badges, the
execution cache, a real build of a small chapter on every backend checked in headless Chromium,
and the whole book rendered from the sections the book tests executed.
"""

from __future__ import annotations

import base64
import functools
import html.parser
import http.server
import json
import pathlib
import shutil
import threading
import urllib.parse

import nbformat
import pytest

from conftest import in_ci, selected_backends
from mlbook import backends, book, site
from mlbook.site import merge, pages
from mlbook.site.cache import CachedRun, ExecutionCache

ROOT = pathlib.Path(__file__).resolve().parents[1]
LABELS = merge.LABELS


# ---- merging the backends' notebooks -----------------------------------------------------------

def notebook(*cells_outputs: list[dict]) -> nbformat.NotebookNode:
    """A notebook: a title cell, then one code cell per list of outputs."""
    cells = [nbformat.v4.new_markdown_cell("# Title\n\nText with $x^2$.")]
    for i, outputs in enumerate(cells_outputs):
        cell = nbformat.v4.new_code_cell(f"cell_{i}()")
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def stdout(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def display(mime: str, content: str) -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {mime: content, "text/plain": "<Figure>"}}


def raw_cells(nb) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "raw"]


def agreeing(*names: str) -> dict:
    return book.compare({n: {"loss": 0.5} for n in names})


def test_same_output_everywhere_is_shown_once_and_said_so():
    runs = {b: notebook([stdout("shape (3, 4)\n")]) for b in ("numpy", "torch", "mxnet")}
    merged, files = merge.merge_section(runs, agreeing(*runs), "demo", "_notebooks/demo.ipynb")
    header, shown = raw_cells(merged)
    assert shown.count("shape (3, 4)") == 1 and "tab-set" not in shown
    assert "Same output on all 3 backends (numpy, PyTorch, MXNet)" in shown
    assert files == {}
    # the code is shown once, without outputs; nbsphinx must not execute anything
    code = [c for c in merged.cells if c.cell_type == "code"]
    assert [c.source for c in code] == ["cell_0()"] and code[0].outputs == []
    assert merged.metadata["nbsphinx"] == {"execute": "never"}
    assert merged.cells[0].source.startswith("# Title") and merged.cells[1].source == header


def test_different_outputs_get_one_synced_tab_per_backend():
    runs = {"numpy": notebook([stdout("[0 1 2]\n")]),
            "torch": notebook([stdout("tensor([0, 1, 2])\n")])}
    merged, _ = merge.merge_section(runs, agreeing(*runs), "demo", "_notebooks/demo.ipynb")
    shown = raw_cells(merged)[1]
    assert ".. tab-set::\n      :sync-group: backend" in shown
    numpy_tab = shown.index(".. tab-item:: numpy\n         :sync: numpy")
    torch_tab = shown.index(".. tab-item:: PyTorch\n         :sync: torch")
    assert numpy_tab < shown.index("[0 1 2]") < torch_tab < shown.index("tensor([0, 1, 2])")
    assert "Same output" not in shown


def test_figures_become_files_named_by_their_content():
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'
    png = base64.b64encode(b"\x89PNG fake bytes").decode()
    runs = {"numpy": notebook([display("image/svg+xml", svg)], [display("image/png", png)]),
            "torch": notebook([display("image/svg+xml", svg)], [display("image/png", png)])}
    merged, files = merge.merge_section(runs, agreeing(*runs), "demo", "_notebooks/demo.ipynb")
    assert sorted(p.rsplit(".", 1)[1] for p in files) == ["png", "svg"]   # one file per figure
    assert all(p.startswith("demo_files/") for p in files)
    assert svg.encode() in files.values() and b"\x89PNG fake bytes" in files.values()
    shown = "\n".join(raw_cells(merged)[1:])
    for path in files:
        assert f".. image:: {path}" in shown
    assert shown.count("Same output on both backends") == 2      # identical figures compare equal


def test_stderr_html_and_colour_codes():
    runs = {"numpy": notebook([stdout("a\n"), stdout("b\n"),
                               {"output_type": "stream", "name": "stderr",
                                "text": "\x1b[31mwarning\x1b[0m\n"},
                               display("text/html", "<table><tr><td>1</td></tr></table>")])}
    merged, _ = merge.merge_section(runs, agreeing("numpy"), "demo", "_notebooks/demo.ipynb")
    shown = raw_cells(merged)[1]
    assert "   a\n      b" in shown.replace("         ", "      ")      # one block for a, b
    assert ":class: mlbook-stderr" in shown and "warning" in shown and "\x1b" not in shown
    assert ".. raw:: html" in shown and "<td>1</td>" in shown


def test_cells_without_output_get_no_output_block():
    runs = {b: notebook([], [stdout("x\n")]) for b in ("numpy", "torch")}
    merged, _ = merge.merge_section(runs, agreeing(*runs), "demo", "_notebooks/demo.ipynb")
    assert len(raw_cells(merged)) == 2                 # the header and the second cell's output


def test_notebooks_with_different_cells_are_refused():
    runs = {"numpy": notebook([]), "torch": notebook([], [])}
    with pytest.raises(ValueError, match="different cells"):
        merge.merge_section(runs, agreeing(*runs), "demo", "_notebooks/demo.ipynb")


def test_header_has_badge_download_and_run_it_line_per_backend():
    runs = {b: notebook([]) for b in ("numpy", "tensorflow")}
    merged, _ = merge.merge_section(runs, agreeing(*runs), "sec", "_notebooks/sec.ipynb")
    header = raw_cells(merged)[0]
    assert ":download:`Download the notebook (sec.ipynb) <_notebooks/sec.ipynb>`" in header
    assert ("Run it: ``MLBOOK_THREADS=1 MLBOOK_BACKEND=numpy jupyter lab sec.ipynb``"
            in header)
    assert ("Run it: ``MLBOOK_THREADS=1 MLBOOK_BACKEND=tensorflow jupyter lab sec.ipynb``"
            in header)
    assert ":bdg-ref-success:`2 backends agree on 1 number" in header


def test_badges():
    ok = book.compare({"numpy": {"a": 1.0, "b": 100.0}, "torch": {"a": 1.00002, "b": 100.003}})
    assert merge.agreement_badge(ok) == (":bdg-ref-success:`2 backends agree on 2 numbers "
                                        "(largest difference 3.0e-03) <agreement>`")
    bad = book.compare({"numpy": {"a": 1.0}, "mxnet": {"a": 1.0}, "torch": {"a": 1.01}})
    assert merge.agreement_badge(bad) == ":bdg-ref-danger:`backends disagree: PyTorch <agreement>`"
    assert "run on numpy only" in merge.agreement_badge(book.compare({"numpy": {"a": 1.0}}))
    same = book.compare({"numpy": {"a": 1.0}, "torch": {"a": 1.0}})
    assert merge.agreement_badge(same) == (":bdg-ref-success:`2 backends agree on 1 number "
                                          "(identical) <agreement>`")
    none = book.compare({"numpy": {}, "torch": {}})
    assert merge.agreement_badge(none) == ":bdg-secondary:`no numbers recorded`"


# ---- comparing reported numbers (the badges and the book tests use this) ----------------------

def test_compare_uses_absolute_or_relative_tolerance():
    c = book.compare({"numpy": {"small": 0.0, "big": 1e4},
                      "torch": {"small": 9e-5, "big": 1e4 + 0.9}})["torch"]
    assert c.agrees and c.count == 2 and c.max_difference == pytest.approx(0.9)
    c = book.compare({"numpy": {"small": 0.0}, "torch": {"small": 2e-4}})["torch"]
    assert not c.agrees and "small: 0.0002 vs 0 on numpy (tolerance 0.0001)" in c.problems[0]


def test_compare_uses_the_tolerance_a_section_states():
    values = {"numpy": {"std": 0.81}, "torch": {"std": 0.813}}
    assert not book.compare(values)["torch"].agrees
    assert book.compare(values, {"torch": {"std": 1e-2}})["torch"].agrees
    assert book.compare(values, {"numpy": {"std": 1e-2}})["torch"].agrees


def test_compare_reports_missing_numbers_and_nan():
    c = book.compare({"numpy": {"a": 1.0, "b": 2.0}, "mxnet": {"a": 1.0, "c": 3.0}})["mxnet"]
    assert sorted(c.problems) == ["b: missing", "c: not reported by numpy"]
    nan = float("nan")
    assert book.compare({"numpy": {"a": nan}, "torch": {"a": nan}})["torch"].agrees
    assert not book.compare({"numpy": {"a": 1.0}, "torch": {"a": nan}})["torch"].agrees


def test_report_records_value_and_tolerance(tmp_path, monkeypatch):
    target = tmp_path / "values.jsonl"
    monkeypatch.setenv(book.REPORT_ENV, str(target))
    assert book.report("loss", 0.25) == 0.25
    book.report("std", 0.5, tol=1e-2, why="a looser tolerance carries its reason")
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert lines == [{"name": "loss", "value": 0.25},
                     {"name": "std", "value": 0.5, "tol": 0.01,
                      "why": "a looser tolerance carries its reason"}]


def test_report_names_no_cell_in_a_shell_that_is_not_a_kernel(tmp_path, monkeypatch):
    # CI once ran this file after a test had made an IPython shell: its execution count is no
    # cell of a section, so report must not record it.
    from IPython.core.interactiveshell import InteractiveShell
    made_here = not InteractiveShell.initialized()
    shell = InteractiveShell.instance()
    try:
        assert shell.execution_count >= 1
        target = tmp_path / "values.jsonl"
        monkeypatch.setenv(book.REPORT_ENV, str(target))
        book.report("loss", 0.25)
        assert json.loads(target.read_text()) == {"name": "loss", "value": 0.25}
    finally:
        if made_here:
            InteractiveShell.clear_instance()


def test_agreement_page_lists_every_section_and_backend():
    comparisons = {"chapters/a/x": book.compare({"numpy": {"v": 1.0}, "torch": {"v": 1.0}}),
                   "chapters/a/y": book.compare({"numpy": {"v": 1.0}, "torch": {"v": 2.0}})}
    text = pages.agreement_page([("chapters/a/x", "X"), ("chapters/a/y", "Y")], comparisons,
                                ["numpy", "torch"])
    assert "**1 section disagree:** :doc:`chapters/a/y`" in text
    assert "   * - :doc:`X <chapters/a/x>`\n     - reference (1 number)\n     - ✓ identical" in text
    assert "✗ disagrees: v: 2 vs 1 on numpy (tolerance 0.0001)" in text
    versions = {"numpy": {"python": "3.11.9", "numpy": "1.26.4"},
                "torch": {"python": "3.11.9", "numpy": "1.26.4", "torch": "2.13.0"}}
    text = pages.agreement_page([("chapters/a/x", "X")], comparisons, ["numpy", "torch"],
                                versions, threads=1)
    assert "with 1 compute thread per kernel." in text
    assert "   * - torch\n     - -\n     - 2.13.0" in text
    assert "   * - numpy\n     - 1.26.4\n     - 1.26.4" in text


def test_agreement_page_lists_every_quantity_with_its_spread_margin_and_reason():
    values = {"numpy": {"loss": 2.0, "acc": 0.5, "exact": 3.0},
              "torch": {"loss": 2.002, "acc": 0.51, "exact": 3.0}}
    measured = {"chapters/a/x": book.quantities(
        values, {"torch": {"acc": 0.05}}, {"torch": {"acc": "chaotic training: see the prose"}})}
    [loss, acc, exact] = measured["chapters/a/x"]
    assert (loss.spread, loss.tolerance, loss.explicit) == (pytest.approx(1e-3), 1e-4, False)
    assert (acc.low, acc.high, acc.spread) == (0.5, 0.51, pytest.approx(0.01))
    assert acc.margin == pytest.approx(5) and exact.spread == 0 and exact.margin == float("inf")
    text = pages.agreement_page([("chapters/a/x", "X")],
                                {"chapters/a/x": book.compare(values)}, ["numpy", "torch"],
                                measured=measured)
    assert "Every quantity" in text and "1 of the book's quantities have one" in text
    assert ("   * - acc\n     - 0.5 to 0.51\n     - 0.05\n     - 0.01\n     - 5\n"
            "     - chaotic training: see the prose") in text
    assert "   * - exact\n     - 3\n     - 0.0001 (default)\n     - 0\n     - exact\n     -" in text


def test_a_loose_tolerance_needs_its_reason(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match=r"tol=0.01\): a tolerance looser than 0.001 needs its "
                                         r"reason: add why="):
        book.report("accuracy", 0.9, tol=0.01)
    with pytest.raises(ValueError, match="needs its reason"):
        book.report("accuracy", 0.9, tol=0.01, why="  ")
    record = tmp_path / "report.jsonl"
    monkeypatch.setenv(book.REPORT_ENV, str(record))
    assert book.report("accuracy", 0.9, tol=0.01, why="chaotic training") == 0.9
    book.report("loss", 0.25, tol=1e-3)                     # at the limit: no reason needed
    values, tolerances, reasons, twice = book._read_values(str(record))
    assert values == {"accuracy": 0.9, "loss": 0.25}
    assert tolerances == {"accuracy": 0.01, "loss": 1e-3}
    assert reasons == {"accuracy": "chaotic training"} and twice == []


# ---- the book's order --------------------------------------------------------------------------

def write_chapter(root: pathlib.Path, name: str, toctree: list[str], files: list[str]) -> None:
    chapter = root / name
    chapter.mkdir(parents=True)
    (chapter / "index.md").write_text("# Chapter\n\n```{toctree}\n:maxdepth: 1\n\n"
                                      + "\n".join(toctree) + "\n```\n")
    for stem in files:
        (chapter / f"{stem}.md").write_text(f"# {stem}\n")


def test_sections_follow_the_toctree_not_the_alphabet(tmp_path):
    write_chapter(tmp_path, "ch02_b", ["zeta", "alpha"], ["alpha", "zeta"])
    write_chapter(tmp_path, "ch01_a", ["one"], ["one"])
    assert [f"{p.parent.name}/{p.stem}" for p in book.sections(tmp_path)] == \
        ["ch01_a/one", "ch02_b/zeta", "ch02_b/alpha"]
    assert book.sections()[0].stem == "introduction"        # the real book starts at the start


def test_sections_outside_the_toctree_or_missing_are_errors(tmp_path):
    write_chapter(tmp_path / "a", "ch01", ["one"], ["one", "two"])
    with pytest.raises(ValueError, match=r"sections \['two'\] are not in the toctree"):
        book.sections(tmp_path / "a")
    write_chapter(tmp_path / "b", "ch01", ["one", "three"], ["one"])
    with pytest.raises(ValueError, match=r"lists \['three'\], but there is no such .md file"):
        book.sections(tmp_path / "b")
    (tmp_path / "c" / "ch01").mkdir(parents=True)
    (tmp_path / "c" / "ch01" / "one.md").write_text("# one\n")
    with pytest.raises(ValueError, match="has no index.md"):
        book.sections(tmp_path / "c")


# ---- the execution cache -----------------------------------------------------------------------

def test_cache_key_depends_on_source_backend_threads_and_installed_versions(tmp_path, monkeypatch):
    from mlbook.site import cache as cache_module
    cache = ExecutionCache(tmp_path)
    key = cache.key("# A section", "torch")
    assert key == cache.key("# A section", "torch")
    assert key != cache.key("# A section!", "torch")
    assert key != cache.key("# A section", "numpy")
    assert key == cache.key("# A section", "torch", threads=1)     # the book's setting
    assert key != cache.key("# A section", "torch", threads=2)     # other roundings
    versions = cache_module.environment_versions("torch")
    assert versions["torch"] and versions["numpy"] and versions["mlbook"].startswith("0.1.0+")
    monkeypatch.setattr(cache_module, "environment_versions",
                        lambda backend, with_docstrings=False: {**versions, "torch": "9.9.9"})
    assert cache.key("# A section", "torch") != key


@pytest.mark.parametrize("variable, value", [
    ("MLBOOK_FUSED", "0"), ("MLBOOK_COMPILE", "0"), ("TF_ENABLE_ONEDNN_OPTS", "1"),
    ("XLA_FLAGS", "--xla_cpu_enable_fast_math=true")])
def test_cache_key_depends_on_the_settings_that_change_numbers(tmp_path, monkeypatch, variable,
                                                                value):
    cache = ExecutionCache(tmp_path)
    monkeypatch.delenv(variable, raising=False)
    key = cache.key("# A section", "jax")
    monkeypatch.setenv(variable, value)
    assert cache.key("# A section", "jax") != key


def test_cache_key_depends_on_the_data_files_there_are(tmp_path, monkeypatch):
    cache = ExecutionCache(tmp_path / "cache")
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("MLBOOK_DATA_DIR", str(data))
    key = cache.key("# A section", "numpy")
    (data / "timemachine.txt").write_text("The Time Traveller")
    assert cache.key("# A section", "numpy") != key        # the real text, not the stand-in
    again = cache.key("# A section", "numpy")
    (data / "timemachine.txt").write_text("The Time Traveller!")
    assert cache.key("# A section", "numpy") != again


def test_cache_key_ignores_the_thread_flags_the_kernel_gets_anyway(tmp_path, monkeypatch):
    cache = ExecutionCache(tmp_path)
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    key = cache.key("# A section", "jax")
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")   # replaced by mlbook
    assert cache.key("# A section", "jax") == key


def test_cache_key_depends_on_the_processor_and_the_runtime_distributions(tmp_path, monkeypatch):
    from mlbook import execution
    from mlbook.records import BY_NAME
    from mlbook.site import cache as cache_module
    cache = ExecutionCache(tmp_path)
    key = cache.key("# A section", "jax")
    signature = execution.cpu_signature()
    assert signature and "[" in signature            # a model and a hash of its flags
    monkeypatch.setattr(execution, "cpu_signature", lambda: "Another CPU [000000000000]")
    assert cache.key("# A section", "jax") != key
    monkeypatch.undo()
    assert BY_NAME["jax"].runtime_distributions == ("jaxlib",)
    assert BY_NAME["tensorflow"].runtime_distributions == ("keras",)
    assert cache_module.environment_versions("jax")["jaxlib"] is not None
    assert cache_module.environment_versions("tensorflow")["keras"] is not None


def test_sections_that_print_the_librarys_source_are_keyed_on_its_docstrings(tmp_path):
    from mlbook.site import cache as cache_module
    assert cache_module.reads_library_source("import inspect\nprint(inspect.getsource(mb.ones))")
    assert cache_module.reads_library_source("help(mb.ones)")
    assert cache_module.reads_library_source("mb.ones??")
    assert not cache_module.reads_library_source("mb.ones((2, 3))")
    assert cache_module._mlbook_source_hash(True) != cache_module._mlbook_source_hash(False)
    cache = ExecutionCache(tmp_path)
    plain, reading = "mb.ones((2,))", "help(mb.ones)"
    assert cache.key(plain, "numpy") != cache.key(reading, "numpy")
    assert cache_module.environment_versions("numpy", True)["mlbook"] != \
        cache_module.environment_versions("numpy")["mlbook"]
    lookup = (ROOT / "chapters/ch02_preliminaries/lookup_api.md").read_text()
    assert cache_module.reads_library_source(lookup)     # the section that shows mb.ones's source


def test_cache_key_ignores_docstrings_and_comments_of_the_library():
    from mlbook.site.cache import _code_of
    code = 'def f(x):\n    """Twice x."""\n    return 2 * x\n'
    assert _code_of(code) == _code_of('def f(x):\n    """Twice ``x``: 2x."""\n    return 2 * x\n')
    assert _code_of(code) == _code_of("def f(x):  # doubles\n    return 2 * x\n")
    assert _code_of(code) != _code_of('def f(x):\n    """Twice x."""\n    return 3 * x\n')
    assert _code_of('"""Module."""\nclass A:\n    """A."""\n') == _code_of("class A:\n    pass\n")
    assert _code_of('x = "not a docstring"\n') != _code_of('x = "changed"\n')


def test_cache_round_trip_and_damaged_entries(tmp_path):
    cache = ExecutionCache(tmp_path / "cache")
    run = CachedRun("ch/x.md", "numpy", notebook([stdout("hi\n")]), {"loss": 0.5}, {"loss": 0.1},
                    1.5)
    assert cache.get("k") is None
    cache.put("k", run)
    again = cache.get("k")
    assert (again.section, again.backend, again.values, again.tolerances, again.seconds) == \
        ("ch/x.md", "numpy", {"loss": 0.5}, {"loss": 0.1}, 1.5)
    assert again.notebook.cells[1].outputs[0]["text"] == "hi\n"
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["k.json"]   # no temporary left
    (tmp_path / "cache" / "k.json").write_text('{"section": "ch/x.md", "notebo')  # cut short
    assert cache.get("k") is None and not (tmp_path / "cache" / "k.json").exists()


# ---- errors a user can make -------------------------------------------------------------------

def test_build_outside_a_checkout_says_where_to_run_it(tmp_path):
    with pytest.raises(site.BuildError, match="not an mlbook checkout .* from the repository root"):
        site.build(root=tmp_path, build_dir=tmp_path / "b")


def test_build_of_an_unknown_section_or_backend(tmp_path):
    with pytest.raises(site.BuildError, match="no section file or chapter folder nope.md"):
        site.build(["nope.md"], ["numpy"], root=ROOT, build_dir=tmp_path)
    stray = tmp_path / "stray.md"
    stray.write_text("# stray\n")
    with pytest.raises(site.BuildError, match="is not a section of the book"):
        site.build([stray], ["numpy"], root=ROOT, build_dir=tmp_path)
    with pytest.raises(ValueError, match="unknown mlbook backend 'caffe'; valid names"):
        site.build(None, ["caffe"], root=ROOT, build_dir=tmp_path)


def test_pandoc_from_path_or_from_pypandoc_binary(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    bundled = site.find_pandoc()
    pypandoc = pytest.importorskip("pypandoc")
    assert bundled == str(pathlib.Path(pypandoc.get_pandoc_path()).parent)


def test_cli_build_reports_failure(tmp_path, capsys):
    from mlbook import cli
    assert cli.main(["build", "--root", str(tmp_path)]) == 1
    assert "build failed" in capsys.readouterr().err


# ---- a real build of a small chapter on every backend ------------------------------------------

SMALL = ["ndarray", "calculus"]


def make_checkout(root: pathlib.Path, sections: list[str]) -> pathlib.Path:
    """A copy of the repository's docs/ and of some sections of chapter 2, under ``root``."""
    shutil.copytree(ROOT / "docs", root / "docs", ignore=shutil.ignore_patterns("_build"))
    chapter = root / "chapters" / "ch02_preliminaries"
    chapter.mkdir(parents=True)
    for stem in sections:
        shutil.copy(ROOT / "chapters" / "ch02_preliminaries" / f"{stem}.md", chapter)
    (chapter / "index.md").write_text("# Preliminaries\n\nTwo sections.\n\n```{toctree}\n"
                                      ":maxdepth: 1\n\n" + "\n".join(sections) + "\n```\n")
    return chapter


def installed_selected(config) -> list[str]:
    names = selected_backends(config)
    missing = [n for n in names if not backends.is_installed(n)]
    if missing:
        reason = f"backends {missing} are not installed"
        pytest.fail(reason + "; CI must build with all four") if in_ci() else pytest.skip(reason)
    return names


@pytest.fixture(scope="module")
def small_site(request, tmp_path_factory):
    """Build twice (cold, warm), edit a section and build again: the results of each, and the
    final site."""
    names = installed_selected(request.config)
    root = tmp_path_factory.mktemp("checkout")
    chapter = make_checkout(root, SMALL)
    build = functools.partial(site.build, backends=names, root=root, build_dir=root / "out",
                              log=lambda line: None)
    cold = build()
    index = (cold.html.parent / "chapters/ch02_preliminaries/ndarray.html").read_bytes()
    warm = build()
    unchanged = (warm.html.parent / "chapters/ch02_preliminaries/ndarray.html").read_bytes()
    with open(chapter / "calculus.md", "a") as f:
        f.write('\n```{code-cell} ipython3\nprint("edited", mb.backend())\n```\n')
    edited = build()
    return {"names": names, "cold": cold, "warm": warm, "edited": edited, "root": root,
            "html": edited.html.parent, "unchanged": index == unchanged}


def test_cold_build_executes_each_section_once_per_backend(small_site):
    n = len(small_site["names"])
    assert (small_site["cold"].executed, small_site["cold"].cached) == (2 * n, 0)
    assert small_site["cold"].html.exists()


def test_rebuild_with_nothing_changed_executes_nothing(small_site):
    n = len(small_site["names"])
    assert (small_site["warm"].executed, small_site["warm"].cached) == (0, 2 * n)
    assert small_site["unchanged"]


def test_changing_one_section_reexecutes_only_it(small_site):
    n = len(small_site["names"])
    assert (small_site["edited"].executed, small_site["edited"].cached) == (n, n)
    page = (small_site["html"] / "chapters/ch02_preliminaries/calculus.html").read_text()
    for name in small_site["names"]:
        assert f"edited {name}" in page


def test_small_site_agrees_and_lists_its_sections(small_site):
    comparisons = small_site["edited"].comparisons
    assert sorted(comparisons) == ["chapters/ch02_preliminaries/calculus",
                                   "chapters/ch02_preliminaries/ndarray"]
    assert all(c.agrees for per in comparisons.values() for c in per.values())
    agreement = (small_site["html"] / "agreement.html").read_text()
    for name in small_site["names"]:
        assert LABELS[name] in agreement
    assert agreement.count("reference (") == 2
    produced = agreement[agreement.index('id="produced-by"'):]        # the versions used
    import importlib.metadata
    from mlbook.site.cache import environment_versions
    for name in small_site["names"]:
        framework = backends.DISTRIBUTIONS[name][0]
        if name != "numpy":
            assert f"<td><p>{importlib.metadata.version(framework)}</p></td>" in produced
    assert environment_versions("numpy")["mlbook"] in produced
    assert "1 compute thread per kernel" in produced


def test_a_build_in_two_shards_gives_the_pages_of_one_build(small_site, tmp_path, capsys):
    """``--shard 1/2`` and ``--shard 2/2`` execute into caches of their own (as two machines
    would), ``merge-cache`` joins them, and the build from the merged cache executes nothing
    and writes the pages the single build wrote."""
    from mlbook import cli
    root = tmp_path / "checkout"
    shutil.copytree(small_site["root"] / "docs", root / "docs")
    shutil.copytree(small_site["root"] / "chapters", root / "chapters")
    backend = ",".join(small_site["names"])
    for i in (1, 2):
        assert cli.main(["build", "--root", str(root), "--backend", backend, "--shard",
                         f"{i}/2", "--cache-dir", str(tmp_path / f"shard{i}")]) == 0
    out = capsys.readouterr().out
    runs = 2 * len(small_site["names"])
    assert f"shard 1/2: {(runs + 1) // 2} section runs executed, 0 cached" in out
    assert f"shard 2/2: {runs // 2} section runs executed, 0 cached" in out
    assert not (root / "docs" / "_build" / "html").exists()            # no pages from a shard
    merged = tmp_path / "merged"
    assert cli.main(["merge-cache", str(tmp_path / "shard1"), str(tmp_path / "shard2"),
                     "--into", str(merged), "--root", str(root)]) == 0
    result = site.build(backends=small_site["names"], root=root, build_dir=tmp_path / "out",
                        cache_dir=merged, log=lambda line: None)
    assert (result.executed, result.cached) == (0, runs)
    for page in (NDARRAY, CALCULUS, "agreement.html", "api/tensors.html"):
        assert (result.html.parent / page).read_text() == \
            (small_site["html"] / page).read_text(), page
    with pytest.raises(SystemExit):
        cli.main(["build", "--shard", "3/2"])
    assert "expected i/n with 1 <= i <= n" in capsys.readouterr().err
    assert cli.main(["merge-cache", str(tmp_path / "nowhere"), "--into", str(merged),
                     "--root", str(root)]) == 1
    assert "no cache folder" in capsys.readouterr().err
    damaged = tmp_path / "shard2" / "0damaged.json"
    damaged.write_text("{")
    assert cli.main(["merge-cache", str(tmp_path / "shard2"), "--into", str(merged),
                     "--root", str(root)]) == 1
    assert "0damaged.json is not a readable cache entry" in capsys.readouterr().err
    assert damaged.exists()                              # refused, not deleted
    damaged.unlink()
    # an entry that is not the run it claims (here: another backend's) is refused
    entry = next(iter(site.cache.ExecutionCache(tmp_path / "shard2").entries()))
    record = json.loads(entry.read_text())
    record["backend"] = next(b for b in ("numpy", "torch") if b != record["backend"])
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / entry.name).write_text(json.dumps(record))
    fresh = tmp_path / "fresh"
    assert cli.main(["merge-cache", str(forged), "--into", str(fresh), "--root", str(root)]) == 1
    assert f"claims {record['section']} on {record['backend']}, but its key" in \
        capsys.readouterr().err
    assert not (fresh / entry.name).exists()


def test_failing_cell_fails_the_build_with_section_backend_cell_and_traceback(tmp_path):
    chapter = make_checkout(tmp_path, ["ndarray"])
    (chapter / "broken.md").write_text(
        (ROOT / "chapters/ch02_preliminaries/ndarray.md").read_text().split("```{code-cell}")[0]
        + "```{code-cell} ipython3\nx = 1\n```\n\n```{code-cell} ipython3\n"
        + "def f():\n    return 1 / 0\nf()\n```\n")
    (chapter / "index.md").write_text("# P\n\n```{toctree}\nndarray\nbroken\n```\n")
    with pytest.raises(site.BuildError) as err:
        site.build(backends=["numpy"], root=tmp_path, build_dir=tmp_path / "out",
                   log=lambda line: None)
    text = str(err.value)
    assert "1 of 2 section runs failed" in text
    assert "broken.md failed on backend 'numpy' in code cell 2" in text
    assert "----> 3 f()" in text and "ZeroDivisionError: division by zero" in text
    assert not (tmp_path / "out" / "html").exists()              # no site from a failed build
    cached = site.cache.ExecutionCache(tmp_path / "out" / "cache").entries()
    assert len(cached) == 1                                      # ndarray's run is kept


# ---- the small site in a real browser ----------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(small_site):
    handler = functools.partial(_Quiet, directory=str(small_site["html"]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        reason = "headless Chromium is not installed (apt-get install chromium)"
        pytest.fail(reason) if in_ci() else pytest.skip(reason)
    return found


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = 'playwright is not installed (pip install -e ".[test]")'
        pytest.fail(reason) if in_ci() else pytest.skip(reason)
    path = chromium_path()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


class Page:
    """A browser page that records console errors, page errors and requests leaving the site."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.base, self.problems = base, []
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed",
                     lambda r: self.problems.append(f"failed: {r.url} ({r.failure})"))
        self.page.on("request", lambda r: None if r.url.startswith((base, "data:")) else
                     self.problems.append(f"request leaving the site: {r.url}"))

    def open(self, path: str):
        # wait until nothing is loading: a request still in flight (the favicon, fetched after
        # "load") would be aborted by the next navigation and reported as failed (seen once)
        self.page.goto(f"{self.base}/{path}", wait_until="networkidle")
        return self.page


@pytest.fixture
def page(browser, server):
    p = Page(browser, server)
    yield p
    p.context.close()


NDARRAY = "chapters/ch02_preliminaries/ndarray.html"
CALCULUS = "chapters/ch02_preliminaries/calculus.html"


def test_math_is_typeset_offline(page):
    p = page.open(CALCULUS)
    p.wait_for_selector("mjx-container", timeout=20000)
    assert p.locator("mjx-container").count() >= 10
    text = p.inner_text("article")
    assert "$$" not in text and "\\(" not in text and "\\[" not in text and "\\frac" not in text
    assert page.problems == []


def checked_tabs(p) -> list[str]:
    """The backend each synced tab set shows (the checked input's sync id)."""
    return p.eval_on_selector_all(
        "div.sd-tab-set", "sets => sets.map(s => { const l = s.querySelector("
        "':scope > input:checked + label'); return l ? l.dataset.syncId : null; })")


def test_tabs_switch_backends_in_sync_and_are_remembered(page, small_site):
    names = small_site["names"]
    if len(names) < 2:
        pytest.skip("one backend: no tabs")
    p = page.open(NDARRAY)
    sets = checked_tabs(p)
    assert len(sets) >= 5 and set(sets) == {names[0]}             # the first backend at first
    target = names[-1]
    first_output = p.locator(".mlbook-output .sd-tab-set").first
    before = first_output.locator(".sd-tab-content:visible").inner_text()
    first_output.locator(f"label:text-is('{LABELS[target]}')").click()
    assert set(checked_tabs(p)) == {target}                       # every tab set followed
    after = first_output.locator(".sd-tab-content:visible").inner_text()
    assert after != before and f"backend: {target}" in after
    p = page.open(CALCULUS)                                        # another page remembers
    assert set(checked_tabs(p)) == {target}
    assert f"MLBOOK_THREADS=1 MLBOOK_BACKEND={target} jupyter lab calculus.ipynb" in \
        p.locator(".mlbook-run-it .sd-tab-content:visible").inner_text()
    assert page.problems == []


def test_images_load(page):
    for path in (CALCULUS, NDARRAY, "index.html"):
        p = page.open(path)
        images = p.eval_on_selector_all(
            "img", "imgs => imgs.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
        if path == CALCULUS:
            assert any(src.endswith(".svg") for src, _, _ in images), "plots are SVG"
        broken = [src for src, complete, width in images if not complete or width == 0]
        assert broken == [], f"{path}: images that did not load: {broken}"
    assert page.problems == []


def test_pages_have_no_console_errors_and_stay_offline(page, small_site):
    for path in sorted(small_site["html"].rglob("*.html")):
        rel = path.relative_to(small_site["html"]).as_posix()
        if rel.startswith("_"):
            continue
        page.open(rel)
        page.page.wait_for_timeout(200)
    assert page.problems == []


def test_section_page_furniture(page, small_site):
    p = page.open(NDARRAY)
    assert "agree on" in p.inner_text(".mlbook-section-info .sd-badge")
    link = p.locator(".mlbook-section-info a.download")
    notebook_url = urllib.parse.urljoin(p.url, link.get_attribute("href"))
    downloaded = nbformat.reads(p.request.get(notebook_url).text(), as_version=4)
    assert all(not c.get("outputs") for c in downloaded.cells if c.cell_type == "code")
    assert downloaded.cells[0].source.startswith("# Data Manipulation")
    assert p.locator("a.right-next").get_attribute("href").endswith("calculus.html")  # next
    page.open(CALCULUS)
    assert page.page.locator("a.left-prev").get_attribute("href").endswith("ndarray.html")
    p = page.open("search.html?q=tensor")
    p.wait_for_selector("ul.search li", timeout=20000)
    assert "Data Manipulation" in p.inner_text("ul.search")
    chapter = page.open("chapters/ch02_preliminaries/index.html").inner_text("article")
    assert "Data Manipulation" in chapter and "Calculus" in chapter
    assert page.problems == []


def test_a_code_cell_links_its_names_to_the_api_reference(page):
    p = page.open(NDARRAY)
    link = p.locator("a.sphinx-codeautolink-a[href*='api/tensors.html#mlbook.arange']").first
    assert link.inner_text() == "mb.arange"
    link.click()
    p.wait_for_url("**/api/tensors.html#mlbook.arange")
    entry = p.locator("dt[id='mlbook.arange']")
    assert entry.is_visible() and "arange(" in entry.inner_text()
    assert "Evenly spaced values" in p.locator("dt[id='mlbook.arange'] + dd").inner_text()
    p = page.open("api/nn.html")                          # a page of classes, with math
    assert p.locator("dt[id='mlbook.nn.Linear']").is_visible()
    p.wait_for_selector("mjx-container", timeout=20000)
    assert page.problems == []


# ---- the API reference ------------------------------------------------------------------------

def test_api_reference_has_an_entry_for_every_public_name(small_site):
    from sphinx.util.inventory import InventoryFile
    from mlbook.site import api
    assert api.undocumented() == []
    with open(small_site["html"] / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", lambda a, b: b)
    entries = {name for kind in ("py:function", "py:class", "py:data", "py:attribute")
               for name in inventory.get(kind, {})}
    assert api.documented_names() - entries == set()
    assert {"mlbook.arange", "mlbook.nn.Linear", "mlbook.train.mean_bleu",
            "mlbook.kernel.SectionKernel"} <= entries


def test_api_entries_show_their_examples_with_linked_names(small_site):
    """An entry renders its example as a doctest block, names in it link to their entries, and
    a re-exported constant shows the example written above its definition."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup((small_site["html"] / "api" / "tensors.html").read_text(), "html.parser")

    def entry(name):
        return soup.find(id=name).find_parent("dl").find("dd")

    arange = entry("mlbook.arange")
    block = arange.find(class_="doctest")
    assert block is not None and "tensor([0, 1, 2, 3]" in block.get_text()
    links = {a["href"].rsplit("#", 1)[-1] for a in block.find_all("a", class_="sphinx-codeautolink-a")}
    assert {"mlbook.arange", "mlbook.show"} <= links
    assert ">>> mb.dtype(mb.array([1.0, 2.0])), mb.float32" in entry("mlbook.float32").get_text()
    assert "import mlbook as mb" in soup.get_text()          # the imports the examples assume


def test_a_public_name_without_a_group_fails_with_the_fix(monkeypatch):
    from mlbook.site import api
    page = api.PAGES[2]                                   # losses
    monkeypatch.setattr(api, "PAGES", (api.Page(page.slug, page.title, page.intro,
                                                page.modules, {}),))
    with pytest.raises(api.UndocumentedError, match="add its module or its name to the page "
                                                    "'losses' in mlbook/site/api.py"):
        api.pages()
    monkeypatch.setattr(api, "PAGES", ())
    assert "mlbook.losses.cross_entropy" in api.undocumented()


# ---- the benchmark page -------------------------------------------------------------------------

def test_benchmark_page_draws_table_and_chart_from_the_saved_rows(tmp_path, monkeypatch, capsys):
    import sys
    from mlbook.site.benchmarks import results_page
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import _harness
    monkeypatch.setattr(_harness, "RESULTS", tmp_path)
    monkeypatch.setattr(sys, "argv", ["benchmarks/overhead.py", "--backend", "numpy,torch"])
    rows = [("numpy", "op mix", 0.655, 0.727, 1.11), ("torch", "op mix", 0.922, None, None)]
    _harness.table("overhead", "Overhead", ["backend", "workload", "native (ms)", "mlbook (ms)",
                                            "ratio"], rows, ["", "", ".3f", ".3f", ".2f"],
                   save=True, chart={"label": ["backend", "workload"],
                                     "bars": ["native (ms)", "mlbook (ms)"], "unit": "ms"})
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    files = results_page(tmp_path)
    page = files["guides/benchmark_results.md"]
    assert "`python benchmarks/overhead.py --backend numpy,torch`" in page
    assert all(line in page for line in printed)                 # the table as printed
    assert "| numpy | op mix | 0.655 | 0.727 | 1.11 |" in page and "| — | — |" in page
    svg = files["guides/_benchmarks/overhead.svg"].decode()
    assert svg.count("<g id=\"patch_") >= 4 and "numpy op mix" in svg    # 3 bars, background
    assert "native (ms)" in svg and "mlbook (ms)" in svg              # the legend
    assert results_page(tmp_path)["guides/_benchmarks/overhead.svg"].decode() == svg
    (tmp_path / "broken.json").write_text("{}")
    with pytest.raises(ValueError, match="broken.json is not a saved benchmark result"):
        results_page(tmp_path)


# ---- links ------------------------------------------------------------------------------------

class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, str]] = []         # (tag, attribute, url)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name):
                self.links.append((tag, name, attrs[name]))


def broken_links(site_dir: pathlib.Path) -> list[str]:
    """Internal links (href, src) of every page whose file or #anchor does not exist, and
    resources (scripts, images, style sheets) that would be fetched from another site."""
    parsed: dict[pathlib.Path, _Links] = {}

    def parse(path: pathlib.Path) -> _Links:
        if path not in parsed:
            parsed[path] = _Links()
            parsed[path].feed(path.read_text(encoding="utf-8"))
        return parsed[path]

    broken = []
    pages = [p for p in sorted(site_dir.rglob("*.html"))
             if not p.relative_to(site_dir).parts[0].startswith("_")]    # not theme assets
    assert len(pages) > 3
    for page in pages:
        for tag, attribute, link in parse(page).links:
            url = urllib.parse.urlparse(link)
            if url.scheme in ("http", "https", "mailto", "data", "javascript") or url.netloc:
                if url.scheme != "data" and (attribute == "src" or tag == "link"):
                    broken.append(f"{page.name}: resource from another site: {link}")
                continue
            target = (page.parent / urllib.parse.unquote(url.path)).resolve() if url.path \
                else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site_dir)}: {link}")
            elif url.fragment and target.suffix == ".html" and \
                    url.fragment not in parse(target).ids:
                broken.append(f"{page.relative_to(site_dir)}: {link} (no such anchor)")
    return broken


def test_internal_links_resolve(small_site):
    assert broken_links(small_site["html"]) == []


# ---- the whole book ------------------------------------------------------------------------------

def test_whole_book_builds_from_the_tested_runs(request, book_runs, book_cache_dir, tmp_path):
    """Every section, on every backend, rendered with -W from the runs the book tests executed
    (nothing is executed again), with every link resolving and every backend agreeing."""
    names = installed_selected(request.config)
    assert not book_runs.failures, "\n\n".join(book_runs.failures.values())
    result = site.build(backends=names, root=ROOT, build_dir=tmp_path, cache_dir=book_cache_dir,
                        log=lambda line: None)
    assert result.executed == 0 and result.cached == len(book.sections()) * len(names)
    disagree = {doc: [p for c in per.values() for p in c.problems]
                for doc, per in result.comparisons.items()
                if not all(c.agrees for c in per.values())}
    assert disagree == {}
    html_dir = result.html.parent
    for section in book.sections():
        assert (html_dir / "chapters" / section.parent.name / f"{section.stem}.html").exists()
    assert broken_links(html_dir) == []
    references = (html_dir / "references.html").read_text()
    assert "Dropout: a simple way to prevent neural networks from overfitting" in references


def test_every_reference_is_cited_and_every_citation_exists():
    import re
    bib = (ROOT / "docs" / "references.bib").read_text()
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, re.M))
    cited = set()
    for path in book.sections():
        cited |= set(re.findall(r'<cite data-cite="([^"]+)">', path.read_text()))
    assert cited and cited == keys
