"""A Jupyter kernel that runs the book's sections, each as if in a new kernel.

:func:`mlbook.book.run_section` runs a section in a new :class:`SectionKernel`: the kernel
starts in the book's execution setting, imports mlbook, its backend and matplotlib, puts the
session in the state described below, and runs the section's cells.

A :class:`SectionKernel` can also run section after section, and before each one it puts back
everything a section can change in Python and a new kernel would not have:

* the IPython session: every name the previous section defined, its ``In``/``Out`` history and
  execution counter (``InteractiveShell.reset(new_session=True)``);
* mlbook's state: the random generator seeded as ``import mlbook`` seeds it (seed 0), predict
  mode, the backend ``MLBOOK_BACKEND`` names;
* matplotlib: open figures closed, ``rcParams`` as they were once the inline backend was set up;
* warnings: the filters as they were, and the registry of warnings already shown cleared, so a
  warning is printed again by the next section that triggers it;
* the working folder (the section's own) and the file :func:`mlbook.book.report` writes to.

``tests/test_kernel.py`` checks each of these on every backend.  Reuse saves the start of a
kernel and the import of its framework (TensorFlow 12 s, MXNet 8 s, PyTorch 7 s on the book's
2-core machine): run that way, the whole book took 37 minutes instead of 62.  But it does not
give a new kernel's numbers: what the frameworks keep in the process outlives a section.  In
that run, 23 of 410 section runs differed from runs in new kernels at float32 rounding level
(after chaotic training, by more); one cause found is that importing TensorFlow, MXNet and JAX
into a PyTorch kernel (the section ``read_write`` loads a model on every backend) changes
PyTorch's convolutions in later sections.  So the book (``mlbook build``, ``mlbook run``, the
tests) runs every section in a new kernel, and reuse is left to measurements that do not need
the last digit (``benchmarks/book_time.py --reuse``).  A kernel whose section failed is never
reused, and a kernel is replaced after :data:`SECTIONS_PER_KERNEL` sections.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import tempfile
import time
from typing import Any

from . import config, execution, forkserver

__all__ = ["SectionKernel", "SECTIONS_PER_KERNEL"]

#: Sections a reused kernel runs before it must be replaced by a new one (what the frameworks
#: cache, JAX's compiled operations above all, grows with every section).
#:
#: >>> kernel.SECTIONS_PER_KERNEL
#: 20
SECTIONS_PER_KERNEL = 20

#: Seconds a new kernel may take to start and import its framework.
STARTUP_TIMEOUT = 180


class SectionKernel:
    """A kernel for one backend that runs sections one after another (:meth:`run`).

    ``threads`` and ``extra_env`` as for :func:`mlbook.book.run_section`; ``timeout`` is the
    limit per cell.  The kernel starts on the first :meth:`run` and stops with :meth:`close`
    (or at the end of a ``with`` block).  Use a kernel from one thread only: its connection
    belongs to that thread's event loop.

    Nothing starts before the first :meth:`run` (which takes seconds), so this example shows
    a kernel's state before it, and the one setting it refuses:

    >>> section_kernel = kernel.SectionKernel("np", fork=False)
    >>> section_kernel.backend, section_kernel.sections, section_kernel.reusable
    ('numpy', 0, True)
    >>> kernel.SectionKernel("numpy", threads=2, fork=True)
    Traceback (most recent call last):
    ValueError: fork=True needs threads=1 (got 2): MXNet's fork handler limits a forked kernel to one OpenMP thread; use fork=False
    """

    def __init__(self, backend: str | None = None, threads: int = execution.BOOK_THREADS,
                 extra_env: dict[str, str] | None = None, timeout: int = 600,
                 fork: bool | None = None) -> None:
        self.backend = config.canonical_name(backend) if backend else config.backend_from_env()
        self.threads = threads
        self.extra_env = dict(extra_env or {})
        self.timeout = timeout
        #: whether the kernel is forked from a fork server (:mod:`mlbook.forkserver`) rather
        #: than started; default: where :func:`mlbook.forkserver.available` and the kernel
        #: has one compute thread (MXNet's fork handler limits a forked child's OpenMP to one
        #: thread, so a forked kernel of another count would not compute as a started one)
        if fork and threads != 1:
            raise ValueError(f"fork=True needs threads=1 (got {threads}): MXNet's fork handler "
                             f"limits a forked kernel to one OpenMP thread; use fork=False")
        self.fork = (forkserver.available() and threads == 1) if fork is None else fork
        #: sections run in this kernel so far
        self.sections = 0
        #: True once a section failed in it (or it could not start): it must not be reused
        self.broken = False
        self._manager: Any = None
        self._client: Any = None
        self._sockets: str | None = None

    # ------------------------------------------------------------------ life cycle
    @property
    def reusable(self) -> bool:
        """Whether another section may run here (not broken, not yet due for replacement)."""
        return not self.broken and self.sections < SECTIONS_PER_KERNEL

    def _environment(self, report_file: str) -> dict[str, str]:
        from .book import REPORT_ENV
        env = dict(os.environ, **{config.ENV_VAR: self.backend, REPORT_ENV: report_file,
                                  "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
        env.setdefault("SOURCE_DATE_EPOCH", "0")          # no build date inside SVG figures
        env.update(execution.environment(self.threads, base=env))
        env.update(execution.compilation_cache(base=env))   # JAX's compiled operations, kept
        env.pop(execution.PERTURB_ENV, None)                 # the book itself is never perturbed
        # pytest's name for the running test: ipykernel stops capturing the output of C
        # libraries when it is set, so a kernel under pytest would print less than under
        # ``mlbook build``
        env.pop("PYTEST_CURRENT_TEST", None)
        env.update(self.extra_env)
        return env

    def _start(self, cwd: pathlib.Path, report_file: str) -> None:
        from jupyter_client import AsyncKernelManager
        from nbclient.util import run_sync
        from .book import KERNEL_ARGUMENTS

        self._sockets = tempfile.mkdtemp(prefix="mlbook-kernel-")   # local sockets, not ports
        # nbclient needs an asynchronous manager: with a blocking one its cell timeout never fires
        self._manager = AsyncKernelManager(kernel_name="python3", transport="ipc",
                                           ip=os.path.join(self._sockets, "kernel"))
        if self.fork:                 # a new kernel, forked from the backend's fork server
            import uuid
            self._manager.kernel_id = str(uuid.uuid4())
            provisioner = forkserver.provisioner_class()(
                kernel_id=self._manager.kernel_id, kernel_spec=self._manager.kernel_spec,
                parent=self._manager)
            provisioner.fork_backend = self.backend
            self._manager.provisioner = provisioner

        async def start() -> Any:
            await self._manager.start_kernel(extra_arguments=KERNEL_ARGUMENTS,
                                             env=self._environment(report_file), cwd=str(cwd))
            client = self._manager.client()
            client.start_channels()
            await client.wait_for_ready(timeout=STARTUP_TIMEOUT)
            client.allow_stdin = False
            return client

        self._client = run_sync(start)()
        # no name is bound in the kernel's namespace: the first section finds it empty
        self._execute("__import__('mlbook.kernel').kernel._start_of_kernel()", STARTUP_TIMEOUT)

    def close(self) -> None:
        """Stop the kernel (and its client's channels, whose threads would otherwise keep
        polling the dead kernel's sockets)."""
        from nbclient.util import run_sync
        if self._client is not None:
            self._client.stop_channels()
            self._client = None
        if self._manager is not None and self._manager.has_kernel:
            run_sync(self._manager.shutdown_kernel)(now=True)  # also removes its connection file
        self._manager = None
        if self._sockets:
            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None

    def __enter__(self) -> "SectionKernel":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _execute(self, code: str, timeout: float) -> None:
        """Run ``code`` in the kernel, outside any notebook; raise if it fails."""
        from nbclient.util import run_sync
        reply = run_sync(self._client.execute_interactive)(
            code, silent=True, store_history=False, timeout=timeout,
            output_hook=lambda message: None)
        content = reply["content"]
        if content["status"] != "ok":
            from .book import strip_ansi
            self.broken = True
            raise RuntimeError(f"the {self.backend} kernel could not be prepared for a section: "
                               f"{content.get('ename')}: {content.get('evalue')}\n"
                               + strip_ansi("\n".join(content.get("traceback", []))))

    # ------------------------------------------------------------------ sections
    def run(self, path: str | os.PathLike) -> Any:
        """Execute the section at ``path`` in this kernel, in a fresh namespace; returns a
        :class:`mlbook.book.SectionResult`.  Raises :class:`mlbook.book.SectionError` as
        :func:`mlbook.book.run_section` does, after which the kernel is :attr:`broken`."""
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
        from .book import SectionError, SectionResult, read_section, strip_ansi, _read_values

        if not self.reusable:
            raise RuntimeError("this kernel is broken or due for replacement: start a new one")
        begin = time.perf_counter()
        path = pathlib.Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no section file {path}")
        nb = read_section(path)
        folder = path.parent.resolve()
        fd, report_file = tempfile.mkstemp(prefix="mlbook-report-", suffix=".jsonl")
        os.close(fd)
        try:
            if self._client is None:
                self._start(folder, report_file)
            self._execute(f"__import__('mlbook.kernel').kernel._start_of_section("
                          f"{str(folder)!r}, {report_file!r}, first={self.sections == 0})",
                          self.timeout)
            self.sections += 1
            client = NotebookClient(nb, km=self._manager, timeout=self.timeout,
                                    resources={"metadata": {"path": str(folder)}})
            client.kc = self._client      # ours: nbclient neither starts nor stops it
            start = time.perf_counter()
            client.execute()
        except CellExecutionError as err:
            self.broken = True
            cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
            failed = next((n for n, i in enumerate(cells, 1)
                           if any(o.get("output_type") == "error" for o in nb.cells[i].outputs)),
                          None)
            source = nb.cells[cells[failed - 1]].source if failed else ""
            trace = strip_ansi("\n".join(next(
                (o.get("traceback", []) for o in nb.cells[cells[failed - 1]].outputs
                 if o.get("output_type") == "error"), []))) if failed else ""
            raise SectionError(f"{path} failed on backend {self.backend!r} in code cell "
                               f"{failed}:\n{source}\n---\n{trace or ''}\n"
                               f"{err.ename}: {err.evalue}") from None
        except (CellTimeoutError, DeadKernelError) as err:
            self.broken = True
            raise SectionError(f"{path} failed on backend {self.backend!r}: "
                               f"{type(err).__name__}: {str(err).splitlines()[0]}") from None
        except BaseException:
            self.broken = True
            raise
        finally:
            values, tolerances, reasons, twice = _read_values(report_file)
            os.unlink(report_file)
        if twice:
            raise SectionError(f"{path} on backend {self.backend!r} reported a number twice under "
                               f"one name: {'; '.join(twice)} (the second would hide the first; "
                               f"give each its own name)")
        return SectionResult(path, self.backend, nb, values, time.perf_counter() - start,
                             tolerances, startup=start - begin, reasons=reasons)


# ---------------------------------------------------------------------- inside the kernel
_initial: dict[str, Any] = {}


def _start_of_kernel() -> None:
    """In a new kernel: import the backend and matplotlib (with the inline backend set up),
    and remember the state :func:`_start_of_section` puts back."""
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt

    from . import backends
    backends.current()                       # the framework, imported now
    plt.close(plt.figure())                  # loads the inline backend, which applies its rc
    _initial["rc"] = matplotlib.rcParams.copy()
    _initial["warnings"] = list(warnings.filters)
    _initial["backend"] = backends.name()


def _start_of_section(folder: str, report_file: str, first: bool = False) -> None:
    """In a kernel, before a section: put back what a new kernel would have (module docs).
    ``first``: no section has run in this kernel, so there is no namespace to clear and no
    garbage to collect (both take 0.15 s in a kernel that has imported PyTorch)."""
    import gc
    import warnings

    import matplotlib
    import matplotlib.pyplot as plt
    from IPython import get_ipython

    from . import backends
    from .book import REPORT_ENV

    shell = get_ipython()
    if shell is not None and not first:
        shell.reset(new_session=True)        # names, In/Out, the execution counter
    plt.close("all")
    with warnings.catch_warnings():          # rcParams warns about a few deprecated keys
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_initial["rc"])
    warnings.filters[:] = _initial["warnings"]
    warnings._filters_mutated()              # forget which warnings were shown already
    backends.set_backend(_initial["backend"])
    config.seed(0)                           # as ``import mlbook`` seeds it
    config._training = False
    os.chdir(folder)
    os.environ[REPORT_ENV] = report_file
    if not first:
        gc.collect()


