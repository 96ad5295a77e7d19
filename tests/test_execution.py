"""The book's execution setting (``mlbook.execution``): pinned thread pools, deterministic
kernels, the same numbers from ``mlbook run``, ``mlbook build`` and the tests, whatever the
thread count."""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from mlbook import book, execution

ROOT = book.default_chapters_dir().parent

#: The training section the thread-count test runs (small: a LeNet on the digits, 10 epochs of
#: 23 minibatches; its numbers come out of reductions that two threads split differently).
TRAINING_SECTION = ROOT / "chapters" / "ch06_convolutional_neural_networks" / "lenet.md"


def test_environment_pins_every_pool():
    env = execution.environment(1, base={})
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                     "TF_NUM_INTRAOP_THREADS", "MXNET_CPU_WORKER_NTHREADS",
                     "MXNET_OMP_MAX_THREADS", execution.THREADS_ENV):
        assert env[variable] == "1"
    assert env["TF_NUM_INTEROP_THREADS"] == "1"
    assert env["TF_DETERMINISTIC_OPS"] == "1" and env["MXNET_ENFORCE_DETERMINISM"] == "1"
    assert env["XLA_FLAGS"] == ("--xla_backend_optimization_level=0 "
                                "--xla_cpu_multi_thread_eigen=false "
                                "intra_op_parallelism_threads=1")
    two = execution.environment(2, base={"XLA_FLAGS": "--xla_dump_to=/tmp/x "
                                                      "--xla_cpu_multi_thread_eigen=false"})
    assert two["OMP_NUM_THREADS"] == "2" and two["TF_NUM_INTEROP_THREADS"] == "1"
    assert two["XLA_FLAGS"] == ("--xla_dump_to=/tmp/x --xla_backend_optimization_level=0 "
                                "--xla_cpu_multi_thread_eigen=true "
                                "intra_op_parallelism_threads=2")      # the user's flag is kept
    mine = execution.environment(1, base={"XLA_FLAGS": "--xla_backend_optimization_level=2"})
    assert mine["XLA_FLAGS"].split()[0] == "--xla_backend_optimization_level=2"   # theirs wins


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_environment_rejects_a_bad_thread_count(bad):
    with pytest.raises(ValueError, match="positive integer"):
        execution.environment(bad)


@pytest.mark.parametrize("value", ["0", "two", "-3", "1.5"])
def test_a_bad_mlbook_threads_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv(execution.THREADS_ENV, value)
    with pytest.raises(ValueError) as err:
        execution.threads()
    assert execution.THREADS_ENV in str(err.value) and "positive whole number" in str(err.value)
    assert f"{execution.THREADS_ENV}=1" in str(err.value)         # the fix
    monkeypatch.setenv(execution.THREADS_ENV, " 3 ")
    assert execution.threads() == 3
    monkeypatch.delenv(execution.THREADS_ENV)
    assert execution.threads() is None


def test_perturb_moves_each_value_by_one_ulp(monkeypatch):
    x = np.array([0.5, -0.25, 3.0, 0.0], dtype=np.float32)
    assert execution.perturb(x) is x                               # unset: untouched
    monkeypatch.setenv(execution.PERTURB_ENV, "1")
    y = execution.perturb(x)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, np.nextafter(x, np.float32(np.inf)))
    monkeypatch.setenv(execution.PERTURB_ENV, "-2")
    z = execution.perturb(x)
    np.testing.assert_array_equal(z, np.nextafter(np.nextafter(x, -np.inf), -np.inf)
                                  .astype(np.float32))
    np.testing.assert_array_equal(execution.perturb(np.arange(3)), np.arange(3))   # ints: kept
    monkeypatch.setenv(execution.PERTURB_ENV, "one")
    with pytest.raises(ValueError, match=execution.PERTURB_ENV):
        execution.perturb(x)


def test_perturbed_weights_on_every_backend(backend, monkeypatch):
    import mlbook as mb
    from mlbook import nn
    mb.seed(3)
    plain = mb.to_numpy(nn.Linear(4, 3).weight)
    monkeypatch.setenv(execution.PERTURB_ENV, "1")
    mb.seed(3)
    nudged = mb.to_numpy(nn.Linear(4, 3).weight)
    mb.seed(3)
    drawn = mb.to_numpy(mb.normal(0, 1, (5,)))
    monkeypatch.delenv(execution.PERTURB_ENV)
    mb.seed(3)
    np.testing.assert_array_equal(nudged, np.nextafter(plain, np.float32(np.inf)))
    np.testing.assert_array_equal(
        drawn, np.nextafter(mb.to_numpy(mb.normal(0, 1, (5,))), np.float32(np.inf)))


