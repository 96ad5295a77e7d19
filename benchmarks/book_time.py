"""Wall time to execute every section of the book on each backend (one fresh kernel per
section, as ``mlbook run`` does).  Run by hand::

    python benchmarks/book_time.py [--backend numpy,torch]
"""

from __future__ import annotations

import pathlib
import time

from mlbook import book
from _harness import each_backend, parse_args

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    args = parse_args(__doc__, 1, argv)
    sections = sorted((ROOT / "chapters").glob("*/*.md"))
    rows = []
    for name in each_backend(args.backend):
        start = time.perf_counter()
        per = [book.run_section(s, name).seconds for s in sections]
        rows.append((name, time.perf_counter() - start, max(per)))
    print(f"{len(sections)} sections")
    print("| backend | all sections (s) | slowest section (s) |")
    print("|---|---:|---:|")
    for name, total, slowest in rows:
        print(f"| {name} | {total:.1f} | {slowest:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
