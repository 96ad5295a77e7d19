"""What the benchmark scripts share: the command line, the list of backends to run, and the
results table, printed as Markdown and, with ``--save``, written to ``benchmarks/results/`` as
JSON, from which the website's benchmark page draws its tables and bar charts
(``mlbook/site/benchmarks.py``), so a figure cannot drift from its table."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import sys
from typing import Any, Iterator, Sequence

import mlbook as mb
from mlbook import backends, config


def parse_args(doc: str, rounds: int, argv: list[str] | None = None,
               extra: list[tuple[str, dict]] = ()) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--backend", default=",".join(config.BACKENDS),
                        help="comma-separated backends (default: all of them)")
    parser.add_argument("--rounds", type=int, default=rounds, help="timing rounds (median)")
    add_save(parser)
    for flag, options in extra:
        parser.add_argument(flag, **options)
    return parser.parse_args(argv)


def each_backend(names: str) -> Iterator[str]:
    """Activate each installed backend of the comma-separated ``names`` in turn."""
    for name in [config.canonical_name(n) for n in names.split(",")]:
        if not backends.is_installed(name):
            print(f"skipping {name}: not installed", file=sys.stderr)
            continue
        mb.set_backend(name)
        yield name


#: Where ``--save`` writes results (one JSON file per benchmark).
RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def add_save(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--save", action="store_true",
                        help="also write the results to benchmarks/results/ (the website's "
                             "benchmark page is drawn from there)")


def table(name: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
          formats: Sequence[str], save: bool, chart: dict | None = None,
          note: str = "") -> None:
    """Print ``rows`` as a Markdown table (``formats``: a format spec per column, ``""`` for
    text; None prints as a dash); with ``save``, write them with the command line, the date,
    the machine and the versions to ``benchmarks/results/<name>.json``.  ``chart``: which
    columns the website plots, ``{"label": [columns], "bars": [columns], "unit": text}``."""
    from mlbook.site.benchmarks import markdown_table
    print("\n".join(markdown_table(columns, formats, rows)))
    if not save:
        return
    import importlib.metadata
    versions = {}
    for dist in ("numpy", "mxnet", "torch", "tensorflow-cpu", "jax"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            pass
    RESULTS.mkdir(exist_ok=True)
    record = {"title": title, "note": note,
              "command": " ".join(["python", f"benchmarks/{pathlib.Path(sys.argv[0]).name}",
                                   *sys.argv[1:]]),
              "date": datetime.date.today().isoformat(),
              "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python "
                         f"{platform.python_version()}",
              "versions": versions, "columns": list(columns), "formats": list(formats),
              "rows": [list(r) for r in rows], "chart": chart}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"saved {path}", file=sys.stderr)
