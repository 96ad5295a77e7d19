"""Execute the book's sections on several backends, in parallel kernels, through the cache.

Each (section, backend) pair whose cache entry is missing runs in a new Jupyter kernel
(:func:`mlbook.book.run_section`, with its per-cell timeout), up to ``jobs`` at a time, each
kernel in the book's execution setting (:mod:`mlbook.execution`: its thread pools pinned to
one thread, deterministic kernels), so the numbers do not depend on ``jobs``.  A new kernel
per section, although starting one and importing its framework costs seconds each time,
because a reused kernel does not reproduce a new one's numbers: the book was run once in
kernels reused from section to section (:class:`mlbook.kernel.SectionKernel`, which puts back
the namespace, the seed, the modes, matplotlib and the warnings), and 23 of its 410 runs
differed from runs in new kernels at float32 rounding level (more after chaotic training),
because framework state outlives a section: importing TensorFlow, MXNet and JAX into a PyTorch
kernel (as ``read_write`` does) changes PyTorch's convolutions in later sections.  A
failing cell does not stop the others: every failure is collected, and the build then fails
with each one's section, backend, cell number, code and traceback.  What succeeded is cached, so
the next build re-executes only what failed or changed.  The book's tests run the sections
through this too (in parallel, into a cache of their own).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import pathlib
import time
from typing import Any, Callable, Sequence

from .. import execution
from ..book import SectionError
from .cache import CachedRun, ExecutionCache

__all__ = ["execute_sections", "Execution", "BuildError", "default_jobs", "parse_shard"]


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


def execute_sections(sections: Sequence[pathlib.Path], backends: Sequence[str],
                     cache: ExecutionCache, chapters_dir: pathlib.Path, jobs: int | None = None,
                     timeout: int = 600, log: Callable[[str], None] = print,
                     threads: int = execution.BOOK_THREADS,
                     shard: tuple[int, int] | None = None) -> Execution:
    """Run every section on every backend, or take it from the cache.  A failure does not stop
    the others; it is recorded in the result (``Execution.raise_failures`` turns it into an
    error).  ``threads``: compute threads per kernel (part of the cache key: another count
    gives other float32 roundings).  ``shard=(i, n)``: only the i-th of n parts of the runs
    (the runs in book order, section by section and backend by backend, dealt out in turn), for
    a build spread over several machines (see :func:`parse_shard`)."""
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
    failures: dict[tuple[str, str], str] = {}
    start = time.perf_counter()
    jobs = jobs or default_jobs()
    # threads suffice: each run's work happens in its kernel, a separate process
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(_run, str(path), backend, timeout, threads): (rel, backend, key)
                   for path, rel, backend, key in todo}     # in reading order
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            rel, backend, key = futures[future]
            try:
                result = future.result()
            except SectionError as err:
                failures[rel, backend] = str(err)
                log(f"[{done}/{len(todo)}] FAILED {rel} on {backend}")
                continue
            except Exception as err:        # the kernel could not start...: report it like a cell
                failures[rel, backend] = (f"{rel} failed on backend {backend!r}: "
                                          f"{type(err).__name__}: {err}")
                log(f"[{done}/{len(todo)}] FAILED {rel} on {backend}")
                continue
            run = CachedRun(rel, backend, result.notebook, result.values, result.tolerances,
                            result.seconds)
            cache.put(key, run)
            runs[rel, backend] = run
            log(f"[{done}/{len(todo)}] executed {rel} on {backend} in {result.seconds:.1f} s")
    log(f"executed {len(todo) - len(failures)} section runs in "
        f"{time.perf_counter() - start:.0f} s")
    return Execution(runs, len(todo) - len(failures), failures)
