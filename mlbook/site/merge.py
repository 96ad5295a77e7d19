"""Merge the executed notebooks of one section (one per backend) into the page nbsphinx renders.

The page shows every code cell once.  Under it comes a reST cell with the cell's outputs: in
sphinx-design tabs, one per backend, synced across the page and remembered across pages
(``:sync-group: backend``); or, when every backend printed exactly the same, once, with a note
saying so.  Figures are written as files named by their content hash, so the same figure on two
backends is one file and compares equal.  Under the title comes the section's agreement badge,
the notebook download and the command that runs it.
"""

from __future__ import annotations

import base64
import hashlib
import textwrap
from typing import Any, Mapping, Sequence

from ..book import Comparison, strip_ansi
from ..execution import BOOK_THREADS, THREADS_ENV
from ..records import RECORDS

__all__ = ["merge_section", "LABELS", "agreement_badge"]

#: How the website names each backend.
LABELS = {r.name: r.label for r in RECORDS}

_IMAGE_TYPES = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}


def _indent(text: str, spaces: int) -> str:
    return textwrap.indent(text, " " * spaces, lambda line: True)


def _literal(text: str, css: str = "") -> str:
    text = strip_ansi(text).expandtabs().rstrip()
    lines = "\n".join(line.rstrip() for line in text.splitlines())
    option = f"   :class: {css}\n" if css else ""
    return f".. code-block:: none\n{option}\n{_indent(lines, 3)}\n"


def _output_blocks(outputs: Sequence[Mapping[str, Any]], files: dict[str, bytes],
                   folder: str) -> list[str]:
    """The reST blocks showing a cell's outputs (files for figures are added to ``files``)."""
    blocks: list[str] = []
    streams: list[tuple[str, str]] = []           # consecutive stream output, merged by name

    def flush() -> None:
        for name, text in streams:
            if text.strip():
                blocks.append(_literal(text, "mlbook-stderr" if name == "stderr" else ""))
        streams.clear()

    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            text = "".join(out.get("text", ""))
            if streams and streams[-1][0] == out.get("name"):
                streams[-1] = (streams[-1][0], streams[-1][1] + text)
            else:
                streams.append((out.get("name", "stdout"), text))
            continue
        flush()
        if kind == "error":
            blocks.append(_literal("\n".join(out.get("traceback", [])), "mlbook-stderr"))
            continue
        data = out.get("data", {})
        image = next((m for m in _IMAGE_TYPES if m in data), None)
        if image:
            content = data[image]
            content = "".join(content) if isinstance(content, list) else content
            raw = content.encode() if image == "image/svg+xml" else base64.b64decode(content)
            name = f"{folder}/{hashlib.sha256(raw).hexdigest()[:20]}.{_IMAGE_TYPES[image]}"
            files[name] = raw
            blocks.append(f".. image:: {name}\n   :class: mlbook-figure\n")
        elif "text/html" in data:
            html = "".join(data["text/html"]) if isinstance(data["text/html"], list) \
                else data["text/html"]
            blocks.append(f".. raw:: html\n\n{_indent(html.strip(), 3)}\n")
        elif "text/plain" in data:
            text = "".join(data["text/plain"]) if isinstance(data["text/plain"], list) \
                else data["text/plain"]
            if text.strip():
                blocks.append(_literal(text))
    flush()
    return blocks


def _outputs_cell(per_backend: dict[str, list[str]]) -> str | None:
    """The reST shown under a code cell, or None when no backend printed anything."""
    if not any(per_backend.values()):
        return None
    rendered = {b: "\n".join(blocks) for b, blocks in per_backend.items()}
    if len(set(rendered.values())) == 1:
        body = next(iter(rendered.values()))
        if len(rendered) == 1:
            return f".. container:: mlbook-output\n\n{_indent(body, 3)}"
        names = [LABELS[b] for b in rendered]
        every = "both backends" if len(names) == 2 else f"all {len(names)} backends"
        return (f".. container:: mlbook-output mlbook-same\n\n{_indent(body, 3)}\n"
                f"   .. container:: mlbook-same-note\n\n"
                f"      Same output on {every} ({', '.join(names)}).\n")
    items = []
    for backend, body in rendered.items():
        body = body or ".. container:: mlbook-no-output\n\n   (no output)\n"
        items.append(f".. tab-item:: {LABELS[backend]}\n   :sync: {backend}\n\n"
                     f"{_indent(body, 3)}")
    return (".. container:: mlbook-output\n\n   .. tab-set::\n      :sync-group: backend\n\n"
            + _indent("\n".join(items), 6))