# ---------------------------------------------------------------------- the same outputs
#: A code cell that reads the clock (its output is a duration) cannot print the same twice;
#: :func:`output_differences` leaves such cells out, and says so.
_CLOCK = ("Timer(", "timer.", "perf_counter", "time.time(")


def reads_clock(source: str) -> bool:
    """Whether a code cell's ``source`` reads the clock (its output then changes from run to
    run)."""
    return any(mark in source for mark in _CLOCK)


def output_differences(a: Any, b: Any) -> list[str]:
    """How the executed notebooks ``a`` and ``b`` (one section, run twice) differ: for each
    code cell whose outputs are not the same, byte for byte (text, images, errors; a stream's
    text whole, however the kernel cut it into messages; object addresses, which change with
    every process, left out), the cell's number and a short description; empty when they are
    the same.  Cells that read the clock
    (:func:`reads_clock`) are compared by the kinds of output they made, not the values."""
    cells_a = [c for c in a.cells if c.cell_type == "code"]
    cells_b = [c for c in b.cells if c.cell_type == "code"]
    if [c.source for c in cells_a] != [c.source for c in cells_b]:
        return ["the notebooks are not the same section"]
    problems = []
    for number, (ca, cb) in enumerate(zip(cells_a, cells_b), 1):
        oa, ob = _comparable(ca.outputs), _comparable(cb.outputs)
        if reads_clock(ca.source):
            oa, ob = _kinds(oa), _kinds(ob)
        if oa != ob:
            first = next((i for i, (x, y) in enumerate(zip(oa, ob)) if x != y),
                         min(len(oa), len(ob)))
            problems.append(f"code cell {number}: output {first + 1} differs "
                            f"({len(oa)} and {len(ob)} outputs)")
    return problems


#: An object's address in a repr (``<... at 0x7f1cdc5b6e80>``): a new process puts objects
#: elsewhere on every run (address space randomisation), so it is not compared.
_ADDRESS = re.compile(r"\bat 0x[0-9a-fA-F]{6,16}\b")


def _comparable(outputs: list) -> list:
    """``outputs`` without execution counts, metadata and object addresses, consecutive
    pieces of one stream joined: how a stream's text is cut into messages depends on the clock
    (the kernel sends what was printed every 0.2 s), what it says does not."""
    out: list[dict] = []
    for o in outputs:
        o = json.loads(_ADDRESS.sub("at 0x…", json.dumps(
            {k: v for k, v in dict(o).items() if k not in ("execution_count", "metadata")})))
        if (o.get("output_type") == "stream" and out and out[-1].get("output_type") == "stream"
                and out[-1].get("name") == o.get("name")):
            out[-1] = dict(out[-1], text=out[-1]["text"] + o["text"])
        else:
            out.append(o)
    return out


def _kinds(outputs: list) -> list:
    return [(o.get("output_type"), o.get("name"), sorted(o.get("data", {}))) for o in outputs]
