"""Pages the build writes: the Agreement page (every section × backend, the largest difference
between its reported numbers and the reference backend's)."""

from __future__ import annotations

from typing import Mapping, Sequence

from ..book import DEFAULT_TOLERANCE, Comparison
from .merge import LABELS

__all__ = ["agreement_page"]


def _escape(text: str) -> str:
    """``text`` safe inside a reST paragraph or table cell."""
    for ch in "\\`*_|[]<>":
        text = text.replace(ch, "\\" + ch)
    return text


def _cell(c: Comparison | None) -> str:
    if c is None:
        return "not run"
    if c.backend == c.reference:
        return f"reference ({c.count} number{'s' if c.count != 1 else ''})"
    if not c.agrees:
        return f"✗ disagrees: {_escape('; '.join(c.problems))}"
    if c.count == 0:
        return "✓ (no numbers)"
    if c.max_difference == 0:
        return "✓ identical"
    return f"✓ {c.max_difference:.1e} ({_escape(c.worst or '')})"


def agreement_page(sections: Sequence[tuple[str, str]],
                   comparisons: Mapping[str, Mapping[str, Comparison]],
                   backends: Sequence[str],
                   versions: Mapping[str, Mapping[str, str | None]] | None = None,
                   threads: int | None = None) -> str:
    """The reST source of the Agreement page.  ``sections``: (document name, title) in book
    order; ``comparisons[document][backend]``; ``versions[backend]``: the distributions (and
    Python, and mlbook with its source hash) that produced the outputs, listed at the end with
    ``threads``, the compute threads per kernel."""
    reference = backends[0]
    disagree = [(doc, title) for doc, title in sections
                if not all(c.agrees for c in comparisons.get(doc, {}).values())]
    lines = [
        ".. _agreement:", "", "Agreement", "=========", "",
        "Every section records its key numbers (losses, accuracies, errors, shapes) with "
        "``book.report(name, value)``, on every backend. This page compares each backend's "
        f"numbers with those of the reference backend, {LABELS[reference]}: a cell shows the "
        "largest absolute difference over the section's numbers and the number where it "
        "occurred. Two backends agree on a number when they differ by at most its tolerance, "
        f"absolute or relative (:math:`|a - b| \\le \\mathrm{{tol}}\\cdot\\max(1, |b|)`); the "
        f"default tolerance is {DEFAULT_TOLERANCE:g}, and a section that needs a looser one "
        "states it and says why. The comparison uses the recorded values, not the printed text.",
        "",
    ]
    if disagree:
        lines += [f"**{len(disagree)} section{'s' if len(disagree) != 1 else ''} disagree:** "
                  + ", ".join(f":doc:`{doc}`" for doc, _ in disagree) + ".", ""]
    else:
        lines += [f"**All {len(sections)} sections agree on all {len(backends)} backends.**", ""]
    lines += [".. list-table::", "   :header-rows: 1", "   :class: mlbook-agreement", "",
              "   * - Section"]
    lines += [f"     - {LABELS[b]}" for b in backends]
    for doc, title in sections:
        lines.append(f"   * - :doc:`{_escape(title)} <{doc}>`")
        for backend in backends:
            lines.append(f"     - {_cell(comparisons.get(doc, {}).get(backend))}")
    if versions:
        lines += ["", ".. _produced-by:", "", "Produced by", "-----------", "",
                  "Every output on this site was executed with these versions (they are part of "
                  "the key of each cached execution, so a page cannot show an output of another "
                  "version)" + (f", with {threads} compute thread{'s' * (threads != 1)} per "
                                f"kernel" if threads else "") + ".", "",
                  ".. list-table::", "   :header-rows: 1", "   :class: mlbook-versions", "",
                  "   * - Package"]
        lines += [f"     - {LABELS[b]}" for b in backends]
        packages = list(dict.fromkeys(p for b in backends for p in versions.get(b, {})))
        for package in packages:
            lines.append(f"   * - {package}")
            for backend in backends:
                lines.append(f"     - {versions.get(backend, {}).get(package) or '-'}")
    return "\n".join(lines) + "\n"