def agreement_badge(comparisons: Mapping[str, Comparison]) -> str:
    """The reST badge saying whether the backends agreed on the section's reported numbers."""
    backends = list(comparisons)
    if not comparisons:
        return ":bdg-secondary:`not run`"
    count = next(iter(comparisons.values())).count
    if len(backends) == 1:
        return f":bdg-secondary:`run on {LABELS[backends[0]]} only`"
    if count == 0 and all(c.agrees for c in comparisons.values()):
        return ":bdg-secondary:`no numbers recorded`"
    failing = [LABELS[b] for b, c in comparisons.items() if not c.agrees]
    if failing:
        return f":bdg-ref-danger:`backends disagree: {', '.join(failing)} <agreement>`"
    largest = max(c.max_difference for c in comparisons.values())
    detail = "identical" if largest == 0 else f"largest difference {largest:.1e}"
    return (f":bdg-ref-success:`{len(backends)} backends agree on {count} "
            f"number{'s' if count != 1 else ''} ({detail}) <agreement>`")


def _header(badge: str, notebook_name: str, download_path: str, backends: Sequence[str],
            threads: int) -> str:
    # the run-it line reproduces the page's numbers: the book's execution setting, then the backend
    items = "\n".join(
        f"   .. tab-item:: {LABELS[b]}\n      :sync: {b}\n\n"
        f"      Run it: ``{THREADS_ENV}={threads} MLBOOK_BACKEND={b} jupyter lab "
        f"{notebook_name}``\n"
        for b in backends)
    return (f".. container:: mlbook-section-info\n\n   {badge}\n\n"
            f"   :download:`Download the notebook ({notebook_name}) <{download_path}>`\n\n"
            f".. tab-set::\n   :sync-group: backend\n   :class: mlbook-run-it\n\n{items}")


def merge_section(runs: Mapping[str, Any], comparisons: Mapping[str, Comparison],
                  stem: str, download_path: str, threads: int = BOOK_THREADS,
                  ) -> tuple[Any, dict[str, bytes]]:
    """One notebook for nbsphinx from ``runs`` (backend -> executed notebook, in tab order),
    and the figure files it refers to (relative path -> bytes).

    ``stem`` names the section (figures go to ``<stem>_files/``); ``download_path`` is the
    relative path of the notebook readers download; ``threads``, the compute threads the runs
    had, goes into the line that reproduces the page."""
    import nbformat
    backends = list(runs)
    notebooks = [runs[b] for b in backends]
    base = notebooks[0]
    if any(len(nb.cells) != len(base.cells) for nb in notebooks):
        raise ValueError(f"{stem}: the executed notebooks have different cells")
    files: dict[str, bytes] = {}
    cells = []
    header = nbformat.v4.new_raw_cell(
        _header(agreement_badge(comparisons), f"{stem}.ipynb", download_path, backends, threads),
        metadata={"raw_mimetype": "text/restructuredtext"})
    for i, cell in enumerate(base.cells):
        if cell.cell_type != "code":
            cells.append(nbformat.from_dict(dict(cell)))
            if i == 0:
                cells.append(header)
            continue
        code = nbformat.v4.new_code_cell(cell.source, metadata=dict(cell.metadata))
        cells.append(code)
        shown = _outputs_cell({b: _output_blocks(nb.cells[i].get("outputs", []), files,
                                                 f"{stem}_files")
                               for b, nb in zip(backends, notebooks)})
        if shown:
            cells.append(nbformat.v4.new_raw_cell(
                shown, metadata={"raw_mimetype": "text/restructuredtext"}))
    if base.cells and base.cells[0].cell_type == "code":
        cells.insert(0, header)
    merged = nbformat.v4.new_notebook(cells=cells, metadata=dict(base.metadata))
    merged.metadata["nbsphinx"] = {"execute": "never"}
    return merged, files
