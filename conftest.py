"""Test configuration shared by the whole suite.

* ``--backend torch`` (or ``--backend torch,numpy``) restricts the run to those backends.
* The ``backend`` fixture is parametrised over every selected backend: a test that takes it runs
  once per backend, with that backend active and the random seed reset.  A backend whose
  framework is not installed is reported as *skipped* with the reason, except in CI (``CI`` set),
  where all of them must run and a missing one fails the test.
"""

from __future__ import annotations

import os

import pytest

import mlbook
from mlbook import backends, config
from mlbook.records import BY_NAME


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--book-cache", action="store", default=None, metavar="DIR",
                     help="keep the book's executions in this execution cache (e.g. "
                          "docs/_build/cache, which `mlbook build` then reuses) instead of a "
                          "fresh temporary one; entries already there are reused")
    parser.addoption("--backend", action="store", default=None,
                     help=f"comma-separated backends to test ({', '.join(config.BACKENDS)}; "
                          "aliases allowed); default: all of them")


def selected_backends(pytest_config: pytest.Config) -> list[str]:
    option = pytest_config.getoption("--backend")
    if not option:
        return list(config.BACKENDS)
    try:
        names = [config.canonical_name(n) for n in option.split(",") if n.strip()]
    except ValueError as err:
        raise pytest.UsageError(f"--backend: {err}") from None
    return list(dict.fromkeys(names))


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require_backend(name: str) -> None:
    """Skip (locally) or fail (in CI) when backend ``name`` cannot be used."""
    if backends.is_installed(name):
        return
    reason = f"backend {name!r} is not installed ({BY_NAME[name].install_hint})"
    if in_ci():
        pytest.fail(f"{reason}; CI must run all {len(config.BACKENDS)} backends")
    pytest.skip(reason)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        names = selected_backends(metafunc.config)
        metafunc.parametrize("backend", names, indirect=True, ids=names)


@pytest.fixture
def backend(request: pytest.FixtureRequest):
    """The active backend's name, for a test run once per backend."""
    name = request.param
    require_backend(name)
    previous = mlbook.backend()
    mlbook.set_backend(name)
    mlbook.seed(0)
    try:
        yield name
    finally:
        backends.set_backend(previous) if backends.is_installed(previous) else None


@pytest.fixture
def all_backends(request: pytest.FixtureRequest) -> list[str]:
    """Every selected backend (for tests that compare backends with each other in one run)."""
    names = selected_backends(request.config)
    for name in names:
        require_backend(name)
    previous = mlbook.backend()
    yield names
    backends.set_backend(previous)


# ---- the book: sections executed once per session, in parallel, shared by the tests ----------

def _sections_needed(session: pytest.Session) -> list:
    """The sections the selected tests ask ``book_runs`` for (their ``path`` parameter, or the
    sections named by a ``book_sections`` marker; all of them if a test needs the whole book),
    in book order."""
    from mlbook import book
    ordered = book.sections()
    wanted = set()
    for item in session.items:
        if "book_runs" not in getattr(item, "fixturenames", ()):
            continue
        marker = item.get_closest_marker("book_sections")
        if marker is not None:                 # @pytest.mark.book_sections(path, ...)
            wanted.update(marker.args)
            continue
        callspec = getattr(item, "callspec", None)
        path = callspec.params.get("path") if callspec else None
        if path is None:
            return ordered
        wanted.add(path)
    return [p for p in ordered if p in wanted]


@pytest.fixture(scope="session")
def book_cache_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """This session's execution cache: fresh, so the tests always execute the sections; or the
    folder ``--book-cache`` names."""
    import pathlib
    option = request.config.getoption("--book-cache")
    if option:
        path = pathlib.Path(option).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("book-cache")


@pytest.fixture(scope="session")
def book_runs(request: pytest.FixtureRequest, book_cache_dir):
    """Every needed section executed on every selected backend, one kernel per core at a time
    (``mlbook.site.execute_sections``); failures are recorded, not raised, so each section's
    test reports its own."""
    from mlbook import book
    import pathlib
    from mlbook.site import execute_sections
    from mlbook.site.cache import ExecutionCache
    from mlbook.site.execute import known_seconds
    names = [n for n in selected_backends(request.config) if backends.is_installed(n)]
    cache = ExecutionCache(book_cache_dir)
    return execute_sections(_sections_needed(request.session), names, cache,
                            book.default_chapters_dir(), timeout=600, log=lambda line: None,
                            seconds=known_seconds(cache, pathlib.Path(__file__).parent))
