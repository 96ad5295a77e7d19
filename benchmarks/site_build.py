"""Wall time of ``mlbook build`` for the whole book on every backend: cold (empty cache), warm
(nothing changed) and after editing one section.  Run by hand, from the repository root::

    python benchmarks/site_build.py [--backend numpy,torch] [--jobs 2]

It builds in a scratch copy of ``docs/`` and ``chapters/`` (so the real cache is not touched).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import tempfile
import time

from mlbook import backends, book, config, site

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default=",".join(config.BACKENDS))
    parser.add_argument("--jobs", type=int, default=None, help="kernels at once (default: cores)")
    args = parser.parse_args(argv)
    names = [config.canonical_name(n) for n in args.backend.split(",")
             if backends.is_installed(config.canonical_name(n))]
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        shutil.copytree(ROOT / "docs", root / "docs", ignore=shutil.ignore_patterns("_build"))
        shutil.copytree(ROOT / "chapters", root / "chapters")
        rows = []
        for label in ("cold", "warm", "one section edited"):
            if label == "one section edited":
                section = book.sections(root / "chapters")[1]
                with open(section, "a") as f:
                    f.write("\n```{code-cell} ipython3\nprint('edited')\n```\n")
            start = time.perf_counter()
            result = site.build(backends=names, root=root, jobs=args.jobs,
                                log=lambda line: None)
            rows.append((label, time.perf_counter() - start, result.executed, result.cached))
    sections = len(book.sections())
    print(f"{sections} sections x {len(names)} backends ({', '.join(names)}), "
          f"{args.jobs or os.cpu_count()} kernels at once")
    print("| build | wall time (s) | section runs executed | from cache |")
    print("|---|---:|---:|---:|")
    for label, seconds, executed, cached in rows:
        print(f"| {label} | {seconds:.1f} | {executed} | {cached} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
