"""The execution cache of the website build: one executed notebook per (section, backend).

An entry's key hashes everything that decides the section's output:

* the section's source text, the backend and the compute threads per kernel;
* the files in the data folder (``MLBOOK_DATA_DIR``): with a real data set's file a section
  runs on it, without it on a stand-in;
* the settings that change numbers (:func:`mlbook.execution.number_settings`: fused kernels,
  exact compilation, TensorFlow's oneDNN switch, the ``XLA_FLAGS`` the kernel gets) and the
  processor (:func:`mlbook.execution.cpu_signature`: float32 results differ between CPUs);
* the installed versions: Python, the backend's framework and the distributions its record
  names (jaxlib, keras), numpy, autograd, matplotlib, pandas, scikit-learn, ipykernel, and
  mlbook itself: its version and a hash of its source files, because a fix in a layer changes
  the numbers every section prints.  The hash leaves out the website package and the command
  line, and it leaves out docstrings and comments, so documenting the library does not
  re-execute the book, except for the sections that print the library's own source or
  documentation (:func:`reads_library_source`: ``inspect.getsource``, ``help``, ``??``,
  ``__doc__``), which are keyed on the full source.

A rebuild with nothing changed finds every entry; editing one section misses only its entries.
Entries are written to a temporary file and renamed, so an interrupted build never leaves a
half-written entry behind; an entry merged from another cache (:meth:`ExecutionCache.merge`)
is checked against its key.
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

__all__ = ["ExecutionCache", "CachedRun", "environment_versions", "reads_library_source",
           "SECONDS_RECORD"]

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
    threads: int = execution.BOOK_THREADS     # compute threads per kernel it ran with
    reasons: dict[str, str] = dataclasses.field(default_factory=dict)   # why loose tolerances


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


#: What in a section's code shows the library's own source or documentation.
_INTROSPECTION = ("getsource", "help(", "??", "__doc__", "inspect.getdoc")


def reads_library_source(source: str) -> bool:
    """Whether a section (its text ``source``) prints source code or docstrings, so that its
    output changes with the library's docstrings too."""
    return any(mark in source for mark in _INTROSPECTION)


@functools.lru_cache(maxsize=None)
def _mlbook_source_hash(with_docstrings: bool = False) -> str:
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
        text = path.read_text(encoding="utf-8")
        digest.update((text if with_docstrings else _code_of(text)).encode())
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


def data_files() -> list[tuple[str, int]]:
    """The files in the data folder (``MLBOOK_DATA_DIR``), names and sizes: a section reads the
    real data set when its file is there and runs on a stand-in otherwise, so what is there
    keys every entry."""
    from ..data.download import data_dir
    folder = data_dir()
    if not folder.is_dir():
        return []
    return sorted((p.relative_to(folder).as_posix(), p.stat().st_size)
                  for p in folder.rglob("*") if p.is_file())


def environment_versions(backend: str, with_docstrings: bool = False) -> dict[str, str | None]:
    """The versions that key a cache entry for ``backend`` (``with_docstrings``: mlbook's hash
    covers its docstrings too)."""
    from ..records import BY_NAME
    versions: dict[str, str | None] = {
        "python": platform.python_version(),
        "mlbook": f"{__version__}+{_mlbook_source_hash(with_docstrings)}",
    }
    for dist in COMMON_DISTRIBUTIONS:
        versions[dist] = _version(dist)
    for dist in backends.DISTRIBUTIONS[backend]:       # the framework, under whichever name
        if _version(dist) is not None:
            versions[dist] = _version(dist)
    for dist in BY_NAME[backend].runtime_distributions:
        versions[dist] = _version(dist)
    return versions


#: The file in a cache folder where builds record the seconds each run took (no entry).
SECONDS_RECORD = "seconds.json"


class ExecutionCache:
    """Executed notebooks on disk, under ``directory``."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = pathlib.Path(directory)

    def key(self, source: str, backend: str, threads: int = execution.BOOK_THREADS) -> str:
        """The entry key for a section whose text is ``source``, run on ``backend`` with
        ``threads`` compute threads per kernel."""
        blob = json.dumps({"source": source, "backend": backend, "threads": threads,
                           "data": data_files(),
                           "settings": execution.number_settings(threads),
                           "cpu": execution.cpu_signature(),
                           "versions": environment_versions(
                               backend, reads_library_source(source))}, sort_keys=True)
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
                             record.get("startup", 0.0),
                             record.get("threads", execution.BOOK_THREADS),
                             record.get("reasons", {}))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)
            return None

    def entries(self) -> list[pathlib.Path]:
        """The files of the cache's entries: every ``.json`` file but :data:`SECONDS_RECORD`
        (a file that is not an entry is refused where it is read)."""
        return sorted(p for p in self.directory.glob("*.json") if p.name != SECONDS_RECORD)

    def merge(self, other: str | os.PathLike,
              chapters_dir: str | os.PathLike | None = None) -> int:
        """Copy the entries of the cache folder ``other`` that this one lacks (the caches of
        the shards of a build, executed on several machines); returns how many.  An entry
        that cannot be read is refused, with its file named, and left where it is.  With
        ``chapters_dir``, each entry must also be the run its key says: the key computed here
        for the section and backend it claims (their source in ``chapters_dir``, this
        machine's versions, settings and processor) must be its file's name, else it is
        refused (a shard executed from other sources, or on another processor, is executed
        again rather than shown): the others are merged, then ``ValueError`` lists every
        refused file."""
        other = pathlib.Path(other)
        if not other.is_dir():
            raise FileNotFoundError(f"no cache folder {other}")
        copied = 0
        refused: list[str] = []
        for path in ExecutionCache(other).entries():
            if self._path(path.stem).exists():
                continue
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                run = CachedRun(record["section"], record["backend"], record["notebook"],
                                record["values"], record.get("tolerances", {}),
                                record["seconds"], record.get("startup", 0.0),
                                record.get("threads", execution.BOOK_THREADS),
                                record.get("reasons", {}))
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f"{path} is not a readable cache entry ({err!r}): execute its "
                                 f"section again (mlbook build --shard) or delete the "
                                 f"file") from None
            if chapters_dir is not None:
                section = pathlib.Path(chapters_dir) / run.section
                if not section.exists():
                    refused.append(f"{path} claims the section {run.section}, which is not in "
                                   f"{chapters_dir}")
                    continue
                expected = self.key(section.read_text(encoding="utf-8"), run.backend,
                                    run.threads)
                if expected != path.stem:
                    refused.append(f"{path} claims {run.section} on {run.backend}, but its key is "
                                   f"not that run's here (another source of the section, other "
                                   f"versions or settings, or another processor)")
                    continue
            self.put(path.stem, run)
            copied += 1
        if refused:
            raise ValueError(f"{len(refused)} entries refused ({copied} merged): "
                             + "; ".join(refused) + ". Execute those shards again with this "
                             "checkout on this kind of machine, or delete the files")
        return copied

    def put(self, key: str, run: CachedRun) -> None:
        """Store ``run`` under ``key`` (atomically)."""
        record = dataclasses.asdict(dataclasses.replace(run, notebook=None))
        record["notebook"] = run.notebook
        self.write(self._path(key).name, record)

    def write(self, name: str, record: Any) -> None:
        """Write ``record`` as JSON to the file ``name`` in the cache folder, through a
        temporary file renamed into place, so that no reader ever sees half of it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(tmp, self.directory / name)
        except BaseException:
            pathlib.Path(tmp).unlink(missing_ok=True)
            raise
