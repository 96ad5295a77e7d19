"""Execute the book's sections on several backends, in parallel kernels, through the cache.

Each (section, backend) pair whose cache entry is missing runs in a new Jupyter kernel
(:func:`mlbook.book.run_section`, with its per-cell timeout), up to ``jobs`` at a time, each
kernel in the book's execution setting (:mod:`mlbook.execution`: its thread pools pinned to
one thread, deterministic kernels), so the numbers do not depend on ``jobs``.  A new kernel
per section, because a reused kernel does not reproduce a new one's numbers: the book was run
once in kernels reused from section to section (:class:`mlbook.kernel.SectionKernel`, which
puts back the namespace, the seed, the modes, matplotlib and the warnings), and 23 of its 410
runs differed from runs in new kernels at float32 rounding level (more after chaotic training),
because framework state outlives a section: importing TensorFlow, MXNet and JAX into a PyTorch
kernel (as ``read_write`` does) changes PyTorch's convolutions in later sections.  The new
kernels are forked from a server per backend that has imported the framework and computed
nothing (:mod:`mlbook.forkserver`), which gives a new kernel's outputs without its start-up.

The runs start longest first (:func:`known_seconds`), so the kernels finish together; a
progress bar shows the runs left and the time left, and the log ends with the slowest runs.  A
failing cell does not stop the others: every failure is collected, and the build then fails
with each one's section, backend, cell number, code and traceback.  What succeeded is cached,
so the next build re-executes only what failed or changed.  The book's tests run the sections
through this too (in parallel, into a cache of their own).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import os
import pathlib
import time
from typing import Any, Callable, Sequence

from .. import execution
from ..book import SectionError
from .cache import SECONDS_RECORD, CachedRun, ExecutionCache

__all__ = ["execute_sections", "Execution", "BuildError", "default_jobs", "parse_shard",
           "known_seconds", "slowest_runs", "SECONDS_FILE"]


class BuildError(RuntimeError):
    """The website could not be built (a section failed, or Sphinx reported a problem)."""


@dataclasses.dataclass
class Execution:
    """What :func:`execute_sections` did, keyed by (section path relative to the chapters folder,
    backend)."""
    runs: dict[tuple[str, str], CachedRun]     # every run that succeeded (cached or executed)
    executed: int                              # how many were executed rather than cached
    failures: dict[tuple[str, str], str]       # the error of each run that failed

    def raise_failures(self) -> None:
        """Raise :class:`BuildError` listing every failure, if any."""
        if self.failures:
            total = self.executed + len(self.failures)
            raise BuildError(f"{len(self.failures)} of {total} section runs failed (what "
                             f"succeeded is cached):\n\n" + "\n\n".join(self.failures.values()))


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` as ``(i, n)``: the i-th of n shards of a build, 1 <= i <= n; ``ValueError``
    naming the expected form otherwise."""
    try:
        i, n = (int(part) for part in text.split("/"))
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        raise ValueError(f"shard {text!r}: expected i/n with 1 <= i <= n, for example 1/2 and "
                         f"2/2 for a build on two machines")
    return i, n


def default_jobs() -> int:
    """Kernels run at once: one per core."""
    return max(1, os.cpu_count() or 1)


def _run(path: str, backend: str, timeout: int, threads: int) -> Any:
    """Worker: execute one section on one backend (its kernel is a process of its own; this
    thread only drives it, with an event loop of its own)."""
    from ..book import run_section
    return run_section(path, backend, timeout=timeout, threads=threads)


#: Where a checkout keeps the seconds each section took on each backend in its last measured
#: build (``benchmarks/book_time.py --from-cache ... --save`` writes it): the order in which a cold build runs
#: the sections, and its estimate of the time left.
SECONDS_FILE = pathlib.Path("benchmarks") / "results" / "book_sections.json"

def _run_key(rel: str, backend: str) -> str:
    """How the seconds records name a run: ``"section|backend"``."""
    return f"{rel}|{backend}"


