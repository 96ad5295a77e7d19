"""The website's benchmark results page, drawn from ``benchmarks/results/*.json``.

The benchmark scripts write their results there with ``--save`` (``benchmarks/_harness.py``):
the title, the command line, the date, the machine, the versions, the columns and the rows.
:func:`results_page` renders each file as a table and a bar chart of the columns its
``chart`` names, both from the same rows, so a figure cannot drift from its table.
"""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any, Sequence

__all__ = ["results_page", "markdown_table", "RESULTS_DOC"]

#: Where the page is staged (a guide next to ``guides/benchmarks.md``).
RESULTS_DOC = "guides/benchmark_results"


def _cell(value: Any, spec: str) -> str:
    text = "—" if value is None else format(value, spec) if spec else str(value)
    return text.replace("|", "\\|")


def markdown_table(columns: Sequence[str], formats: Sequence[str],
                   rows: Sequence[Sequence[Any]]) -> list[str]:
    """The lines of a Markdown table: ``formats`` holds a format spec per column (``""`` for
    text, left-aligned; numbers are right-aligned), and None prints as a dash.  What the
    benchmark scripts print and what the results page shows."""
    lines = ["| " + " | ".join(columns) + " |",
             "|" + "|".join("---:" if spec else "---" for spec in formats) + "|"]
    return lines + ["| " + " | ".join(_cell(v, f) for v, f in zip(row, formats)) + " |"
                    for row in rows]


def _chart(result: dict) -> bytes:
    """A horizontal bar chart (SVG) of the ``chart`` columns of ``result``'s rows, one group of
    bars per row, labelled by its ``label`` columns."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chart, columns, rows = result["chart"], result["columns"], result["rows"]
    labels = [" ".join(str(row[columns.index(c)]) for c in chart["label"]) for row in rows]
    bars = chart["bars"]
    height = 0.8 / len(bars)
    with plt.rc_context({"svg.hashsalt": "mlbook", "font.size": 9}):
        fig, ax = plt.subplots(figsize=(7, 0.3 * len(rows) * max(1, len(bars) * 0.7) + 1.2))
        for k, column in enumerate(bars):
            values = [row[columns.index(column)] for row in rows]
            ax.barh([i + k * height for i in range(len(rows))],
                    [v if v is not None else 0 for v in values], height, label=column)
        ax.set_yticks([i + height * (len(bars) - 1) / 2 for i in range(len(rows))], labels)
        ax.invert_yaxis()
        ax.set_xlabel(chart.get("unit", ""))
        if len(bars) > 1:
            ax.legend(loc="lower right")
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
        plt.close(fig)
    return out.getvalue()


def results_page(results_dir: str | pathlib.Path) -> dict[str, str | bytes]:
    """The page (``guides/benchmark_results.md``) and its figures, as staged path -> content,
    from every ``*.json`` in ``results_dir`` (a page that says how to make them when there
    are none).  A file that is not a benchmark result raises ``ValueError`` naming it."""
    lines = ["# Benchmark results", "",
             "Each table below is what a benchmark script printed, saved with `--save` into "
             "`benchmarks/results/`; each chart is drawn from the same rows. Timings on a "
             "shared machine move by ±15% between runs: compare ratios within one table.", ""]
    files: dict[str, str | bytes] = {}
    paths = sorted(pathlib.Path(results_dir).glob("*.json"))
    if not paths:
        lines += ["No results saved yet: run a script in `benchmarks/` with `--save`.", ""]
    for path in paths:
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
            columns, formats, rows = result["columns"], result["formats"], result["rows"]
            title, command = result["title"], result["command"]
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"{path} is not a saved benchmark result ({err}): run its script "
                             f"again with --save, or delete it") from None
        lines += [f"## {title}", "",
                  f"`{command}`, {result.get('date', '')}, {result.get('machine', '')}; "
                  + ", ".join(f"{k} {v}" for k, v in result.get("versions", {}).items()) + ".",
                  ""]
        if result.get("note"):
            lines += [result["note"], ""]
        if result.get("chart"):
            name = f"_benchmarks/{path.stem}.svg"
            files[f"guides/{name}"] = _chart(result)
            lines += [f"![{title}]({name})", ""]
        lines += markdown_table(columns, formats, rows) + [""]
    files[f"{RESULTS_DOC}.md"] = "\n".join(lines)
    return files
