"""The ``mlbook`` command line.

``mlbook info``: the installed backends with their framework versions, which one is selected,
and whether each imports.
``mlbook run chapters/<file>.md --backend torch``: execute a section headless; a failing cell
stops it with the cell and the error (exit status 1).
``mlbook build [sections or chapter folders] --backend torch,numpy``: the website, every section
executed on every backend (cached), into ``docs/_build/html``.  ``--shard i/n`` executes only
the i-th of n parts into the cache; ``mlbook merge-cache A B --into C`` merges the shards'
caches, from which ``mlbook build --cache-dir C`` renders the site without executing anything.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
from typing import Sequence

from . import __version__, backends, config, execution
from .records import RECORDS


def _version(dist_names: Sequence[str]) -> str | None:
    for dist in dist_names:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def info(check_imports: bool = True) -> str:
    """The text printed by ``mlbook info``."""
    selected = backends.name()
    source = f"from {config.ENV_VAR}" if os.environ.get(config.ENV_VAR, "").strip() else "default"
    lines = [f"mlbook {__version__} (Python {sys.version.split()[0]}, numpy "
             f"{_version(['numpy'])})",
             f"selected backend: {selected} ({source})",
             "",
             f"{'backend':<12}{'framework':<28}{'imports':<10}"]
    for record in RECORDS:
        name = record.name
        version = _version(record.distributions)
        framework = f"{record.import_name} {version}" if version else "not installed"
        if not version:
            status = f"no: {record.install_hint}"
        elif not check_imports:
            status = "not checked"
        else:
            try:
                backends.load(name)
                status = "yes"
            except Exception as err:  # report, do not crash: this is a diagnostic command
                status = f"no: {type(err).__name__}: {str(err).splitlines()[0][:80]}"
        marker = " *" if name == selected else ""
        lines.append(f"{name + marker:<12}{framework:<28}{status}")
    lines.append("")
    lines.append("* selected; change it with MLBOOK_BACKEND=<name> or mlbook.set_backend(name)")
    return "\n".join(lines)


THREADS_HELP = (f"compute threads per kernel (default {execution.BOOK_THREADS}, the setting "
                f"the book's numbers come from; another count rounds float32 sums differently)")


def _threads(text: str) -> int:
    try:
        return execution.parse_threads(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlbook", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_info = sub.add_parser("info", help="installed backends, versions, the selected one")
    p_info.add_argument("--no-import", action="store_true",
                        help="only look for the frameworks, do not import them")
    p_run = sub.add_parser("run", help="execute book sections headless")
    p_run.add_argument("sections", nargs="+", help="jupytext markdown files")
    p_run.add_argument("--backend", default=None,
                       help="backend(s), comma-separated (default: MLBOOK_BACKEND or numpy)")
    p_run.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    p_run.add_argument("--threads", type=_threads, default=execution.BOOK_THREADS,
                       help=THREADS_HELP)
    p_build = sub.add_parser("build", help="build the website into docs/_build/html")
    p_build.add_argument("sections", nargs="*",
                         help="section files or chapter folders (default: the whole book)")
    p_build.add_argument("--backend", default=None,
                         help="backend(s), comma-separated (default: every installed one)")
    p_build.add_argument("-j", "--jobs", type=int, default=None,
                         help="kernels running at once (default: one per core)")
    p_build.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    p_build.add_argument("--threads", type=_threads, default=execution.BOOK_THREADS,
                         help=THREADS_HELP)
    p_build.add_argument("--root", default=".", help="the mlbook checkout (default: here)")
    p_build.add_argument("--cache-dir", default=None,
                         help="where executed sections are cached (default: "
                              "docs/_build/cache)")
    p_build.add_argument("--shard", type=_shard, default=None, metavar="I/N",
                         help="execute only the I-th of N parts of the runs into the cache and "
                              "stop (a build spread over N machines; merge their caches with "
                              "mlbook merge-cache, then build)")
    p_merge = sub.add_parser("merge-cache", help="merge the caches of a sharded build")
    p_merge.add_argument("caches", nargs="+", help="cache folders of the shards")
    p_merge.add_argument("--into", required=True, help="the cache folder to merge them into")
    p_merge.add_argument("--root", default=".",
                         help="the mlbook checkout whose chapters the entries are checked "
                              "against (default: here)")
    args = parser.parse_args(argv)
    if args.command == "info":
        print(info(check_imports=not args.no_import))
        return 0
    if args.command == "build":
        return build(args)
    if args.command == "merge-cache":
        return merge_cache(args.caches, args.into, args.root)
    return run(args.sections, args.backend, args.timeout, args.threads)


def _shard(text: str) -> tuple[int, int]:
    from .site.execute import parse_shard
    try:
        return parse_shard(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def merge_cache(caches: Sequence[str], into: str, root: str = ".") -> int:
    """``mlbook merge-cache``: copy the shards' cache entries into one cache folder, each
    checked against the key of the run it claims (the sections in ``root``'s chapters)."""
    import pathlib
    from .site.cache import ExecutionCache
    target = ExecutionCache(into)
    chapters = pathlib.Path(root) / "chapters"
    try:
        if not chapters.is_dir():
            raise FileNotFoundError(f"no chapters folder in {root}: run mlbook merge-cache from "
                                    f"the checkout the shards were executed from, or give --root")
        for folder in caches:
            print(f"{folder}: {target.merge(folder, chapters)} entries merged into {into}")
    except (FileNotFoundError, ValueError) as err:
        print(f"merge failed: {err}", file=sys.stderr)
        return 1
    return 0


def build(args: argparse.Namespace) -> int:
    """``mlbook build``: 1 with the failures printed if a cell failed or Sphinx warned."""
    from .site import BuildError
    from .site import build as build_site
    try:
        backends_ = [b for b in args.backend.split(",") if b.strip()] if args.backend else None
        result = build_site(args.sections or None, backends_, root=args.root, jobs=args.jobs,
                            timeout=args.timeout, threads=args.threads,
                            cache_dir=args.cache_dir, shard=args.shard, progress=True)
    except (BuildError, ValueError, FileNotFoundError) as err:
        print(f"build failed: {err}", file=sys.stderr)
        return 1
    if result.html is None:
        print(f"shard {args.shard[0]}/{args.shard[1]}: {result.executed} section runs executed, "
              f"{result.cached} cached, in {result.seconds:.0f} s")
        return 0
    disagree = [doc for doc, c in result.comparisons.items()
                if not all(x.agrees for x in c.values())]
    print(f"built {result.html} in {result.seconds:.0f} s ({result.executed} section runs "
          f"executed, {result.cached} cached)")
    if disagree:
        print(f"backends disagree on {len(disagree)} section(s): {', '.join(disagree)} "
              f"(see the Agreement page)")
    return 0


def run(sections: Sequence[str], backend: str | None, timeout: int,
        threads: int = execution.BOOK_THREADS) -> int:
    """``mlbook run``: execute each section on each backend, in the book's execution setting
    (the numbers ``mlbook build`` publishes); 1 if any cell failed."""
    from .book import SectionError, run_section
    names = [config.canonical_name(b) for b in backend.split(",")] if backend \
        else [config.backend_from_env()]
    status = 0
    for section in sections:
        for name in names:
            try:
                result = run_section(section, name, timeout, threads=threads)
            except (SectionError, FileNotFoundError) as err:
                print(f"FAILED {err}", file=sys.stderr)
                status = 1
                continue
            cells = sum(c.cell_type == "code" for c in result.notebook.cells)
            print(f"ok {section} [{name}, {threads} thread{'s' * (threads > 1)}]: {cells} code "
                  f"cells in {result.seconds:.1f} s")
            for key, value in result.values.items():
                shown = int(value) if float(value).is_integer() else value
                print(f"    {key} = {shown!r}")          # every digit: compare runs exactly
    return status


if __name__ == "__main__":
    raise SystemExit(main())