def known_seconds(cache: ExecutionCache, root: pathlib.Path | None = None) -> dict[str, float]:
    """Seconds per run (``"section|backend"``, the section relative to the chapters folder,
    cells plus start-up) from the last builds into ``cache``, else from the checkout's
    :data:`SECONDS_FILE` under ``root`` (a saved benchmark table: a ``section`` column and a
    ``<backend> (s)`` column per backend); a run neither knows is absent."""
    seconds: dict[str, float] = {}
    if root is not None:
        try:
            table = json.loads((root / SECONDS_FILE).read_text(encoding="utf-8"))
            columns = table["columns"]
            for row in table["rows"]:
                section = row[columns.index("section")]
                for column, value in zip(columns, row):
                    if column.endswith(" (s)") and value is not None and " " not in column[:-4]:
                        seconds[_run_key(section, column[:-4])] = float(value)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass                      # no such file, or not a table: only the order suffers
    try:
        recorded = json.loads((cache.directory / SECONDS_RECORD).read_text(encoding="utf-8"))
        seconds.update({k: float(v) for k, v in recorded.items()})
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    return seconds


def _remember_seconds(cache: ExecutionCache, runs: dict[tuple[str, str], CachedRun]) -> None:
    if not runs:
        return
    seconds = known_seconds(cache)
    seconds.update({_run_key(rel, backend): round(run.seconds + run.startup, 2)
                    for (rel, backend), run in runs.items()})
    cache.write(SECONDS_RECORD, seconds)


def slowest_runs(runs: dict[tuple[str, str], CachedRun], count: int = 10) -> list[str]:
    """The ``count`` slowest of ``runs``, one line each: seconds in cells, start-up, section
    and backend."""
    ranked = sorted(runs.items(), key=lambda item: -(item[1].seconds + item[1].startup))
    return [f"{run.seconds:7.1f} s  (+{run.startup:.1f} s start-up)  {rel} on {backend}"
            for (rel, backend), run in ranked[:count]]


