"""Wall time to execute the book's sections on each backend, one after another (one fresh
kernel per section, as ``mlbook run`` does).  Run by hand::

    python benchmarks/book_time.py [--backend numpy,torch] [--chapters ch06,ch07]

``--chapters`` takes chapter folder names or their prefixes (``ch06`` for
``ch06_convolutional_neural_networks``); the default is the whole book.
"""

from __future__ import annotations

import time

from mlbook import book
from _harness import each_backend, parse_args


def main(argv=None) -> int:
    args = parse_args(__doc__, 1, argv, extra=[
        ("--chapters", dict(default="", help="comma-separated chapter folders or prefixes"))])
    prefixes = [c for c in args.chapters.split(",") if c]
    sections = [s for s in book.sections()
                if not prefixes or any(s.parent.name.startswith(p) for p in prefixes)]
    rows = []
    for name in each_backend(args.backend):
        start = time.perf_counter()
        per = [book.run_section(s, name).seconds for s in sections]
        rows.append((name, time.perf_counter() - start, max(per),
                     sections[per.index(max(per))].stem))
    print(f"{len(sections)} sections")
    print("| backend | all sections (s) | slowest section (s) |")
    print("|---|---:|---:|")
    for name, total, slowest, which in rows:
        print(f"| {name} | {total:.1f} | {slowest:.1f} ({which}) |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
