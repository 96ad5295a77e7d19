"""What the benchmark scripts share: the command line and the list of backends to run."""

from __future__ import annotations

import argparse
import sys
from typing import Iterator

import mlbook as mb
from mlbook import backends, config


def parse_args(doc: str, rounds: int, argv: list[str] | None = None,
               extra: list[tuple[str, dict]] = ()) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--backend", default=",".join(config.BACKENDS),
                        help="comma-separated backends (default: all of them)")
    parser.add_argument("--rounds", type=int, default=rounds, help="timing rounds (median)")
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
