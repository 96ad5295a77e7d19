"""The website: every section executed on every backend, rendered by Sphinx with the backends'
outputs side by side (``mlbook build``; see :func:`build`)."""

from .build import BuildResult, build, find_pandoc
from .execute import BuildError, Execution, execute_sections

__all__ = ["build", "BuildResult", "BuildError", "Execution", "execute_sections", "find_pandoc"]
