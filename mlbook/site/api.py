"""The website's API reference, generated from the library's ``__all__`` lists and docstrings.

:data:`PAGES` is the one place that says which modules the reference documents and how their
names are grouped; every public name (each module's ``__all__``) lands in a group, found by the
module that defines it (:attr:`Page.groups`), so a new function or class gets its entry without
anyone writing one.  A name whose defining module has no group is an error at build time that
names the fix.  :func:`pages` renders the pages (reStructuredText with ``autodoc`` directives);
``mlbook build`` stages them under ``api/`` and Sphinx renders the docstrings, math included,
with ``-W``, so a broken docstring fails the build.  Code cells in the chapters link their
names to these entries (``sphinx-codeautolink``).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import types
from typing import Any

__all__ = ["Page", "PAGES", "pages", "documented_names", "undocumented", "UndocumentedError",
           "NOT_DOCUMENTED", "EXAMPLE_IMPORTS", "example_namespace", "documentation_of",
           "without_example", "SILENT_EXAMPLES"]


class UndocumentedError(RuntimeError):
    """A public name has no place in the API reference."""


@dataclasses.dataclass(frozen=True)
class Page:
    """One page of the reference: the public names of ``modules`` (each module's ``__all__``,
    or ``names`` where a module has none), grouped by the module that defines each name
    (``groups`` maps that module, or a single name, to a group title; order is the order of
    ``groups``).  Names listed in ``skip`` are documented elsewhere (say where)."""
    slug: str
    title: str
    intro: str
    modules: tuple[str, ...]
    groups: dict[str, str]
    names: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    skip: dict[str, str] = dataclasses.field(default_factory=dict)
    order: str | None = None      # a module whose ``__all__`` order comes first (reading order)


PAGES: tuple[Page, ...] = (
    Page("tensors", "Tensors: the neutral API",
         "What ``import mlbook as mb`` gives: one function per tensor operation, the same on "
         "every backend, with tensors that stay the backend's own objects; random numbers, "
         "gradients, devices and the choice of backend.",
         ("mlbook",),
         {"mlbook.ops.creation": "Creation", "seed": "Random", "mlbook.random": "Random",
          "mlbook.ops.shape": "Shape", "mlbook.ops.elementwise": "Elementwise",
          "mlbook.ops.reductions": "Reductions", "mlbook.ops.linalg": "Linear algebra",
          "mlbook.ops.logic": "Comparison and logic",
          "mlbook.ops.conversion": "Dtypes and conversion", "dtype names": "Dtypes and conversion",
          "mlbook.ops.indexing": "Indexing", "mlbook.ops.nn": "Softmax",
          "mlbook.autograd": "Gradients", "mlbook.config": "Gradients",
          "mlbook.devices": "Devices", "mlbook": "Backend", "BACKENDS": "Backend"},
         skip={"config": "settings, used through the functions above"}, order="mlbook.ops"),
    Page("nn", "Layers: mlbook.nn",
         "Layers as modules with parameters (``nn.Linear``, ``nn.Conv2d``, ``nn.GRU``, "
         "attention and Transformer blocks ...), written once on the neutral API, and the "
         "functions behind them.",
         ("mlbook.nn", "mlbook.nn.functional"),
         {"mlbook.nn.module": "Modules", "mlbook.nn.layers": "Layers",
          "mlbook.nn.rnn": "Recurrent layers", "mlbook.nn.seq2seq": "Encoder-decoder",
          "mlbook.nn.attention": "Attention and Transformers",
          "mlbook.ops.nn": "Functions (mlbook.nn.functional)",
          "mlbook.nn.functional": "Functions (mlbook.nn.functional)"},
         skip={"functional": "its functions are listed under Functions"}),
    Page("losses", "Losses: mlbook.losses",
         "Loss functions, each also as a module (``losses.CrossEntropyLoss()``).",
         ("mlbook.losses",), {"mlbook.losses": "Losses"}),
    Page("optim", "Optimisers and schedules: mlbook.optim, mlbook.schedulers",
         "Optimisers that update a module's parameters from their gradients, gradient clipping, "
         "and learning-rate schedules.",
         ("mlbook.optim", "mlbook.schedulers"),
         {"mlbook.optim": "Optimisers", "mlbook.schedulers": "Learning-rate schedules",
          "values": "Optimisers"}),
    Page("init", "Initialisers: mlbook.init",
         "How a layer's weights start (``nn.Linear(..., init=mb.init.xavier)``).",
         ("mlbook.init",), {"mlbook.init": "Initialisers", "typing": "Initialisers"}),
    Page("data", "Data: mlbook.data",
         "Data sets the book uses (generated, shipped with a package, or in ``MLBOOK_DATA_DIR``) "
         "and their loaders.",
         ("mlbook.data",),
         {"mlbook.data.arrays": "Arrays and loaders", "mlbook.data.images": "Images",
          "mlbook.data.shapes": "Generated detection and segmentation data",
          "mlbook.data.text": "Text", "mlbook.data.translation": "Translation",
          "mlbook.data.download": "Data files", "values": "Constants"}),
    Page("train", "Training: mlbook.train",
         "Training loops, metrics and timers.",
         ("mlbook.train",), {"mlbook.train": "Training"},
         skip={"in_notebook": "see mlbook.plot"}),
    Page("plot", "Plots: mlbook.plot",
         "Figures the book draws: curves, images, heat maps, boxes, and live training curves.",
         ("mlbook.plot",), {"mlbook.plot": "Plots"}),
    Page("vision", "Vision: mlbook.vision",
         "Image augmentation; bounding boxes, anchors and detection; region-of-interest pooling; "
         "segmentation scores; the blocks the detection and segmentation networks share.",
         ("mlbook.vision",),
         {"mlbook.vision.augment": "Augmentation", "mlbook.vision.boxes": "Boxes and anchors",
          "mlbook.vision.roi": "Region-of-interest pooling",
          "mlbook.vision.segmentation": "Segmentation scores",
          "mlbook.vision.blocks": "Blocks of the detection and segmentation networks"}),
    Page("book", "Running the book: mlbook.book, mlbook.kernel, mlbook.forkserver, "
                 "mlbook.execution, mlbook.compiled",
         "How sections are executed, reported and compared, the kernels forked for them, the "
         "execution setting that makes their numbers repeatable, and exactly compiled gradients.",
         ("mlbook.book", "mlbook.kernel", "mlbook.forkserver", "mlbook.execution",
          "mlbook.compiled"),
         {"mlbook.book": "Sections", "mlbook.kernel": "Kernels", "mlbook.forkserver": "Kernels",
          "mlbook.execution": "The execution setting", "mlbook.compiled": "Compiled gradients",
          "values": "Constants"}),
)


#: Packages whose public names the reference leaves out, and why.
NOT_DOCUMENTED: dict[str, str] = {
    "mlbook.backends": "the adapters between the neutral API and each framework, used through it",
    "mlbook.site": "the website builder, used through ``mlbook build`` (see the guides)",
}


#: What every example in the reference assumes has run (its first line says so, and the
#: chapters' code links resolve names with it); the tests run each example in a namespace made
#: from these lines alone (:func:`example_namespace`).
EXAMPLE_IMPORTS: tuple[str, ...] = (
    "import numpy as np",
    "import mlbook as mb",
    "from mlbook import nn, losses, optim, schedulers, init, data, train, plot, vision",
    "from mlbook import book, kernel, forkserver, execution, compiled",
)


def example_namespace() -> dict[str, Any]:
    """A fresh namespace for one docstring example: the names of :data:`EXAMPLE_IMPORTS`."""
    namespace: dict[str, Any] = {}
    exec("\n".join(EXAMPLE_IMPORTS), namespace)
    return namespace


@dataclasses.dataclass(frozen=True)
class _Entry:
    module: str           # where the name is documented (mlbook.nn)
    name: str
    kind: str             # function, class or data


def _kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj) and not isinstance(obj, types.GenericAlias) \
            and getattr(obj, "__module__", "") != "typing":
        return "function"
    return "data"


def _group_of(page: Page, module: str, name: str, obj: Any) -> str:
    for key in (name, getattr(obj, "__module__", None) if _kind(obj) != "data" else None):
        if key in page.groups:
            return page.groups[key]
    if _kind(obj) == "data":
        if isinstance(obj, str) and module == "mlbook" and "dtype names" in page.groups:
            return page.groups["dtype names"]
        if getattr(obj, "__module__", None) == "typing" and "typing" in page.groups:
            return page.groups["typing"]
        if "values" in page.groups:
            return page.groups["values"]
    raise UndocumentedError(
        f"{module}.{name} (defined in {getattr(obj, '__module__', '?')}) has no group in the API "
        f"reference: add its module or its name to the page {page.slug!r} in "
        f"mlbook/site/api.py, or to that page's skip with where it is documented")


def _layout(page: Page) -> dict[str, list[_Entry]]:
    """Group title -> entries, groups in the order of ``page.groups``."""
    found: dict[str, list[_Entry]] = {title: [] for title in dict.fromkeys(page.groups.values())}
    for module_name in page.modules:
        module = importlib.import_module(module_name)
        names = page.names.get(module_name) or getattr(module, "__all__", None)
        if names is None:
            raise UndocumentedError(f"{module_name} has no __all__: list its public names "
                                    f"there, or in the page's names in mlbook/site/api.py")
        if page.order:
            first = list(getattr(importlib.import_module(page.order), "__all__", []))
            names = sorted(names, key=lambda n: (first.index(n) if n in first else len(first)))
        for name in names:
            if name in page.skip:
                continue
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                raise UndocumentedError(f"{module_name}.{name} is a module: give it a page "
                                        f"or skip it in mlbook/site/api.py")
            found[_group_of(page, module_name, name, obj)].append(
                _Entry(module_name, name, _kind(obj)))
    return {title: entries for title, entries in found.items() if entries}


@functools.lru_cache(maxsize=None)
def _library_modules() -> tuple[str, ...]:
    """Every mlbook module the reference can document: all but :data:`NOT_DOCUMENTED`'s
    packages and ``__main__`` (which would run the command line)."""
    import pkgutil

    import mlbook
    return tuple(info.name for info in pkgutil.walk_packages(mlbook.__path__, "mlbook.")
                 if not info.name.startswith(tuple(NOT_DOCUMENTED))
                 and not info.name.endswith("__main__"))


def _data_comment(module_name: str, name: str) -> tuple[str, str] | None:
    """The ``#:`` comment that documents ``module_name.name``, and the module it is written in:
    the module itself, or the mlbook module that defines the value it re-exports (the same
    object under the same name)."""
    from sphinx.pycode import ModuleAnalyzer

    obj = getattr(importlib.import_module(module_name), name)
    for candidate in dict.fromkeys([module_name, *_library_modules()]):
        module = importlib.import_module(candidate)
        if getattr(module, name, None) is not obj and candidate != module_name:
            continue
        comments = ModuleAnalyzer.for_module(candidate).find_attr_docs()
        if ("", name) in comments:
            return "\n".join(comments[("", name)]), candidate
    return None


def documentation_of(module_name: str, name: str) -> tuple[str, str]:
    """What the reference shows for ``module_name.name``: its docstring (a function's or a
    class's, with its methods'), or a constant's ``#:`` comment; and the module that text is
    written in."""
    obj = getattr(importlib.import_module(module_name), name)
    if _kind(obj) == "data":
        found = _data_comment(module_name, name)
        return found if found else ("", module_name)
    parts = [inspect.getdoc(obj) or ""]
    if inspect.isclass(obj):                  # the members autodoc shows, each documented once:
        public = _public_objects()            # an alias of a public function is that function's
        for key, member in vars(obj).items():
            target = getattr(member, "__func__", member)
            if key.startswith("_") or id(target) in public:
                continue
            if callable(target) or isinstance(member, property):
                parts.append(inspect.getdoc(member) or "")
    return "\n\n".join(parts), getattr(obj, "__module__", module_name)


def _public_objects() -> set[int]:
    """The ids of the functions and classes the reference documents under their own names."""
    return {id(getattr(importlib.import_module(e.module), e.name)) for page in PAGES
            for entries in _layout(page).values() for e in entries if e.kind != "data"}


#: Names whose example only defines code, since running it here would disturb the process
#: that runs the examples; the reason is the entry's.  Every other example prints something.
SILENT_EXAMPLES: dict[str, str] = {
    "mlbook.forkserver.server_for": "a server takes seconds to start and would replace the "
                                    "test process's own server for that backend",
    "mlbook.forkserver.shutdown_all": "it would stop the servers the test process runs",
    "mlbook.plot.use_svg_display": "its effect is how a notebook shows figures",
}


def _shows_output(text: str) -> bool:
    import doctest
    return any(example.want.strip() for example in doctest.DocTestParser().get_examples(text))


def without_example() -> list[str]:
    """Every name the reference documents whose documentation has no example that prints
    something (a ``>>>`` line with its output), but for :data:`SILENT_EXAMPLES`, which need a
    ``>>>`` line only."""
    missing = []
    for page in PAGES:
        for entries in _layout(page).values():
            for e in entries:
                name, text = f"{e.module}.{e.name}", documentation_of(e.module, e.name)[0]
                if not (_shows_output(text) or (name in SILENT_EXAMPLES and ">>>" in text)):
                    missing.append(name)
    return sorted(missing)


def _rst(page: Page) -> str:
    lines = [page.title, "=" * len(page.title), "", page.intro, "",
             "The examples assume::", ""] + [f"    {line}" for line in EXAMPLE_IMPORTS] + [""]
    for title, entries in _layout(page).items():
        lines += [title, "-" * len(title), ""]
        modules = list(dict.fromkeys(e.module for e in entries))
        for module in modules:
            here = [e for e in entries if e.module == module]
            lines += [f".. currentmodule:: {module}", "", ".. autosummary::", ""]
            lines += [f"   {e.name}" for e in here] + [""]
            for e in here:
                if e.kind == "class":
                    lines += [f".. autoclass:: {e.name}", "   :members:", ""]
                elif e.kind == "function":
                    lines += [f".. autofunction:: {e.name}", ""]
                else:
                    lines += [f".. autodata:: {e.name}", "   :no-value:", ""]
                    comment = _data_comment(e.module, e.name)
                    if comment and comment[1] != e.module:     # autodoc reads only e.module's
                        lines += [f"   {line}" if line else "" for line in
                                  comment[0].splitlines()] + [""]
    return "\n".join(lines)


def pages() -> dict[str, str]:
    """The reference's files, ``api/<slug>.rst`` and its index, as path -> text."""
    files = {f"api/{page.slug}.rst": _rst(page) for page in PAGES}
    index = ["API reference", "=============", "",
             "Every public function and class of mlbook, generated from its docstrings. Names "
             "in the chapters' code cells link here.", "", ".. toctree::", "   :maxdepth: 1", ""]
    index += [f"   {page.slug}" for page in PAGES]
    files["api/index.rst"] = "\n".join(index) + "\n"
    return files


def documented_names() -> set[str]:
    """Every fully qualified name the reference documents (``mlbook.nn.Linear``)."""
    return {f"{e.module}.{e.name}" for page in PAGES for entries in _layout(page).values()
            for e in entries}


def undocumented() -> list[str]:
    """Public functions and classes (in some module's ``__all__``) that no page documents,
    under any of the names they are exported as; empty when the reference is complete."""
    documented = _public_objects()
    missing = []
    for module_name in _library_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and id(obj) not in documented:
                missing.append(f"{module_name}.{name}")
    return missing
