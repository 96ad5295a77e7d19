"""Time to execute the book's sections on each backend.  Run by hand::

    python benchmarks/book_time.py [--backend numpy,torch] [--chapters ch11,ch12] [--budget 300]
    python benchmarks/book_time.py --both [--chapters ch02] [-j 2]
    python benchmarks/book_time.py --from-cache docs/_build/cache --save

The first form executes the chosen sections one after another, one kernel at a time, each in a
new kernel as ``mlbook build``, ``mlbook run`` and the tests run them (forked from the
backend's fork server, :mod:`mlbook.forkserver`; ``--no-fork``: each kernel started as a
process of its own; ``--reuse``: kernels reused from section to section, which saves the
start-up but does not reproduce a new kernel's last digits, see :mod:`mlbook.kernel`).
``--chapters`` takes chapter folder names or their prefixes (``ch06`` for
``ch06_convolutional_neural_networks``); the default is the whole book.  ``--budget`` prints
whether each backend ran the chosen sections within that many seconds.

``--both`` executes every chosen run twice, in a forked kernel and in a kernel started for it
alone, ``-j`` kernels at a time, and prints per backend the start-up and cell seconds of each
way, the wall time of each way, and how many runs gave different outputs (which must be 0:
``mlbook.kernel.output_differences``).

``--from-cache`` reads the cache of a build (``mlbook build``, or the tests' ``--book-cache``)
and prints the seconds of every section on every backend (cells plus start-up), each backend's
total as a ratio to PyTorch's, and its start-up; saved, the per-section table is
``benchmarks/results/book_sections.json``, which also orders the runs of a cold build (longest
first) and gives its progress bar the time left.
"""

from __future__ import annotations

import concurrent.futures
import pathlib
import time

from mlbook import book, config
from mlbook.kernel import SECTIONS_PER_KERNEL, SectionKernel, output_differences
from mlbook.site.cache import ExecutionCache
from _harness import each_backend, parse_args, table

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_all(sections, name: str, reuse: bool, fork: bool) -> list[float]:
    """Seconds spent in each section's cells (kernel starts are in the wall time only)."""
    if not reuse:
        return [book.run_section(s, name, fork=fork).seconds for s in sections]
    per, kernel = [], None
    try:
        for section in sections:
            if kernel is None or not kernel.reusable:
                if kernel is not None:
                    kernel.close()
                kernel = SectionKernel(name)
            per.append(kernel.run(section).seconds)
    finally:
        if kernel is not None:
            kernel.close()
    return per


def one_at_a_time(args, sections) -> None:
    rows = []
    for name in each_backend(args.backend):
        start = time.perf_counter()
        per = run_all(sections, name, args.reuse, not args.no_fork)
        rows.append((name, time.perf_counter() - start, sum(per), max(per),
                     sections[per.index(max(per))].stem))
    kernels = ("reused kernels" if args.reuse else "a new kernel each"
               + (", started" if args.no_fork else ", forked"))
    chapters = args.chapters or "the whole book"
    columns = ["backend", "wall (s)", "in cells (s)", "slowest section", "its time (s)"]
    formats = ["", ".1f", ".1f", "", ".1f"]
    if args.budget:
        columns.append(f"within {args.budget:.0f} s")
        formats.append("")
    table(f"book_time{'_' + args.chapters.replace(',', '_') if args.chapters else ''}"
          f"{'_reuse' if args.reuse else ''}",
          f"Executing {chapters} ({len(sections)} sections), {kernels}, one kernel at a time",
          columns, [(name, total, cells, which, slowest) +
                    ((("yes" if total <= args.budget else "no"),) if args.budget else ())
                    for name, total, cells, slowest, which in rows], formats, args.save,
          chart={"label": ["backend"], "bars": ["wall (s)"], "unit": "seconds"},
          note="Wall time includes starting the kernels" + (
              f" (a new one every {SECTIONS_PER_KERNEL} sections)." if args.reuse else "."))


