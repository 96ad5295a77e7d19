"""Running the book's sections: ``mlbook run chapters/<file>.md --backend torch``.

A section is a jupytext markdown notebook (MyST format).  :func:`run_section` executes it in a
fresh Jupyter kernel with ``MLBOOK_BACKEND`` set, and fails with the section, the backend, the
cell number, the cell's code and the error when a cell fails.

Inside a section, :func:`report` hands a key number to whoever runs it (the tests assert the
numbers the prose states, the website's agreement badges compare them across backends)::

    from mlbook import book
    book.report("w error", float(mb.norm(true_w - w)))
    book.report("std at layer 20", std, tol=1e-2)      # a looser agreement tolerance, say why

:func:`sections` lists the book's sections in reading order: chapters by folder name, the
sections of a chapter in the order of the ``toctree`` in its ``index.md``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pathlib
import re
from typing import Any

from . import config, execution

__all__ = ["report", "run_section", "read_section", "sections", "chapter_sections", "compare",
           "Comparison", "SectionResult", "SectionError", "REPORT_ENV", "DEFAULT_TOLERANCE",
           "LOOSE_TOLERANCE", "Quantity", "quantities"]

#: Environment variable naming the file that :func:`report` appends to.
#:
#: >>> book.REPORT_ENV
#: 'MLBOOK_REPORT'
REPORT_ENV = "MLBOOK_REPORT"

#: Two backends agree on a reported number when they differ by at most this much, absolute or
#: relative: float32 training over hundreds of steps, where most of the book's numbers differ
#: by less than 1e-5 between backends (the Agreement page lists every measured spread).
#:
#: >>> book.DEFAULT_TOLERANCE
#: 0.0001
#: >>> book.compare({"numpy": {"x": 1000.0}, "torch": {"x": 1000.05}})["torch"].agrees  # relative
#: True
DEFAULT_TOLERANCE = 1e-4

#: A tolerance looser than this must carry its reason (``book.report(..., why=...)``), shown
#: beside the quantity on the website's Agreement page.
#:
#: >>> book.LOOSE_TOLERANCE
#: 0.001
#: >>> book.report("std", 0.5, tol=book.LOOSE_TOLERANCE)       # as loose as allowed without why=
#: 0.5
LOOSE_TOLERANCE = 1e-3


def report(name: str, value: Any, tol: float | None = None, why: str | None = None) -> Any:
    """Record ``value`` (a number) under ``name`` for the run's checks; returns ``value``.

    ``tol`` is how far the backends may differ on it (absolute or relative,
    :data:`DEFAULT_TOLERANCE` when None).  A tolerance looser than :data:`LOOSE_TOLERANCE`
    needs ``why``, its reason in a sentence (the Agreement page shows it beside the measured
    spread); without one, ``report`` raises ``ValueError``.  Each name is reported once per
    section: a second report of the same name fails the run, naming both cells.  Outside
    ``mlbook run``, the tests and the website build this records nothing.

    >>> book.report("loss", 0.25)                  # outside ``mlbook run``: records nothing
    0.25
    >>> import os, pathlib
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {book.REPORT_ENV: "report.jsonl"}):
    ...     _ = book.report("loss", 0.25)
    >>> print(pathlib.Path("report.jsonl").read_text(), end="")
    {"name": "loss", "value": 0.25}
    >>> book.report("loss", 0.25, tol=0.01)
    Traceback (most recent call last):
    ValueError: book.report('loss', ..., tol=0.01): a tolerance looser than 0.001 needs its reason: add why='...' (what makes the backends differ this much), or tighten it
    """
    if tol is not None and float(tol) > LOOSE_TOLERANCE and not (why and why.strip()):
        raise ValueError(f"book.report({name!r}, ..., tol={float(tol):g}): a tolerance looser "
                         f"than {LOOSE_TOLERANCE:g} needs its reason: add why='...' (what makes "
                         f"the backends differ this much), or tighten it")
    path = os.environ.get(REPORT_ENV)
    if path:
        from . import ops
        number = float(ops.item(value)) if not isinstance(value, (int, float)) else float(value)
        record: dict[str, Any] = {"name": name, "value": number}
        cell = _code_cell()
        if cell is not None:
            record["cell"] = cell
        if tol is not None:
            record["tol"] = float(tol)
        if why:
            record["why"] = why.strip()
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    return value


def _code_cell() -> int | None:
    """The number of the code cell running now, in a kernel that runs a section: IPython
    counts a cell before running it (its count is then the next cell's), and the book's kernels
    run nothing else with history. Outside a kernel (a script, or a process where some other
    code made an IPython shell, as the test suite does) there is no cell: None."""
    import sys
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython
    shell = get_ipython()
    if getattr(shell, "kernel", None) is None:
        return None
    count = getattr(shell, "execution_count", None)
    return count - 1 if isinstance(count, int) else None


class SectionError(RuntimeError):
    """A cell of a section failed.

    >>> issubclass(book.SectionError, RuntimeError)
    True
    """


@dataclasses.dataclass
class SectionResult:
    """What :func:`run_section` returns: the executed notebook (``notebook``), the numbers
    its cells reported (``values``, with the ``tolerances`` and ``reasons`` they gave), and
    the seconds its cells took (``seconds``) and the kernel took to start (``startup``).

    >>> import pathlib
    >>> result = book.SectionResult(pathlib.Path("s.md"), "numpy", None, {"loss": 0.25}, 1.5)
    >>> result.values["loss"], result.tolerances, result.startup
    (0.25, {}, 0.0)
    """
    path: pathlib.Path
    backend: str
    notebook: Any
    values: dict[str, float]
    seconds: float                    # in the section's cells
    tolerances: dict[str, float] = dataclasses.field(default_factory=dict)
    startup: float = 0.0              # before the first cell: the kernel's start (or fork)
    reasons: dict[str, str] = dataclasses.field(default_factory=dict)   # why= of loose ones


def read_section(path: str | os.PathLike) -> Any:
    r"""The section as an nbformat notebook.

    >>> import pathlib
    >>> _ = pathlib.Path("s.md").write_text("# A section\n\n```{code-cell}\nprint(1 + 1)\n```\n")
    >>> [(cell.cell_type, cell.source) for cell in book.read_section("s.md").cells]
    [('markdown', '# A section'), ('code', 'print(1 + 1)')]
    """
    import jupytext
    return jupytext.read(os.fspath(path))


#: Kernel options for every run: figures as SVG, with ids that do not change between runs (so
#: a figure that is the same on two backends is byte for byte the same).
KERNEL_ARGUMENTS = ["--InlineBackend.figure_formats=svg", "--InlineBackend.rc=svg.hashsalt=mlbook"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes (tracebacks from a kernel carry them)."""
    return _ANSI.sub("", text)


def run_section(path: str | os.PathLike, backend: str | None = None, timeout: int = 600,
                threads: int = execution.BOOK_THREADS,
                extra_env: dict[str, str] | None = None,
                fork: bool | None = None) -> SectionResult:
    """Execute a section on ``backend`` (default: the selected one) in a new kernel.

    The kernel runs in the book's execution setting (:mod:`mlbook.execution`): every thread
    pool pinned to ``threads`` (default :data:`~mlbook.execution.BOOK_THREADS`, the setting the
    book's numbers come from) and deterministic kernels, whatever the calling environment says.
    ``extra_env`` adds variables (``benchmarks/stability.py`` perturbs the weights with it).
    ``fork``: start the kernel by forking the backend's fork server (:mod:`mlbook.forkserver`:
    the same outputs, without paying the framework's import per section) or, when False, as a
    process of its own; default :func:`mlbook.forkserver.available`.
    Raises :class:`SectionError` naming the section, the
    backend, the code cell (numbered from 1), its source and the traceback when a cell fails,
    runs past ``timeout`` seconds or kills the kernel.

    >>> book.run_section("no_such_section.md", "numpy")     # checked before a kernel starts
    Traceback (most recent call last):
    FileNotFoundError: no section file no_such_section.md
    """
    from .kernel import SectionKernel
    with SectionKernel(backend, threads=threads, extra_env=extra_env, timeout=timeout,
                       fork=fork) as kernel:
        return kernel.run(path)


def _read_values(path: str) -> tuple[dict[str, float], dict[str, float], dict[str, str],
                                     list[str]]:
    """The numbers a run reported, their tolerances, the reasons given for loose ones, and a
    description of each name reported more than once (with the cells that reported it)."""
    values: dict[str, float] = {}
    tolerances: dict[str, float] = {}
    reasons: dict[str, str] = {}
    cells: dict[str, list[Any]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                item = json.loads(line)
                values[item["name"]] = item["value"]
                cells.setdefault(item["name"], []).append(item.get("cell", "?"))
                if "tol" in item:
                    tolerances[item["name"]] = item["tol"]
                if "why" in item:
                    reasons[item["name"]] = item["why"]
    twice = [f"{name!r} in code cells {' and '.join(str(c) for c in where)}"
             for name, where in cells.items() if len(where) > 1]
    return values, tolerances, reasons, twice


# ---- the book's order -----------------------------------------------------------------------

_TOCTREE = re.compile(r"^```\{toctree\}[^\n]*\n(.*?)^```", re.M | re.S)


def chapter_sections(index: str | os.PathLike) -> list[str]:
    r"""The section names (file stems) listed by the ``toctree`` of a chapter's ``index.md``.

    >>> import pathlib
    >>> text = "# Chapter\n\n```{toctree}\n:maxdepth: 1\n\nsetup\nfirst_steps\n```\n"
    >>> _ = pathlib.Path("index.md").write_text(text)
    >>> book.chapter_sections("index.md")                   # options (``:maxdepth:``) left out
    ['setup', 'first_steps']
    """
    text = pathlib.Path(index).read_text(encoding="utf-8")
    match = _TOCTREE.search(text)
    if not match:
        raise ValueError(f"{index} has no ```{{toctree}} block listing the chapter's sections")
    return [line.strip() for line in match.group(1).splitlines()
            if line.strip() and not line.strip().startswith(":")]


def sections(root: str | os.PathLike | None = None) -> list[pathlib.Path]:
    r"""Every section of the book in reading order (``root``: the ``chapters`` folder, by default
    the one beside this package in a checkout).

    Raises ``ValueError`` when a chapter has no ``index.md``, its toctree names a file that does
    not exist, or a section file is missing from the toctree (the website would drop it).

    >>> import pathlib
    >>> chapter = pathlib.Path("chapters", "ch01_intro")
    >>> chapter.mkdir(parents=True, exist_ok=True)
    >>> for name, text in [("index", "# Intro\n```{toctree}\nsetup\nfirst_steps\n```\n"),
    ...                    ("setup", "# Setup"), ("first_steps", "# First steps")]:
    ...     _ = (chapter / f"{name}.md").write_text(text)
    >>> [path.as_posix() for path in book.sections("chapters")]        # the toctree's order
    ['chapters/ch01_intro/setup.md', 'chapters/ch01_intro/first_steps.md']
    """
    root = pathlib.Path(root) if root is not None else default_chapters_dir()
    if not root.is_dir():
        raise FileNotFoundError(f"no chapters folder at {root}: run from an mlbook checkout")
    ordered: list[pathlib.Path] = []
    for chapter in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = {p.stem for p in chapter.glob("*.md")} - {"index"}
        if not files:
            continue
        index = chapter / "index.md"
        if not index.exists():
            raise ValueError(f"chapter {chapter.name} has no index.md (a title, an introduction "
                             f"and a toctree of its sections)")
        listed = chapter_sections(index)
        missing = [name for name in listed if name not in files]
        if missing:
            raise ValueError(f"{index} lists {missing}, but there is no such .md file")
        unlisted = sorted(files - set(listed))
        if unlisted:
            raise ValueError(f"{chapter.name}: sections {unlisted} are not in the toctree of "
                             f"{index}; add them there")
        ordered += [chapter / f"{name}.md" for name in listed]
    return ordered


def default_chapters_dir() -> pathlib.Path:
    """``chapters/`` of the checkout this package runs from (or of the current directory)."""
    here = pathlib.Path(__file__).resolve().parents[1] / "chapters"
    return here if here.is_dir() else pathlib.Path.cwd() / "chapters"


# ---- agreement between backends ---------------------------------------------------------------

@dataclasses.dataclass
class Comparison:
    """How one backend's reported numbers compare with the reference backend's.

    >>> comparison = book.compare({"numpy": {"loss": 0.25}, "jax": {}})["jax"]
    >>> comparison.agrees, comparison.count, comparison.problems
    (False, 0, ['loss: missing'])
    """
    backend: str
    reference: str
    max_difference: float             # largest |value - reference value| over the numbers
    worst: str | None                 # the number with the largest difference relative to its tolerance
    count: int                        # how many numbers were compared
    problems: list[str]               # numbers outside tolerance, missing or extra

    @property
    def agrees(self) -> bool:
        return not self.problems


def compare(values: dict[str, dict[str, float]],
            tolerances: dict[str, dict[str, float]] | None = None,
            reference: str | None = None) -> dict[str, Comparison]:
    """Compare the numbers each backend reported for one section (``values[backend][name]``)
    with the ``reference`` backend's (default: the first).

    Two numbers agree when ``|a - b| <= tol * max(1, |b|)``, ``tol`` being the one the section
    reported (:data:`DEFAULT_TOLERANCE` if none): absolute near zero, relative for large
    values, as ``pytest.approx(b, rel=tol, abs=tol)``.  NaN agrees only with NaN.

    >>> values = {"numpy": {"loss": 0.25, "acc": 0.9}, "torch": {"loss": 0.25002, "acc": 0.95}}
    >>> result = book.compare(values)                        # numpy, the first, is the reference
    >>> result["torch"].agrees, result["torch"].worst, result["torch"].problems
    (False, 'acc', ['acc: 0.95 vs 0.9 on numpy (tolerance 0.0001)'])
    >>> book.compare(values, tolerances={"torch": {"acc": 0.1}})["torch"].agrees
    True
    """
    if not values:
        return {}
    tolerances = tolerances or {}
    reference = reference or next(iter(values))
    ref = values[reference]
    out: dict[str, Comparison] = {}
    for backend, vals in values.items():
        tols = {**tolerances.get(reference, {}), **tolerances.get(backend, {})}
        problems = [f"{name}: missing" for name in ref if name not in vals]
        problems += [f"{name}: not reported by {reference}" for name in vals if name not in ref]
        largest, worst, worst_ratio = 0.0, None, -1.0
        for name in [n for n in ref if n in vals]:
            a, b = vals[name], ref[name]
            tol = tols.get(name, DEFAULT_TOLERANCE)
            if math.isnan(a) or math.isnan(b):
                diff = 0.0 if math.isnan(a) and math.isnan(b) else math.inf
            else:
                diff = abs(a - b)
            allowed = tol * max(1.0, abs(b)) if not math.isnan(b) else 0.0
            ratio = diff / allowed if allowed else (0.0 if diff == 0 else math.inf)
            largest = max(largest, diff)
            if ratio > worst_ratio:
                worst, worst_ratio = name, ratio
            if diff > allowed:
                problems.append(f"{name}: {a:.6g} vs {b:.6g} on {reference} (tolerance {tol:g})")
        out[backend] = Comparison(backend, reference, largest, worst,
                                  sum(n in vals for n in ref), problems)
    return out


@dataclasses.dataclass
class Quantity:
    """One reported number of a section across the backends, as the Agreement page lists it.

    >>> quantity = book.quantities({"numpy": {"loss": 0.25}, "torch": {"loss": 0.25002}})[0]
    >>> quantity.low, quantity.high, quantity.tolerance, round(quantity.spread, 8)
    (0.25, 0.25002, 0.0001, 2e-05)
    >>> round(quantity.margin, 4)                # the tolerance is 5 times the spread
    5.0
    """
    name: str
    low: float                        # the smallest and largest value over the backends
    high: float
    tolerance: float                  # the section's, or the default
    reason: str | None                # why the tolerance is loose, where it is
    spread: float                     # largest |value - reference| / max(1, |reference|)
    explicit: bool                    # whether the section chose the tolerance

    @property
    def margin(self) -> float:
        """The tolerance as a multiple of the spread (inf when the backends agree exactly)."""
        return self.tolerance / self.spread if self.spread else math.inf


def quantities(values: dict[str, dict[str, float]],
               tolerances: dict[str, dict[str, float]] | None = None,
               reasons: dict[str, dict[str, str]] | None = None,
               reference: str | None = None) -> list[Quantity]:
    """Every number the ``reference`` backend (default: the first) reported, with its range
    over the backends, its tolerance and reason, and the spread measured in the units of
    :func:`compare` (relative for values above 1, absolute below).  NaN counts as agreeing
    only with NaN (an infinite spread otherwise).

    >>> values = {"numpy": {"acc": 0.9, "loss": float("nan")}, "torch": {"acc": 0.95, "loss": 0.3}}
    >>> for q in book.quantities(values, {"numpy": {"acc": 0.1}}, {"numpy": {"acc": "20 images"}}):
    ...     print(q.name, q.low, q.high, q.tolerance, q.reason, round(q.spread, 4), q.explicit)
    acc 0.9 0.95 0.1 20 images 0.05 True
    loss 0.3 0.3 0.0001 None inf False
    """
    if not values:
        return []
    tolerances, reasons = tolerances or {}, reasons or {}
    reference = reference or next(iter(values))
    tols = {k: v for b in values for k, v in tolerances.get(b, {}).items()}
    whys = {k: v for b in values for k, v in reasons.get(b, {}).items()}
    out = []
    for name, ref in values[reference].items():
        seen = [vals[name] for vals in values.values() if name in vals]
        finite = [v for v in seen if not math.isnan(v)]
        if math.isnan(ref):
            spread = 0.0 if not finite else math.inf
        elif len(finite) < len(seen):
            spread = math.inf
        else:
            spread = max(abs(v - ref) for v in finite) / max(1.0, abs(ref))
        out.append(Quantity(name, min(finite, default=math.nan), max(finite, default=math.nan),
                            tols.get(name, DEFAULT_TOLERANCE), whys.get(name), spread,
                            name in tols))
    return out