_PROBE = {
    "numpy": "import threadpoolctl; "
             "print(json.dumps(sorted({p['num_threads'] for p in threadpoolctl.threadpool_info()})))",
    "torch": "import torch; print(json.dumps([torch.get_num_threads(), "
             "torch.get_num_interop_threads(), torch.are_deterministic_algorithms_enabled()]))",
    "tensorflow": "import tensorflow as tf; print(json.dumps(["
                  "tf.config.threading.get_intra_op_parallelism_threads(), "
                  "tf.config.threading.get_inter_op_parallelism_threads(), "
                  "os.environ['TF_DETERMINISTIC_OPS']]))",
    "mxnet": "print(json.dumps([os.environ[v] for v in ('MXNET_CPU_WORKER_NTHREADS', "
             "'MXNET_OMP_MAX_THREADS', 'OMP_NUM_THREADS', 'MXNET_ENFORCE_DETERMINISM')]))",
    # XLA reads its flags once, when JAX starts; JAX has no call that reports the pool's size
    "jax": "import jax; print(json.dumps([jax.config.jax_enable_x64, "
           "os.environ['XLA_FLAGS'].split()[-2:]]))",
}
_EXPECTED = {"numpy": [2], "torch": [2, 1, True], "tensorflow": [2, 1, "1"],
             "mxnet": ["2", "2", "2", "1"],
             "jax": [True, ["--xla_cpu_multi_thread_eigen=true", "intra_op_parallelism_threads=2"]]}


def test_mlbook_threads_pins_the_backend_in_a_plain_python(backend):
    """``MLBOOK_THREADS=2 python ...`` (no kernel, nothing set but that variable): importing
    mlbook and loading the backend pins the framework's pools."""
    env = {k: v for k, v in os.environ.items()
           if k not in execution.environment(1) or k == "PATH"}
    env.update({execution.THREADS_ENV: "2", "MLBOOK_BACKEND": backend})
    code = ("import json, os; import mlbook as mb; mb.sum(mb.ones((2, 2))); " + _PROBE[backend])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == _EXPECTED[backend]


