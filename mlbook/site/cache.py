"""The execution cache of the website build: one executed notebook per (section, backend).

An entry's key hashes what decides the section's output: the section's source text, the backend,
the execution setting (compute threads per kernel), and the installed versions (Python, the backend's framework, numpy, matplotlib, pandas,
scikit-learn, and mlbook itself: its version and a hash of its source files, because a fix in a
layer changes the numbers every section prints; the website package itself is left out).  A rebuild with nothing changed finds every
entry; editing one section misses only its entries.

Entries are written to a temporary file and renamed, so an interrupted build never leaves a
half-written entry behind.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import os
import pathlib
import platform
import tempfile
from typing import Any

from .. import __version__, backends, execution

__all__ = ["ExecutionCache", "CachedRun", "environment_versions"]

#: Distributions whose versions key every entry (the framework of the backend is added).
COMMON_DISTRIBUTIONS = ("numpy", "autograd", "matplotlib", "pandas", "scikit-learn", "ipykernel")


@dataclasses.dataclass
class CachedRun:
    """One executed section on one backend."""
    section: str                      # the section's path relative to the chapters folder
    backend: str
    notebook: Any                     # the executed nbformat notebook
    values: dict[str, float]          # numbers reported with book.report
    tolerances: dict[str, float]      # their agreement tolerances, where the section set one
    seconds: float                    # time in the section's cells
    startup: float = 0.0              # time before its first cell (starting the kernel)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=None)
def _mlbook_source_hash() -> str:
    """A hash of the mlbook source a section's output can depend on: the code of every module
    but this package's and the command line's (building the website or parsing a command does
    not change what a section prints), without docstrings and comments (its syntax tree), so
    that documenting the library does not re-execute the book.  (A section that printed a
    docstring would keep the old text until its own source changed; none does.)"""
    root = pathlib.Path(__file__).resolve().parents[1]
    here = pathlib.Path(__file__).resolve().parent
    digest = hashlib.sha256()
    outside = {root / "cli.py", root / "__main__.py"}
    for path in sorted(p for p in root.rglob("*.py")
                       if here not in p.parents and p not in outside):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(_code_of(path.read_text(encoding="utf-8")).encode())
    return digest.hexdigest()[:16]


def _code_of(source: str) -> str:
    """``source``'s syntax tree without docstrings, as text (comments are not in the tree)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def environment_versions(backend: str) -> dict[str, str | None]:
    """The versions that key a cache entry for ``backend``."""
    versions: dict[str, str | None] = {
        "python": platform.python_version(),
        "mlbook": f"{__version__}+{_mlbook_source_hash()}",
    }
    for dist in COMMON_DISTRIBUTIONS:
        versions[dist] = _version(dist)
    for dist in backends.DISTRIBUTIONS[backend]:       # the framework, under whichever name
        if _version(dist) is not None:
            versions[dist] = _version(dist)
    return versions


class ExecutionCache:
    """Executed notebooks on disk, under ``directory``."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = pathlib.Path(directory)

    def key(self, source: str, backend: str, threads: int = execution.BOOK_THREADS) -> str:
        """The entry key for a section whose text is ``source``, run on ``backend`` with
        ``threads`` compute threads per kernel."""
        blob = json.dumps({"source": source, "backend": backend, "threads": threads,
                           "versions": environment_versions(backend)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _path(self, key: str) -> pathlib.Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> CachedRun | None:
        """The entry for ``key``, or None.  An unreadable entry counts as missing (and is
        removed), so a damaged cache costs a re-execution, never a wrong page."""
        import nbformat
        path = self._path(key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            notebook = nbformat.from_dict(record["notebook"])
            return CachedRun(record["section"], record["backend"], notebook, record["values"],
                             record.get("tolerances", {}), record["seconds"],
                             record.get("startup", 0.0))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            return None

    def merge(self, other: str | os.PathLike) -> int:
        """Copy the entries of the cache folder ``other`` that this one lacks (the caches of
        the shards of a build, executed on several machines); returns how many.  An entry
        that cannot be read is refused, with its file named, and left where it is."""
        other = pathlib.Path(other)
        if not other.is_dir():
            raise FileNotFoundError(f"no cache folder {other}")
        copied = 0
        for path in sorted(other.glob("*.json")):
            if self._path(path.stem).exists():
                continue
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                run = CachedRun(record["section"], record["backend"], record["notebook"],
                                record["values"], record.get("tolerances", {}),
                                record["seconds"], record.get("startup", 0.0))
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f"{path} is not a readable cache entry ({err!r}): execute its "
                                 f"section again (mlbook build --shard) or delete the "
                                 f"file") from None
            self.put(path.stem, run)
            copied += 1
        return copied

    def put(self, key: str, run: CachedRun) -> None:
        """Store ``run`` under ``key`` (atomically)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        record = dataclasses.asdict(dataclasses.replace(run, notebook=None))
        record["notebook"] = run.notebook
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(tmp, self._path(key))
        except BaseException:
            pathlib.Path(tmp).unlink(missing_ok=True)
            raise
