"""Sphinx configuration of the mlbook website.

Build it with ``mlbook build`` from the repository root: that executes the chapters on every
backend, stages merged notebooks in ``docs/_build/site`` and runs Sphinx there with this file.
Running sphinx-build on ``docs/`` directly gives the front pages without chapters.
"""

import importlib.util
import os

project = "mlbook"
author = "mlbook authors"
copyright = "2026, mlbook authors"
html_title = "mlbook"

extensions = [
    "nbsphinx",                     # executed notebooks (pre-executed: nbsphinx runs nothing)
    "myst_parser",                  # the markdown pages: front page, chapter indexes
    "sphinx_design",                # tabs (synced across a page, remembered across pages)
    "sphinxcontrib.bibtex",         # the global references page
    "sphinx.ext.mathjax",           # with MathJax 3 served from _static/mathjax (see setup)
    "sphinx.ext.autodoc",           # the API reference, from the docstrings (api/, staged by
    "sphinx.ext.autosummary",       # mlbook build from mlbook/site/api.py)
    "sphinx_codeautolink",          # names in code cells and API examples link to the reference
]

# ---- the API reference ----
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True    # show ``dtype=None``, not the value a default evaluates to
add_module_names = False
codeautolink_concat_default = True  # a notebook's cells are one program (imports carry over)
codeautolink_warn_on_missing_inventory = False
codeautolink_warn_on_failed_resolve = False
# the imports every example in the reference assumes (stated on each page), so that ``mb.show``
# in a docstring example links to its entry as it would in a chapter
from mlbook.site.api import EXAMPLE_IMPORTS  # noqa: E402
codeautolink_global_preface = "\n".join(EXAMPLE_IMPORTS)

exclude_patterns = ["_build", "**/_notebooks", "**.ipynb_checkpoints"]

# notebooks arrive executed on every backend and merged; a failing cell already failed the
# build, and any error output left would fail it here too
nbsphinx_execute = "never"
nbsphinx_allow_errors = False
nbsphinx_codecell_lexer = "ipython3"
nbsphinx_requirejs_path = ""        # no widgets: do not load require.js (from a CDN)

myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

html_theme = "pydata_sphinx_theme"
html_theme_options = {
    "show_prev_next": True,
    "navigation_depth": 2,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
html_context = {"default_mode": "light"}
html_favicon = "_static/favicon.svg"
html_static_path = ["_static"]
html_css_files = ["mlbook.css"]
html_show_sourcelink = False

# ---- math offline: MathJax 3 from the sphinx-mathjax-offline package, copied into the site ----
mathjax_path = "mathjax/tex-chtml.js"


def _mathjax_dir() -> str:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("MathJax for offline pages comes from the sphinx-mathjax-offline "
                           "package: pip install \"mlbook[docs]\"")
    return os.path.join(spec.submodule_search_locations[0], "static", "mathjax")


def _copy_mathjax(app) -> None:
    """Before pages are written (so each page links the file with its checksum)."""
    from sphinx.util.fileutil import copy_asset
    if app.builder.format == "html":
        copy_asset(_mathjax_dir(), os.path.join(app.outdir, "_static", "mathjax"))


def _no_type_docstrings(app, what, name, obj, options, lines) -> None:
    """A constant without a ``#:`` comment would show its type's docstring (``dict()`` ...)."""
    if what in ("data", "attribute") and lines and type(obj).__doc__ and \
            lines[0].strip() == type(obj).__doc__.strip().splitlines()[0].strip():
        lines.clear()


def setup(app):
    _mathjax_dir()                                   # fail early, with the fix, if it is missing
    app.connect("autodoc-process-docstring", _no_type_docstrings)
    app.connect("builder-inited", _copy_mathjax)
