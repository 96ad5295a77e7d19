"""Wall time to execute the book's sections on each backend, one after another, each in a new
kernel as ``mlbook build``, ``mlbook run`` and the tests run them (``--reuse``: in kernels
reused from section to section, which saves the kernels' start-up but does not reproduce a new
kernel's last digits; see :mod:`mlbook.kernel`).  Run by hand::

    python benchmarks/book_time.py [--backend numpy,torch] [--chapters ch11,ch12] [--budget 300]

``--chapters`` takes chapter folder names or their prefixes (``ch06`` for
``ch06_convolutional_neural_networks``); the default is the whole book.  ``--budget`` prints
whether each backend ran the chosen sections within that many seconds (part 5's chapters,
``ch11,ch12``, share a budget of 300 s per backend).  One kernel runs at a time.
"""

from __future__ import annotations

import time

from mlbook import book
from mlbook.kernel import SECTIONS_PER_KERNEL, SectionKernel
from _harness import each_backend, parse_args, table


def run_all(sections, name: str, reuse: bool) -> list[float]:
    """Seconds spent in each section's cells (kernel starts are in the wall time only)."""
    if not reuse:
        return [book.run_section(s, name).seconds for s in sections]
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


def main(argv=None) -> int:
    args = parse_args(__doc__, 1, argv, extra=[
        ("--chapters", dict(default="", help="comma-separated chapter folders or prefixes")),
        ("--reuse", dict(action="store_true", help="reuse kernels from section to section")),
        ("--budget", dict(type=float, default=0.0, help="seconds allowed per backend"))])
    prefixes = [c for c in args.chapters.split(",") if c]
    sections = [s for s in book.sections()
                if not prefixes or any(s.parent.name.startswith(p) for p in prefixes)]
    rows = []
    for name in each_backend(args.backend):
        start = time.perf_counter()
        per = run_all(sections, name, args.reuse)
        rows.append((name, time.perf_counter() - start, sum(per), max(per),
                     sections[per.index(max(per))].stem))
    kernels = "reused kernels" if args.reuse else "a new kernel each"
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
