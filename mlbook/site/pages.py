"""Pages the build writes: the Agreement page (every section × backend, the largest difference
between its reported numbers and the reference backend's; then every quantity with its range,
tolerance, measured spread, margin and the reason for a loose tolerance)."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from ..book import DEFAULT_TOLERANCE, LOOSE_TOLERANCE, Comparison, Quantity
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
                   threads: int | None = None,
                   measured: Mapping[str, Sequence[Quantity]] | None = None) -> str:
    """The reST source of the Agreement page.  ``sections``: (document name, title) in book
    order; ``comparisons[document][backend]``; ``versions[backend]``: the distributions (and
    Python, and mlbook with its source hash) that produced the outputs, listed at the end with
    ``threads``, the compute threads per kernel; ``measured[document]``: every reported
    quantity (:func:`mlbook.book.quantities`), listed per section with its range over the
    backends, its tolerance, the measured spread, the margin and the reason for a loose
    tolerance."""
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
    if measured:
        lines += _quantity_tables(sections, measured)
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


def _number(x: float) -> str:
    return "-" if math.isnan(x) else ("inf" if math.isinf(x) else f"{x:.4g}")


def _quantity_tables(sections: Sequence[tuple[str, str]],
                     measured: Mapping[str, Sequence[Quantity]]) -> list[str]:
    """The "Every quantity" part of the Agreement page: one table per section."""
    loose = [q for doc, _ in sections for q in measured.get(doc, ())
             if q.tolerance > LOOSE_TOLERANCE]
    lines = ["", ".. _every-quantity:", "", "Every quantity", "--------------", "",
             f"Each number a section reports, with its range over the backends, its tolerance "
             f"(the default {DEFAULT_TOLERANCE:g} where the section chose none), the *spread* "
             f"measured in this build (the largest difference from the reference backend, in "
             f"the tolerance's units: absolute below 1, relative above) and the *margin*, the "
             f"tolerance as a multiple of the spread. A tolerance looser than "
             f"{LOOSE_TOLERANCE:g} carries its reason; {len(loose)} of the book's quantities "
             f"have one. A tolerance looser than the default is never more than ten times the "
             f"spread (a test holds it): none of them is a check that cannot fail.", ""]
    for doc, title in sections:
        rows = measured.get(doc, ())
        if not rows:
            continue
        lines += [f".. rubric:: :doc:`{_escape(title)} <{doc}>`", "",
                  ".. list-table::", "   :header-rows: 1", "   :class: mlbook-quantities", "",
                  "   * - Quantity", "     - Range", "     - Tolerance", "     - Spread",
                  "     - Margin", "     - Why the tolerance"]
        for q in rows:
            span = ("NaN" if math.isnan(q.low) else _number(q.low) if q.low == q.high
                    else f"{_number(q.low)} to {_number(q.high)}")
            tol = f"{q.tolerance:g}" + ("" if q.explicit else " (default)")
            lines += [f"   * - {_escape(q.name)}", f"     - {span}", f"     - {tol}",
                      f"     - {_number(q.spread)}",
                      f"     - {'exact' if q.spread == 0 else _number(q.margin)}",
                      f"     - {_escape(q.reason)}" if q.reason else "     -"]
        lines.append("")
    return lines