class _Progress:
    """A progress bar over the runs (tqdm, on a terminal only): runs done and left, and the time
    left estimated from each run's known seconds (a run not known counts as the median)."""

    def __init__(self, expected: list[float], enabled: bool) -> None:
        self.bar = None
        self.left = len(expected)
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=round(sum(expected), 1), unit="s", unit_scale=False,
                            disable=None, dynamic_ncols=True, smoothing=0.05,
                            bar_format="{l_bar}{bar}| {postfix} [{elapsed}<{remaining}]")
            self._postfix()

    def _postfix(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{self.bar.n:.0f}/{self.bar.total:.0f} s of work, "
                                     f"{self.left} runs left", refresh=True)

    def done(self, expected: float, line: str, log: Callable[[str], None]) -> None:
        self.left -= 1
        if self.bar is None:
            log(line)
            return
        with self.bar.external_write_mode():          # the line above the bar, not through it
            log(line)
        self.bar.update(round(min(expected, self.bar.total - self.bar.n), 1))
        self._postfix()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def execute_sections(sections: Sequence[pathlib.Path], backends: Sequence[str],
                     cache: ExecutionCache, chapters_dir: pathlib.Path, jobs: int | None = None,
                     timeout: int = 600, log: Callable[[str], None] = print,
                     threads: int = execution.BOOK_THREADS,
                     shard: tuple[int, int] | None = None, progress: bool = False,
                     seconds: dict[str, float] | None = None) -> Execution:
    """Run every section on every backend, or take it from the cache.  A failure does not stop
    the others; it is recorded in the result (``Execution.raise_failures`` turns it into an
    error).  ``threads``: compute threads per kernel (part of the cache key: another count
    gives other float32 roundings).  ``shard=(i, n)``: only the i-th of n parts of the runs (the
    runs in book order, section by section and backend by backend, dealt out in turn), for a
    build spread over several machines (see :func:`parse_shard`).

    The runs to execute start longest first (``seconds``: known seconds per
    ``"section|backend"``, :func:`known_seconds`; unknown ones first of all, in book order), so
    that the kernels finish together rather than one waiting for the last long run.
    ``progress``: show a progress bar on the terminal (runs done and left, time left), the
    log's lines printed above it.  Each run executes in a new kernel, forked from a server that
    has imported its framework where :func:`mlbook.forkserver.available` (the same outputs as a
    kernel started for the run alone, see :mod:`mlbook.forkserver`).  At the end the log lists
    the ten slowest runs."""
    runs: dict[tuple[str, str], CachedRun] = {}
    todo: list[tuple[pathlib.Path, str, str, str]] = []
    pairs = [(path, backend) for path in sections for backend in backends]
    if shard is not None:
        pairs = pairs[shard[0] - 1::shard[1]]
    sources = {path: path.read_text(encoding="utf-8") for path, _ in pairs}
    for path, backend in pairs:
        rel = path.resolve().relative_to(chapters_dir.resolve()).as_posix()
        key = cache.key(sources[path], backend, threads)
        hit = cache.get(key)
        if hit is not None:
            runs[rel, backend] = hit
        else:
            todo.append((path, rel, backend, key))
    log(f"{len(runs)} of {len(runs) + len(todo)} section runs cached; executing {len(todo)}"
        + (f" ({jobs or default_jobs()} at a time)" if todo else ""))
    if not todo:
        return Execution(runs, 0, {})
    seconds = seconds or {}
    known = [seconds[_run_key(rel, backend)] for _, rel, backend, _ in todo
             if _run_key(rel, backend) in seconds]
    typical = sorted(known)[len(known) // 2] if known else 10.0
    expect = {(rel, backend): seconds.get(_run_key(rel, backend), typical)
              for _, rel, backend, _ in todo}
    todo.sort(key=lambda item: -seconds.get(_run_key(item[1], item[2]), float("inf")))
    failures: dict[tuple[str, str], str] = {}
    executed: dict[tuple[str, str], CachedRun] = {}
    start = time.perf_counter()
    jobs = jobs or default_jobs()
    bar = _Progress([expect[rel, backend] for _, rel, backend, _ in todo], progress)
    # threads suffice: each run's work happens in its kernel, a separate process
    try:
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            futures = {pool.submit(_run, str(path), backend, timeout, threads):
                       (rel, backend, key) for path, rel, backend, key in todo}
            for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
                rel, backend, key = futures[future]
                try:
                    result = future.result()
                except SectionError as err:
                    failures[rel, backend] = str(err)
                    line = f"[{done}/{len(todo)}] FAILED {rel} on {backend}"
                except Exception as err:    # the kernel could not start...: report it like a cell
                    failures[rel, backend] = (f"{rel} failed on backend {backend!r}: "
                                              f"{type(err).__name__}: {err}")
                    line = f"[{done}/{len(todo)}] FAILED {rel} on {backend}"
                else:
                    run = CachedRun(rel, backend, result.notebook, result.values,
                                    result.tolerances, result.seconds, result.startup, threads,
                                    result.reasons)
                    cache.put(key, run)
                    runs[rel, backend] = executed[rel, backend] = run
                    line = (f"[{done}/{len(todo)}] executed {rel} on {backend} in "
                            f"{result.seconds:.1f} s (+{result.startup:.1f} s start-up)")
                bar.done(expect[rel, backend], line, log)
    finally:
        bar.close()
        try:
            _remember_seconds(cache, executed)
        except OSError as err:       # only the next build's order suffers; say so, go on
            log(f"could not record the runs' seconds in {cache.directory}: {err}")
    log(f"executed {len(todo) - len(failures)} section runs in "
        f"{time.perf_counter() - start:.0f} s")
    if executed:
        log("the slowest runs (seconds in cells):\n" + "\n".join(slowest_runs(executed)))
    return Execution(runs, len(todo) - len(failures), failures)
