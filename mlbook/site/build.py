"""``mlbook build``: the website, from ``chapters/`` and ``docs/`` to ``docs/_build/html``.

1. Execute every section on every selected backend (cached, in parallel: :mod:`.execute`).
2. Compare the numbers each section reported across backends (:func:`mlbook.book.compare`).
3. Stage a Sphinx source tree in ``docs/_build/site``: ``docs/`` itself, each chapter's
   ``index.md`` (its toctree cut to the sections being built), one merged notebook per section
   (:mod:`.merge`) with its figures, a clean notebook to download, the Agreement page and the
   API reference (:mod:`.api`).
   Files are rewritten only when their content changes, so Sphinx re-reads only what changed.
4. ``sphinx-build -W`` (warnings are errors) into ``docs/_build/html``.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import subprocess
import sys
import time
from typing import Callable, Sequence

from .. import book, config, execution
from .cache import ExecutionCache, environment_versions
from .execute import BuildError, default_jobs, execute_sections, known_seconds
from .merge import merge_section
from .api import pages as api_pages
from .benchmarks import results_page
from .pages import agreement_page

__all__ = ["build", "BuildResult", "find_pandoc"]


@dataclasses.dataclass
class BuildResult:
    html: pathlib.Path | None                  # the site's index.html (None for a shard)
    executed: int                              # section runs executed (not from the cache)
    cached: int                                # section runs taken from the cache
    comparisons: dict[str, dict[str, book.Comparison]]
    seconds: float


def find_pandoc() -> str | None:
    """The directory of a ``pandoc`` executable (nbsphinx converts markdown with it): the one
    on ``PATH``, else the copy the ``pypandoc-binary`` package ships."""
    found = shutil.which("pandoc")
    if found:
        return str(pathlib.Path(found).parent)
    try:
        import pypandoc
        path = pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return None
    return str(pathlib.Path(path).parent) if path and os.path.exists(path) else None


class _Stage:
    """Writes the Sphinx source tree, touching only files whose content changed."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.written: set[pathlib.Path] = set()

    def write(self, rel: str, content: str | bytes) -> None:
        path = self.root / rel
        data = content.encode("utf-8") if isinstance(content, str) else content
        self.written.add(path)
        if path.exists() and path.read_bytes() == data:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{path.name}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def copy_tree(self, source: pathlib.Path, skip: Sequence[str]) -> None:
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source)
            if path.is_file() and not any(rel.parts[0] == s for s in skip) \
                    and "__pycache__" not in rel.parts:
                self.write(rel.as_posix(), path.read_bytes())

    def remove_stale(self) -> None:
        for path in sorted(self.root.rglob("*"), reverse=True):
            if path.is_file() and path not in self.written:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def _chapter_index(index: pathlib.Path, stems: Sequence[str]) -> str:
    """A chapter's ``index.md`` with its toctree listing only ``stems``."""
    text = index.read_text(encoding="utf-8")
    match = book._TOCTREE.search(text)
    body = match.group(1)
    options = [line for line in body.splitlines() if line.strip().startswith(":")]
    new = "\n".join(options + [""] + list(stems)) + "\n"
    return text[:match.start(1)] + new + text[match.end(1):]


def _title(notebook) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "untitled"


def _clean_notebook(path: pathlib.Path) -> str:
    """The section as a notebook without outputs, for readers to download."""
    import nbformat
    notebook = book.read_section(path)
    notebook.metadata.pop("jupytext", None)
    return nbformat.writes(notebook)


