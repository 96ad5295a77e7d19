"""Test configuration shared by the whole suite.

* ``--backend torch`` (or ``--backend torch,numpy``) restricts the run to those backends.
* The ``backend`` fixture is parametrised over every selected backend: a test that takes it runs
  once per backend, with that backend active and the random seed reset.  A backend whose
  framework is not installed is reported as *skipped* with the reason, except in CI (``CI`` set),
  where all of them must run and a missing one fails the test.
"""

from __future__ import annotations

import os
import pathlib

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


# ---- the book: executed once per session, in a process of its own while the other tests run ---
# The sections' runs are most of the suite's time, on every core (one kernel per core); the
# other tests take one core.  So the book starts in a process of its own as soon as the tests
# are collected, and the test files that need it (``book_runs``) run last: the rest of the
# suite runs meanwhile.  The process gets the environment of collection time, before any test
# can change it, so its runs are the runs ``book_runs`` would execute itself (the same bits:
# every kernel's thread pools are pinned, however busy the machine).

ROOT = os.path.dirname(os.path.abspath(__file__))
_BOOK = pytest.StashKey[dict]()
#: marks the book's process in its command line (tests looking for leaked kernels skip it)
BOOK_PROCESS_MARK = "conftest.execute_book"


def _needs_book(item: pytest.Item) -> bool:
    return "book_runs" in getattr(item, "fixturenames", ())


def _test_file(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _sections_needed(items: list) -> list:
    """The sections the selected tests ask ``book_runs`` for (their ``path`` parameter, or the
    sections named by a ``book_sections`` marker; all of them if a test needs the whole book),
    in book order."""
    from mlbook import book
    ordered = book.sections()
    wanted = set()
    for item in items:
        if not _needs_book(item):
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


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list) -> None:
    """Test files with a test that needs the book run after all the others (each file's tests
    stay together and in their order)."""
    book_files = {_test_file(item) for item in items if _needs_book(item)}
    items[:] = sorted(items, key=lambda item: _test_file(item) in book_files)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start executing the sections the selected tests need, in a process of its own."""
    import json
    import tempfile
    config = session.config
    if (config.option.collectonly or session.testsfailed or hasattr(config, "workerinput")
            or not any(_needs_book(item) for item in session.items)):
        return        # nothing to run, a collection error, or a pytest-xdist worker (in-session)
    folder = pathlib.Path(tempfile.mkdtemp(prefix="mlbook-book-"))
    option = config.getoption("--book-cache")
    cache = pathlib.Path(option).resolve() if option else folder / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    job = folder / "job.json"
    job.write_text(json.dumps({
        "sections": [str(p) for p in _sections_needed(session.items)],
        "backends": [n for n in selected_backends(config) if backends.is_installed(n)],
        "cache": str(cache), "result": str(folder / "result.pickle"),
        "parent": os.getpid()}), encoding="utf-8")
    config.stash[_BOOK] = dict(start_book(job, folder), cache=cache)


def start_book(job: pathlib.Path, folder: pathlib.Path) -> dict:
    """Start the book's process on ``job`` (a JSON file: sections, backends, cache, result),
    logging to ``folder / "log.txt"``; what ``_book_result`` and ``pytest_unconfigure`` need."""
    import subprocess
    import sys
    log = open(folder / "log.txt", "w", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {ROOT!r}); import conftest; "
                               f"{BOOK_PROCESS_MARK}({str(job)!r})"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT,
        start_new_session=True)            # Ctrl-C in the terminal reaches pytest, which stops it
    return {"process": process, "folder": folder, "log": log}


def execute_book(job_file: str) -> None:
    """The book's process: execute the job's sections on its backends into its cache
    (``mlbook.site.execute_sections``, one kernel per core) and pickle the result, which
    records failures rather than raising them."""
    import json
    import pickle
    from mlbook import book
    from mlbook.site import execute_sections
    from mlbook.site.cache import ExecutionCache
    from mlbook.site.execute import known_seconds
    job = json.loads(pathlib.Path(job_file).read_text(encoding="utf-8"))
    _end_with_the_parent(job.get("parent"))
    cache = ExecutionCache(job["cache"])
    result = execute_sections([pathlib.Path(p) for p in job["sections"]], job["backends"], cache,
                              book.default_chapters_dir(), timeout=600,
                              log=lambda line: print(line, flush=True),
                              seconds=known_seconds(cache, pathlib.Path(ROOT)))
    target = pathlib.Path(job["result"])
    partial = target.with_suffix(".partial")
    with open(partial, "wb") as f:
        pickle.dump(result, f)
    partial.replace(target)                  # whole or absent, never half written


def _end_with_the_parent(parent: int | None) -> None:
    """In the book's process: end when the test process (pid ``parent``) ends, however it ends
    (killed by a CI timeout, say, when ``pytest_unconfigure`` never runs), with SIGTERM from the
    kernel (``PR_SET_PDEATHSIG``).  Its fork servers end when their socket to it closes, and
    their kernels when their server ends (``mlbook.forkserver``)."""
    import ctypes
    import signal
    import sys
    parent = os.getppid() if parent is None else parent
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)   # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return                                                     # not Linux
    if os.getppid() != parent:                   # the parent died before the signal was set
        sys.exit(1)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the book's process if the session ends before it does (``-x``, Ctrl-C), with the
    servers and kernels it started, and remove its folder."""
    import shutil
    import psutil
    started = config.stash.get(_BOOK, None)
    if started is None:
        return
    process = started["process"]
    if process.poll() is None:
        try:
            book = psutil.Process(process.pid)
            family = [book] + book.children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        for member in family:
            try:
                member.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(family, timeout=10)
        for member in alive:
            try:
                member.kill()
            except psutil.NoSuchProcess:
                pass
        process.wait()
    started["log"].close()
    shutil.rmtree(started["folder"], ignore_errors=True)