def both_ways(args, sections) -> None:
    names = list(each_backend(args.backend))
    pairs = [(s, b) for s in sections for b in names]
    results: dict[bool, dict] = {}
    walls: dict[bool, float] = {}
    for fork in (True, False):
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            runs = list(pool.map(lambda p: book.run_section(p[0], p[1], fork=fork), pairs))
        walls[fork] = time.perf_counter() - start
        results[fork] = dict(zip(pairs, runs))
    differ = {pair: output_differences(results[True][pair].notebook,
                                       results[False][pair].notebook)
              + (["reported numbers"] if results[True][pair].values
                 != results[False][pair].values else [])
              for pair in pairs}
    for (section, backend), problems in differ.items():
        if problems:
            print(f"DIFFERENT: {section} on {backend}: {problems}")
    rows = []
    for name in names:
        mine = [p for p in pairs if p[1] == name]
        rows.append((name, len(mine),
                     sum(results[False][p].startup for p in mine),
                     sum(results[True][p].startup for p in mine),
                     sum(results[False][p].seconds for p in mine),
                     sum(results[True][p].seconds for p in mine),
                     sum(bool(differ[p]) for p in mine)))
    rows.append(("all", len(pairs), *(sum(r[k] for r in rows) for k in range(2, 7))))
    chapters = args.chapters or "the whole book"
    table(f"book_both_ways{'_' + args.chapters.replace(',', '_') if args.chapters else ''}",
          f"Executing {chapters} in new kernels started for each run, and forked from a fork "
          f"server, {args.jobs} at a time",
          ["backend", "runs", "start-up, started (s)", "start-up, forked (s)",
           "cells, started (s)", "cells, forked (s)", "runs that differ"],
          rows, ["", "d", ".1f", ".1f", ".1f", ".1f", "d"], args.save,
          chart={"label": ["backend"], "bars": ["start-up, started (s)",
                                                "start-up, forked (s)"], "unit": "seconds"},
          note=f"Wall time: {walls[False]:.0f} s with kernels started for each run, "
               f"{walls[True]:.0f} s forked (the first forked run of a backend pays its "
               f"server's start). A run differs when any output differs byte for byte "
               f"(mlbook.kernel.output_differences) or a reported number does.")


def from_cache(args, sections) -> None:
    seconds: dict[tuple[str, str], tuple[float, float]] = {}
    cache = ExecutionCache(args.from_cache)
    for path in cache.entries():
        run = cache.get(path.stem)                 # None for a damaged entry
        if run is not None:
            seconds[run.section, run.backend] = (run.seconds, run.startup)
    names = [b for b in config.BACKENDS if any(k[1] == b for k in seconds)]
    rels = [s.resolve().relative_to((ROOT / "chapters").resolve()).as_posix() for s in sections]
    rels = [r for r in rels if all((r, b) in seconds for b in names)]
    rows = [[rel] + [round(sum(seconds[rel, b]), 1) for b in names]
            + [round(sum(sum(seconds[rel, b]) for b in names), 1)] for rel in rels]
    rows.sort(key=lambda row: -row[-1])
    table("book_sections", f"Seconds per section and backend (cells plus start-up), "
          f"{len(rels)} sections, from one build's cache, two kernels at a time",
          ["section"] + [f"{b} (s)" for b in names] + ["all backends (s)"], rows,
          [""] + [".1f"] * (len(names) + 1), args.save,
          chart={"label": ["section"], "bars": [f"{b} (s)" for b in names], "unit": "seconds"},
          note="Slowest first. A cold build starts its runs in this order (longest first), so "
               "that its kernels finish together.")
    reference = "torch" if "torch" in names else names[0]
    totals = {b: sum(sum(seconds[r, b]) for r in rels) for b in names}
    table("book_backends", f"The book's execution per backend, {len(rels)} sections, from "
          f"one build's cache", ["backend", "cells (s)", "start-up (s)",
                                  "start-up per run (s)", f"total / {reference}'s"],
          [(b, sum(seconds[r, b][0] for r in rels), sum(seconds[r, b][1] for r in rels),
            sum(seconds[r, b][1] for r in rels) / max(1, len(rels)),
            totals[b] / totals[reference]) for b in names],
          ["", ".0f", ".0f", ".2f", ".2f"], args.save,
          chart={"label": ["backend"], "bars": ["cells (s)", "start-up (s)"],
                 "unit": "seconds"},
          note="Start-up is the time before a section's first cell: forking a kernel from "
               "the backend's fork server, or, for the first run of a backend, starting "
               "that server.")


def main(argv=None) -> int:
    args = parse_args(__doc__, 1, argv, extra=[
        ("--chapters", dict(default="", help="comma-separated chapter folders or prefixes")),
        ("--reuse", dict(action="store_true", help="reuse kernels from section to section")),
        ("--no-fork", dict(action="store_true", help="start every kernel as a new process")),
        ("--both", dict(action="store_true", help="run forked and started, compare outputs")),
        ("-j", dict(dest="jobs", type=int, default=2, help="kernels at once for --both")),
        ("--from-cache", dict(default="", help="a build's cache folder: per-section table")),
        ("--budget", dict(type=float, default=0.0, help="seconds allowed per backend"))])
    prefixes = [c for c in args.chapters.split(",") if c]
    sections = [s for s in book.sections()
                if not prefixes or any(s.parent.name.startswith(p) for p in prefixes)]
    if args.from_cache:
        from_cache(args, sections)
    elif args.both:
        both_ways(args, sections)
    else:
        one_at_a_time(args, sections)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
