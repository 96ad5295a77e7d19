"""How chaotic is each section?  Run it in the book's setting and under small perturbations,
and report how far each number it reports moves, against the tolerance the section states.

    python benchmarks/stability.py [--backend numpy,torch] [--chapters ch07,ch09] [-j 2]
                                   [--json results.json]

Every (section, backend) runs four times, each in a fresh kernel:

* ``book``: the book's setting (one compute thread, :mod:`mlbook.execution`);
* ``2 threads``: every pool pinned to two threads, so float32 reductions split differently;
* ``+1 ulp`` and ``-1 ulp``: the book's setting with every initial weight and random float
  moved by one float32 ulp up or down (``MLBOOK_PERTURB_ULPS=1``, ``-1``).

A number is *stable* when neither variant moves it by more than its agreement tolerance
(``|a - b| <= tol * max(1, |b|)``, the rule of :func:`mlbook.book.compare`): rounding
differences of that size are all that separates two backends or two CPUs, so a section whose
numbers are stable here agrees across backends for a reason, not by luck.  The report lists
every number that moved, as a multiple of its tolerance, worst first; the exit status is 1 if
any number is unstable.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import sys

from mlbook import backends, book, config, execution

VARIANTS = {
    "book": (execution.BOOK_THREADS, {}),
    "2 threads": (2, {}),
    "+1 ulp": (execution.BOOK_THREADS, {execution.PERTURB_ENV: "1"}),
    "-1 ulp": (execution.BOOK_THREADS, {execution.PERTURB_ENV: "-1"}),
}


def movement(values: dict[str, float], base: dict[str, float],
             tolerances: dict[str, float]) -> dict[str, tuple[float, float]]:
    """For each number: (|value - base|, that as a multiple of the allowed difference)."""
    out = {}
    for name, b in base.items():
        a = values.get(name, math.nan)
        tol = tolerances.get(name, book.DEFAULT_TOLERANCE)
        diff = 0.0 if a == b or (math.isnan(a) and math.isnan(b)) else abs(a - b)
        out[name] = (diff, diff / (tol * max(1.0, abs(b))) if diff else 0.0)
    return out


def _edited(section, edits):
    """A copy of ``section`` beside it (relative paths keep working) with ``edits`` applied."""
    text = section.read_text(encoding="utf-8")
    for old, new in edits:
        if old not in text:
            raise SystemExit(f"--edit: {old!r} does not occur in {section}")
        text = text.replace(old, new)
    copy = section.with_name(f".edited-{section.name}")
    copy.write_text(text, encoding="utf-8")
    return copy


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default=",".join(config.BACKENDS))
    parser.add_argument("--chapters", default="", help="chapter folders or prefixes (ch07,...)")
    parser.add_argument("--sections", default="", help="section names (vgg,deep_rnn,...)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="kernels at once")
    parser.add_argument("--variants", default=",".join(list(VARIANTS)[1:]),
                        help="perturbations to compare with the book's setting (default: all)")
    parser.add_argument("--edit", action="append", default=[], metavar="OLD=>NEW",
                        help="try a change before making it: run the sections with the text OLD "
                             "replaced by NEW (repeatable; each OLD must occur)")
    parser.add_argument("--json", default=None, help="also write every value to this file")
    args = parser.parse_args(argv)
    names = [config.canonical_name(n) for n in args.backend.split(",") if n.strip()]
    names = [n for n in names if backends.is_installed(n)]
    prefixes = [c for c in args.chapters.split(",") if c]
    wanted = {s for s in args.sections.split(",") if s}
    sections = [s for s in book.sections()
                if (not prefixes or any(s.parent.name.startswith(p) for p in prefixes))
                and (not wanted or s.stem in wanted)]
    variants = ["book"] + [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {list(VARIANTS)[1:]}")
    edits = [tuple(e.split("=>", 1)) for e in args.edit]
    if any(len(e) != 2 for e in edits):
        parser.error("--edit takes OLD=>NEW")
    if edits:
        sections = [_edited(s, edits) for s in sections]
    jobs = [(s, b, v) for s in sections for b in names for v in variants]

    def run(job):
        section, backend, variant = job
        threads, env = VARIANTS[variant]
        result = book.run_section(section, backend, threads=threads, extra_env=env)
        return result.values, result.tolerances

    results: dict = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run, job): job for job in jobs}
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            section, backend, variant = futures[future]
            try:
                results[section.stem, backend, variant] = future.result()
            except book.SectionError as err:
                print(f"FAILED {section.stem} on {backend} ({variant}): "
                      f"{str(err).splitlines()[-1]}", file=sys.stderr)
            print(f"[{done}/{len(jobs)}] {section.stem} {backend} {variant}", file=sys.stderr,
                  flush=True)

    rows, unstable = [], 0
    for section in sections:
        for backend in names:
            if (section.stem, backend, "book") not in results:
                continue
            base, tolerances = results[section.stem, backend, "book"]
            for variant in variants[1:]:
                if (section.stem, backend, variant) not in results:
                    continue
                moved = movement(results[section.stem, backend, variant][0], base, tolerances)
                for name, (diff, ratio) in moved.items():
                    if diff:
                        rows.append((ratio, section.stem, backend, variant, name, base[name],
                                     diff, tolerances.get(name, book.DEFAULT_TOLERANCE)))
                        unstable += ratio > 1
    rows.sort(reverse=True)
    print(f"{len(sections)} sections x {len(names)} backends; numbers that moved "
          f"({unstable} beyond their tolerance):")
    print("| section | backend | variant | number | book value | moved by | tolerance | "
          "moved / allowed |")
    print("|---|---|---|---|---:|---:|---:|---:|")
    for ratio, stem, backend, variant, name, value, diff, tol in rows:
        print(f"| {stem} | {backend} | {variant} | {name} | {value:.6g} | {diff:.2g} | {tol:g} "
              f"| {ratio:.2f} |")
    for section in sections if edits else []:
        section.unlink()
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"section": s, "backend": b, "variant": v, "values": vals,
                        "tolerances": tols} for (s, b, v), (vals, tols) in results.items()],
                      f, indent=1)
    return 1 if unstable else 0


if __name__ == "__main__":
    raise SystemExit(main())