def test_a_bad_mlbook_threads_fails_at_import():
    env = dict(os.environ, **{execution.THREADS_ENV: "lots"})
    done = subprocess.run([sys.executable, "-c", "import mlbook"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode != 0 and "MLBOOK_THREADS='lots'" in done.stderr


def test_kernels_ignore_the_callers_thread_settings(monkeypatch, tmp_path):
    """The caller's OMP_NUM_THREADS or a stray perturbation do not reach the book's kernels."""
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.setenv(execution.PERTURB_ENV, "5")
    section = tmp_path / "probe.md"
    section.write_text(
        (ROOT / "chapters" / "ch01_introduction" / "introduction.md").read_text()
        .split("```{code-cell}")[0]
        + "```{code-cell} ipython3\nimport os\nfrom mlbook import book\n"
          "book.report('omp', int(os.environ['OMP_NUM_THREADS']))\n"
          "book.report('threads', int(os.environ['MLBOOK_THREADS']))\n"
          "book.report('perturbed', int('MLBOOK_PERTURB_ULPS' in os.environ))\n```\n")
    values = book.run_section(section, "numpy").values
    assert values == {"omp": 1, "threads": execution.BOOK_THREADS, "perturbed": 0}
    assert book.run_section(section, "numpy", threads=2).values["omp"] == 2


@pytest.mark.book_sections(TRAINING_SECTION)
def test_training_numbers_do_not_depend_on_the_thread_count(backend, book_runs):
    """The same training section with one compute thread and with two: every number within the
    tolerance the section states; and the run in the book's setting (what ``mlbook run``
    executes) gives bit for bit the numbers of the book's executor (what ``mlbook build`` and
    the other tests use), executed earlier in another kernel."""
    rel = TRAINING_SECTION.relative_to(ROOT / "chapters").as_posix()
    assert (rel, backend) not in book_runs.failures, book_runs.failures.get((rel, backend))
    built = book_runs.runs[rel, backend]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:       # two kernels side by side
        one, two = pool.map(lambda n: book.run_section(TRAINING_SECTION, backend, threads=n),
                            (1, 2))
    assert one.values == built.values                     # identical, not merely close
    comparison = book.compare({"1 thread": one.values, "2 threads": two.values},
                              {"1 thread": one.tolerances})["2 threads"]
    assert comparison.count == len(one.values) >= 4
    assert comparison.agrees, comparison.problems


@pytest.mark.book_sections(TRAINING_SECTION)
def test_cli_run_prints_the_numbers_of_the_build(book_runs, tmp_path):
    """``mlbook run`` prints every digit of the numbers the build publishes."""
    rel = TRAINING_SECTION.relative_to(ROOT / "chapters").as_posix()
    backend = next(b for (section, b) in book_runs.runs if section == rel)
    built = book_runs.runs[rel, backend].values
    done = subprocess.run([sys.executable, "-m", "mlbook", "run", str(TRAINING_SECTION),
                           "--backend", backend], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"[{backend}, 1 thread]" in done.stdout
    printed = {line.split(" = ")[0].strip(): float(line.split(" = ")[1])
               for line in done.stdout.splitlines() if " = " in line}
    assert printed == built
    bad = subprocess.run([sys.executable, "-m", "mlbook", "run", str(TRAINING_SECTION),
                          "--threads", "0"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "positive whole number of threads" in bad.stderr


def test_jax_kernels_share_a_persistent_compilation_cache(tmp_path):
    """Book kernels get JAX's persistent compilation cache: in ``$XDG_CACHE_HOME/mlbook/jax``
    by default, or where ``JAX_COMPILATION_CACHE_DIR`` already points."""
    env = execution.compilation_cache({"XDG_CACHE_HOME": str(tmp_path)})
    assert env["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "mlbook" / "jax")
    assert env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] == "0"
    mine = execution.compilation_cache({"JAX_COMPILATION_CACHE_DIR": "/elsewhere"})
    assert mine["JAX_COMPILATION_CACHE_DIR"] == "/elsewhere"


def test_a_section_run_leaves_no_threads_behind(tmp_path):
    # nbclient leaves the client of a kernel it does not own running; its channel threads
    # polled the dead kernel's sockets, more with every section, and slowed long builds down
    import threading
    section = tmp_path / "tiny.md"
    section.write_text(
        (ROOT / "chapters" / "ch01_introduction" / "introduction.md").read_text()
        .split("```{code-cell}")[0] + "```{code-cell} ipython3\nprint(1 + 1)\n```\n")
    assert [c.cell_type for c in book.read_section(section).cells].count("code") == 1
    book.run_section(section, "numpy")
    before = threading.active_count()
    for _ in range(2):
        book.run_section(section, "numpy")
    assert threading.active_count() == before


def test_the_build_starts_the_longest_runs_first_and_lists_the_slowest(tmp_path, monkeypatch):
    """``execute_sections`` submits the runs it knows to be long first (unknown ones before
    them, in book order), records each run's seconds in the cache folder for the next build,
    and ends its log with the slowest runs."""
    import pathlib
    from mlbook.site import execute as execute_module
    from mlbook.site.cache import SECONDS_RECORD, ExecutionCache
    chapters = tmp_path / "chapters" / "ch01_x"
    chapters.mkdir(parents=True)
    paths = []
    for name in ("a", "b", "c"):
        (chapters / f"{name}.md").write_text(f"# {name}\n")
        paths.append(chapters / f"{name}.md")
    started = []
    cost = {"a": 1.0, "b": 30.0, "c": 5.0}

    def fake_run(path, backend, timeout, threads):
        stem = pathlib.Path(path).stem
        started.append(stem)
        import nbformat
        return book.SectionResult(pathlib.Path(path), backend, nbformat.v4.new_notebook(), {},
                                  cost[stem], startup=0.5)
    monkeypatch.setattr(execute_module, "_run", fake_run)
    cache = ExecutionCache(tmp_path / "cache")
    known = {"ch01_x/a.md|numpy": 1.5, "ch01_x/b.md|numpy": 30.5}      # c is unknown
    lines = []
    result = execute_module.execute_sections(paths, ["numpy"], cache, tmp_path / "chapters",
                                             jobs=1, log=lines.append, seconds=known)
    assert started == ["c", "b", "a"]                       # unknown first, then longest first
    assert result.executed == 3 and not result.failures
    assert "the slowest runs (seconds in cells):" in lines[-1]
    slowest = lines[-1].splitlines()[1:]
    assert [line.split()[-3] for line in slowest] == ["ch01_x/b.md", "ch01_x/c.md", "ch01_x/a.md"]
    assert json.loads((cache.directory / SECONDS_RECORD).read_text()) == {
        "ch01_x/a.md|numpy": 1.5, "ch01_x/b.md|numpy": 30.5, "ch01_x/c.md|numpy": 5.5}
    assert execute_module.known_seconds(cache)["ch01_x/c.md|numpy"] == 5.5
    assert len(cache.entries()) == 3                     # the seconds record is no entry


def test_known_seconds_reads_the_saved_benchmark_table(tmp_path):
    from mlbook.site.cache import ExecutionCache
    from mlbook.site.execute import SECONDS_FILE, known_seconds
    table = tmp_path / SECONDS_FILE
    table.parent.mkdir(parents=True)
    table.write_text(json.dumps({"columns": ["section", "numpy (s)", "torch (s)",
                                             "all backends (s)"],
                                 "rows": [["ch01_x/a.md", 2.0, 1.0, 3.0]]}))
    seconds = known_seconds(ExecutionCache(tmp_path / "cache"), tmp_path)
    assert seconds == {"ch01_x/a.md|numpy": 2.0, "ch01_x/a.md|torch": 1.0}
    table.write_text("not json")
    assert known_seconds(ExecutionCache(tmp_path / "cache"), tmp_path) == {}
