"""Running the book's sections: ``mlbook run chapters/<file>.md --backend torch``.

A section is a jupytext markdown notebook (MyST format).  :func:`run_section` executes it in a
fresh Jupyter kernel with ``MLBOOK_BACKEND`` set, and fails with the section, the backend, the
cell number, the cell's code and the error when a cell fails.

Inside a section, :func:`report` hands a key number to whoever runs it (the tests assert the
numbers the prose states, and compare them across backends)::

    from mlbook import book
    book.report("w error", float(mb.norm(true_w - w)))
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import shutil
import tempfile
import time
from typing import Any

from . import config

__all__ = ["report", "run_section", "SectionResult", "SectionError", "REPORT_ENV"]

#: Environment variable naming the file that :func:`report` appends to.
REPORT_ENV = "MLBOOK_REPORT"


def report(name: str, value: Any) -> Any:
    """Record ``value`` (a number) under ``name`` for the run's checks; returns ``value``.
    Outside ``mlbook run`` and the tests this does nothing."""
    path = os.environ.get(REPORT_ENV)
    if path:
        from . import ops
        number = float(ops.item(value)) if not isinstance(value, (int, float)) else float(value)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"name": name, "value": number}) + "\n")
    return value


class SectionError(RuntimeError):
    """A cell of a section failed."""


@dataclasses.dataclass
class SectionResult:
    path: pathlib.Path
    backend: str
    notebook: Any
    values: dict[str, float]
    seconds: float


def read_section(path: str | os.PathLike) -> Any:
    """The section as an nbformat notebook."""
    import jupytext
    return jupytext.read(os.fspath(path))


def run_section(path: str | os.PathLike, backend: str | None = None, timeout: int = 600,
                ) -> SectionResult:
    """Execute a section on ``backend`` (default: the selected one) in a new kernel."""
    from jupyter_client import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    from nbclient.util import run_sync

    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no section file {path}")
    backend = config.canonical_name(backend) if backend else config.backend_from_env()
    nb = read_section(path)
    fd, report_file = tempfile.mkstemp(prefix="mlbook-report-", suffix=".jsonl")
    os.close(fd)
    env = dict(os.environ, **{config.ENV_VAR: backend, REPORT_ENV: report_file,
                              "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    sockets = tempfile.mkdtemp(prefix="mlbook-kernel-")      # local sockets, not TCP ports
    # nbclient needs an asynchronous manager: with a blocking one its per-cell timeout never fires
    kernel = AsyncKernelManager(kernel_name="python3", transport="ipc",
                                ip=os.path.join(sockets, "kernel"))
    client = NotebookClient(nb, km=kernel, timeout=timeout,
                            resources={"metadata": {"path": str(path.parent.resolve())}})
    start = time.perf_counter()
    try:
        client.execute(env=env)
    except CellExecutionError as err:
        cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        failed = next((n for n, i in enumerate(cells, 1)
                       if any(o.get("output_type") == "error" for o in nb.cells[i].outputs)),
                      None)
        source = nb.cells[cells[failed - 1]].source if failed else ""
        raise SectionError(f"{path} failed on backend {backend!r} in code cell {failed}:\n"
                           f"{source}\n---\n{err.ename}: {err.evalue}") from None
    except (CellTimeoutError, DeadKernelError) as err:
        raise SectionError(f"{path} failed on backend {backend!r}: {type(err).__name__}: "
                           f"{str(err).splitlines()[0]}") from None
    finally:
        if kernel.has_kernel:                 # we own the kernel manager: nbclient leaves it up
            run_sync(kernel.shutdown_kernel)(now=True)       # also removes its connection file
        values = _read_values(report_file)
        os.unlink(report_file)
        shutil.rmtree(sockets, ignore_errors=True)
    return SectionResult(path, backend, nb, values, time.perf_counter() - start)


def _read_values(path: str) -> dict[str, float]:
    values: dict[str, float] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                item = json.loads(line)
                values[item["name"]] = item["value"]
    return values