def build(sections: Sequence[str | os.PathLike] | None = None,
          backends: Sequence[str] | None = None, *, root: str | os.PathLike = ".",
          jobs: int | None = None, timeout: int = 600, threads: int = execution.BOOK_THREADS,
          build_dir: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None,
          log: Callable[[str], None] = print,
          shard: tuple[int, int] | None = None, progress: bool = False) -> BuildResult:
    """Build the website; returns where it is and what was executed.

    ``sections``: section files or chapter folders (default: the whole book, in order);
    ``backends``: default every installed one; ``root``: the checkout (``chapters/``, ``docs/``);
    ``jobs``: kernels at once (default: one per core); ``timeout``: seconds per cell;
    ``threads``: compute threads per kernel (default the book's setting, one: see
    :mod:`mlbook.execution`);
    ``build_dir`` (default ``docs/_build``) receives the staged sources (``site/``), Sphinx's
    ``doctrees/`` and the website (``html/``); ``cache_dir`` holds executed notebooks (default
    ``<build_dir>/cache``).  ``shard=(i, n)`` executes only the i-th of n parts of the runs into
    the cache and stops there (no pages: they need every run): several machines each execute a
    shard, their cache folders are merged (:meth:`ExecutionCache.merge`, ``mlbook merge-cache``)
    and a last ``build`` renders the site from the merged cache without executing anything.
    ``progress``: a progress bar while sections execute (on a terminal).
    Raises :class:`BuildError` when a cell fails or Sphinx warns."""
    import nbformat

    from .. import backends as registry
    start = time.perf_counter()
    root = pathlib.Path(root).resolve()
    chapters_dir, docs_dir = root / "chapters", root / "docs"
    if not (docs_dir / "conf.py").exists() or not chapters_dir.is_dir():
        raise BuildError(f"{root} is not an mlbook checkout (it needs chapters/ and "
                         f"docs/conf.py): run mlbook build from the repository root")
    build_dir = pathlib.Path(build_dir) if build_dir else docs_dir / "_build"
    out = build_dir / "html"
    cache = ExecutionCache(cache_dir if cache_dir else build_dir / "cache")

    ordered = book.sections(chapters_dir)
    chosen = _select(ordered, sections, chapters_dir) if sections else ordered
    if backends:
        names = list(dict.fromkeys(config.canonical_name(b) for b in backends))
    else:
        names = [b for b in config.BACKENDS if registry.is_installed(b)]
    missing = [b for b in names if not registry.is_installed(b)]
    if missing:
        extras = ",".join(registry.FRAMEWORKS[b][2] or "numpy" for b in missing)
        raise BuildError(f"backend(s) {', '.join(missing)} not installed: "
                         f"pip install \"mlbook[{extras}]\" or leave them out of --backend")
    pandoc = find_pandoc()
    if pandoc is None and shard is None:
        raise BuildError("nbsphinx needs pandoc, which was not found: install it "
                         "(apt-get install pandoc, brew install pandoc) or "
                         "pip install pypandoc-binary")

    done = execute_sections(chosen, names, cache, chapters_dir, jobs=jobs, timeout=timeout,
                            log=log, threads=threads, shard=shard, progress=progress,
                            seconds=known_seconds(cache, root))
    done.raise_failures()
    runs, executed = done.runs, done.executed
    if shard is not None:
        log(f"shard {shard[0]}/{shard[1]}: {len(runs)} section runs in {cache.directory}; merge "
            f"the shards' caches (mlbook merge-cache) and build again to render the site")
        return BuildResult(None, executed, len(runs) - executed, {},
                           time.perf_counter() - start)

    stage = _Stage(build_dir / "site")
    stage.copy_tree(docs_dir, skip=("_build", "Makefile"))
    comparisons: dict[str, dict[str, book.Comparison]] = {}
    measured: dict[str, list[book.Quantity]] = {}
    titles: list[tuple[str, str]] = []
    by_chapter: dict[pathlib.Path, list[str]] = {}
    for path in chosen:
        rel = path.resolve().relative_to(chapters_dir.resolve()).as_posix()
        doc = f"chapters/{rel[:-3]}"
        section_runs = {b: runs[rel, b] for b in names}
        comparisons[doc] = book.compare({b: r.values for b, r in section_runs.items()},
                                        {b: r.tolerances for b, r in section_runs.items()})
        measured[doc] = book.quantities({b: r.values for b, r in section_runs.items()},
                                        {b: r.tolerances for b, r in section_runs.items()},
                                        {b: r.reasons for b, r in section_runs.items()})
        merged, files = merge_section({b: r.notebook for b, r in section_runs.items()},
                                      comparisons[doc], path.stem,
                                      f"_notebooks/{path.stem}.ipynb", threads)
        folder = f"chapters/{path.parent.name}"
        stage.write(f"{doc}.ipynb", nbformat.writes(merged))
        for name, data in files.items():
            stage.write(f"{folder}/{name}", data)
        stage.write(f"{folder}/_notebooks/{path.stem}.ipynb", _clean_notebook(path))
        titles.append((doc, _title(merged)))
        by_chapter.setdefault(path.parent, []).append(path.stem)
    for chapter, stems in by_chapter.items():
        stage.write(f"chapters/{chapter.name}/index.md", _chapter_index(chapter / "index.md",
                                                                         stems))
    versions = {b: environment_versions(b) for b in names}     # the keys of every run shown
    stage.write("agreement.rst", agreement_page(titles, comparisons, names, versions, threads,
                                                measured))
    for rel, text in api_pages().items():
        stage.write(rel, text)
    for rel, content in results_page(root / "benchmarks" / "results").items():
        stage.write(rel, content)
    stage.remove_stale()

    _sphinx(stage.root, out, build_dir / "doctrees", jobs or default_jobs(), pandoc, log)
    return BuildResult(out / "index.html", executed, len(runs) - executed, comparisons,
                       time.perf_counter() - start)


def _select(ordered: Sequence[pathlib.Path], wanted: Sequence[str | os.PathLike],
            chapters_dir: pathlib.Path) -> list[pathlib.Path]:
    """The sections named by ``wanted`` (files, or chapter folders meaning all their sections),
    in book order."""
    chosen: set[pathlib.Path] = set()
    for item in wanted:
        path = pathlib.Path(item).resolve()
        if path.is_dir():
            inside = [p for p in ordered if p.resolve().parent == path]
            if not inside:
                raise BuildError(f"{item} is not a chapter folder with sections")
            chosen.update(p.resolve() for p in inside)
        elif path.suffix == ".md" and path.exists():
            if path not in {p.resolve() for p in ordered}:
                raise BuildError(f"{item} is not a section of the book (sections are listed "
                                 f"in the toctree of their chapter's index.md)")
            chosen.add(path)
        else:
            raise BuildError(f"no section file or chapter folder {item}")
    return [p for p in ordered if p.resolve() in chosen]


def _sphinx(source: pathlib.Path, out: pathlib.Path, doctrees: pathlib.Path, jobs: int,
            pandoc: str, log: Callable[[str], None]) -> None:
    """Run ``sphinx-build -W``; a warning or error raises :class:`BuildError` with its text."""
    env = dict(os.environ, PATH=pandoc + os.pathsep + os.environ.get("PATH", ""))
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
               "-j", str(jobs), "-d", str(doctrees), str(source), str(out)]
    log("sphinx-build " + " ".join(command[3:]))
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BuildError("sphinx-build failed (warnings are errors):\n"
                         + (done.stderr or done.stdout)[-6000:])
