"""Wall time of ``mlbook build`` for the whole book on every backend: cold (empty cache), warm
(nothing changed) and after editing one section.  Run by hand, from the repository root::

    python benchmarks/site_build.py [--backend numpy,torch] [--jobs 2] [--threads 1]
                                    [--chapters ch06,ch07] [--cold-only]

``--threads`` sets the compute threads per kernel (default the book's setting, 1: two kernels
on two cores; 2 oversubscribes them, as ``mlbook run`` in two terminals did before the
setting was pinned).

It builds in a scratch copy of ``docs/`` and ``chapters/`` (so the real cache is not touched).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import tempfile
import time

from mlbook import backends, book, config, execution, site
from _harness import add_save, table

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default=",".join(config.BACKENDS))
    parser.add_argument("--jobs", type=int, default=None, help="kernels at once (default: cores)")
    parser.add_argument("--threads", type=int, default=execution.BOOK_THREADS,
                        help="compute threads per kernel (default: the book's setting)")
    parser.add_argument("--chapters", default="", help="chapter folders or prefixes (ch06,...)")
    parser.add_argument("--cold-only", action="store_true", help="only the cold build")
    add_save(parser)
    args = parser.parse_args(argv)
    names = [config.canonical_name(n) for n in args.backend.split(",")
             if backends.is_installed(config.canonical_name(n))]
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        shutil.copytree(ROOT / "docs", root / "docs", ignore=shutil.ignore_patterns("_build"))
        shutil.copytree(ROOT / "chapters", root / "chapters")
        prefixes = [c for c in args.chapters.split(",") if c]
        chosen = [root / "chapters" / p.parent.name for p in book.sections()
                  if any(p.parent.name.startswith(c) for c in prefixes)]
        chosen = list(dict.fromkeys(chosen)) or None
        rows = []
        labels = ("cold",) if args.cold_only else ("cold", "warm", "one section edited")
        for label in labels:
            if label == "one section edited":
                section = [p for p in book.sections(root / "chapters")
                           if chosen is None or p.parent in chosen][1]
                with open(section, "a") as f:
                    f.write("\n```{code-cell} ipython3\nprint('edited')\n```\n")
            start = time.perf_counter()
            result = site.build(chosen, backends=names, root=root, jobs=args.jobs,
                                threads=args.threads, log=lambda line: None)
            rows.append((label, time.perf_counter() - start, result.executed, result.cached))
    sections = (result.executed + result.cached) // len(names)      # runs of the last build
    print(f"{sections} sections x {len(names)} backends ({', '.join(names)}), "
          f"{args.jobs or os.cpu_count()} kernels at once, {args.threads} thread(s) each")
    table("site_build" + (f"_{args.chapters.replace(',', '_')}" if args.chapters else ""),
          f"mlbook build: {sections} sections x {len(names)} backends, "
          f"{args.jobs or os.cpu_count()} kernels at once, {args.threads} thread(s) each",
          ["build", "wall time (s)", "section runs executed", "from cache"], rows,
          ["", ".1f", "d", "d"], args.save,
          chart={"label": ["build"], "bars": ["wall time (s)"], "unit": "seconds"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