def _book_result(started: dict):
    """The book process's result, once it has finished; an error with the end of its log if it
    failed as a whole (a crash, not a failed section: those are in the result)."""
    import pickle
    started["process"].wait()
    result = started["folder"] / "result.pickle"
    if started["process"].returncode != 0 or not result.exists():
        started["log"].flush()
        tail = (started["folder"] / "log.txt").read_text(encoding="utf-8",
                                                         errors="replace")[-4000:]
        raise RuntimeError(f"the book's process ended with status "
                           f"{started['process'].returncode} and no result; its log ends:\n{tail}")
    with open(result, "rb") as f:
        return pickle.load(f)


@pytest.fixture(scope="session")
def book_cache_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """This session's execution cache: fresh, so the tests always execute the sections; or the
    folder ``--book-cache`` names."""
    started = request.config.stash.get(_BOOK, None)
    if started is not None:
        return started["cache"]
    option = request.config.getoption("--book-cache")
    if option:
        path = pathlib.Path(option).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("book-cache")


@pytest.fixture(scope="session")
def book_runs(request: pytest.FixtureRequest, book_cache_dir):
    """Every needed section executed on every selected backend, one kernel per core at a time
    (``mlbook.site.execute_sections``), by the book's process started at collection; failures
    are recorded, not raised, so each section's test reports its own."""
    started = request.config.stash.get(_BOOK, None)
    if started is not None:
        return _book_result(started)
    from mlbook import book
    from mlbook.site import execute_sections
    from mlbook.site.cache import ExecutionCache
    from mlbook.site.execute import known_seconds
    names = [n for n in selected_backends(request.config) if backends.is_installed(n)]
    cache = ExecutionCache(book_cache_dir)
    return execute_sections(_sections_needed(request.session.items), names, cache,
                            book.default_chapters_dir(), timeout=600, log=lambda line: None,
                            seconds=known_seconds(cache, pathlib.Path(ROOT)))
