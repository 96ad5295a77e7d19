"""The book's execution setting: pinned thread pools and deterministic kernels.

A float32 sum split over two threads rounds differently from the same sum on one thread, so a
framework's results depend on how many threads its pools get.  ``mlbook run``, ``mlbook build``
and the tests therefore execute every section with the same setting, :data:`BOOK_THREADS`
compute threads per kernel, which gives the same bits on every run of a machine, however busy
it is.  A reader reproduces a page's numbers with::

    MLBOOK_THREADS=1 MLBOOK_BACKEND=torch jupyter lab chapters/ch07_modern_cnns/vgg.md

``MLBOOK_THREADS=n`` (read when mlbook is imported) pins every pool a backend has:

* OpenMP, MKL, OpenBLAS and numpy's BLAS (through ``threadpoolctl`` when numpy is loaded already);
* PyTorch's intra-op pool (``torch.set_num_threads(n)``) and inter-op pool (1 thread), and
  ``torch.use_deterministic_algorithms(True)``;
* TensorFlow's intra-op pool (n) and inter-op pool (1), and
  ``tf.config.experimental.enable_op_determinism()``;
* MXNet's CPU worker threads and its OpenMP threads (``MXNET_CPU_WORKER_NTHREADS``,
  ``MXNET_OMP_MAX_THREADS``), and ``MXNET_ENFORCE_DETERMINISM``;
* XLA's CPU threads (``XLA_FLAGS``), for JAX, which also compiles at optimisation level 0
  (quicker to compile the small programs JAX's tape compiles; see :func:`environment`; the
  JAX backend compiles operations on large arrays at level 2, where they run much faster).

Variables that only take effect when a framework starts are set in the environment of a
kernel before it starts (:func:`environment`); when ``MLBOOK_THREADS`` is set in a running
Python, mlbook sets them itself before it imports a framework (:func:`apply`).

Pinning makes runs repeatable; it cannot make two CPUs with different vector units round alike.
What keeps the backends (and machines) in agreement is that every section trains where a
perturbation of one float32 ulp moves its numbers by less than its stated tolerance
(``benchmarks/stability.py`` measures that, :data:`PERTURB_ENV` is its knob).
"""

from __future__ import annotations

import os
from typing import Any, Mapping

__all__ = ["BOOK_THREADS", "THREADS_ENV", "PERTURB_ENV", "threads", "environment", "apply",
           "perturb", "warn_unpinned", "parse_threads", "NUMBER_SETTINGS", "number_settings",
           "cpu_signature"]

#: Compute threads per kernel when the book is executed (``mlbook run``, ``mlbook build``, the
#: tests): one, so the numbers do not depend on how many cores a machine has or how many
#: kernels share them.
#:
#: >>> execution.BOOK_THREADS
#: 1
BOOK_THREADS = 1

#: Environment variable that pins every backend's thread pools (a positive integer).
#:
#: >>> execution.THREADS_ENV
#: 'MLBOOK_THREADS'
THREADS_ENV = "MLBOOK_THREADS"

#: Environment variable that nudges every initial weight and random float drawn by mlbook by
#: this many ulps of its dtype (up; a negative count moves down): the probe with which
#: ``benchmarks/stability.py`` measures how chaotic a section is.  The book's kernels never
#: get it (:func:`mlbook.book.run_section` removes it).
#:
#: >>> execution.PERTURB_ENV
#: 'MLBOOK_PERTURB_ULPS'
PERTURB_ENV = "MLBOOK_PERTURB_ULPS"

#: Variables read by a framework when it starts, each set to the thread count.
_THREAD_COUNT_VARIABLES = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "MXNET_CPU_WORKER_NTHREADS",
    "MXNET_OMP_MAX_THREADS")

#: XLA's thread flags (replaced in ``XLA_FLAGS``; its other flags are kept).
_XLA_THREAD_FLAGS = ("xla_cpu_multi_thread_eigen", "intra_op_parallelism_threads")
# JAX compiles each operation of the book on its own (mlbook's tape); LLVM's optimisations at
# XLA's default level cost more compile time than they save on such small programs (ResNet-18
# on JAX, cold: 84 s at the default level, 50 s at 0), and the heavy kernels (convolutions,
# matrix products) are library calls at any level.  The level changes how XLA's own loops
# round, as a thread count does; the sections' tolerances allow for that.
_XLA_OPT_FLAG = "xla_backend_optimization_level"


#: Environment variables, besides the thread pins, that change what a section computes: fused
#: optimiser kernels (``MLBOOK_FUSED``), exactly compiled steps (``MLBOOK_COMPILE``), TensorFlow's
#: oneDNN kernels (``TF_ENABLE_ONEDNN_OPTS``, which the TensorFlow backend sets to 0 unless told
#: otherwise).  With ``XLA_FLAGS`` (see :func:`number_settings`) they key the execution cache.
#:
#: >>> execution.NUMBER_SETTINGS
#: ('MLBOOK_FUSED', 'MLBOOK_COMPILE', 'TF_ENABLE_ONEDNN_OPTS')
NUMBER_SETTINGS = ("MLBOOK_FUSED", "MLBOOK_COMPILE", "TF_ENABLE_ONEDNN_OPTS")

#: The value each of :data:`NUMBER_SETTINGS` has in effect when unset (the TensorFlow backend
#: sets oneDNN off; the others mean "the library's default" unset, as they do empty).
_SETTING_DEFAULTS = {"TF_ENABLE_ONEDNN_OPTS": "0"}

#: The instruction-set flags of ``/proc/cpuinfo`` that decide which vector kernels run (the
#: other flags, such as ``hypervisor`` or mitigations, do not change a result).
_ISA_FLAGS = ("sse", "ssse", "avx", "fma", "f16c", "amx", "bmi", "adx", "vnni", "vaes",
              "vpclmul", "gfni", "popcnt", "movbe", "lzcnt", "abm", "xop", "fma4")


def number_settings(n: int = BOOK_THREADS,
                    base: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """The settings a kernel started from ``base`` (default: this process's environment) with
    ``n`` threads computes with, beyond the code and the versions: each of
    :data:`NUMBER_SETTINGS` as set (None when unset, the library's default), and the
    ``XLA_FLAGS`` the kernel gets (``base``'s flags with the thread and optimisation flags
    :func:`environment` adds).

    >>> settings = execution.number_settings(1, base={})       # an empty environment
    >>> settings["MLBOOK_FUSED"], settings["TF_ENABLE_ONEDNN_OPTS"]
    (None, '0')
    >>> for flag in settings["XLA_FLAGS"].split():
    ...     print(flag)
    --xla_backend_optimization_level=0
    --xla_cpu_multi_thread_eigen=false
    intra_op_parallelism_threads=1
    """
    base = os.environ if base is None else base
    settings: dict[str, str | None] = {
        name: (base.get(name) or "").strip() or _SETTING_DEFAULTS.get(name)
        for name in NUMBER_SETTINGS}
    settings["XLA_FLAGS"] = environment(n, base)["XLA_FLAGS"]
    return settings


def cpu_signature() -> str:
    """The processor, as far as its float32 results go: its model name and instruction-set
    flags (``/proc/cpuinfo``; the machine type elsewhere).  Two machines of the same kind can
    have different processors, and vectorised kernels then round differently.

    Here on a made-up ``/proc/cpuinfo`` (this machine's gives its own):

    >>> from unittest import mock
    >>> cpuinfo = "model name\\t: Example CPU 9000\\nflags\\t\\t: fpu sse2 avx2 fma\\n\\nprocessor : 1\\n"
    >>> with mock.patch("builtins.open", mock.mock_open(read_data=cpuinfo)):
    ...     execution.cpu_signature()                # the model, and a hash of the vector flags
    'Example CPU 9000 [3b7354380ef8]'
    """
    import hashlib
    import platform
    try:
        text = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:
        return platform.machine() or "unknown"
    first = text.split("\n\n")[0]
    fields = dict(line.split(":", 1) for line in first.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    model = fields.get("model name") or fields.get("CPU part") or platform.machine()
    if "flags" in fields:                           # x86: the vector instruction sets only
        flags = " ".join(sorted(f for f in fields["flags"].split() if f.startswith(_ISA_FLAGS)))
    else:                                           # Arm: every feature is one
        flags = " ".join(sorted(fields.get("Features", "").split()))
    return f"{model} [{hashlib.sha256(flags.encode()).hexdigest()[:12]}]"


def parse_threads(text: str) -> int:
    """``text`` as a thread count; ``ValueError`` unless it is a positive whole number (the one
    check behind ``MLBOOK_THREADS`` and the command line's ``--threads``).

    >>> execution.parse_threads(" 4 ")
    4
    >>> execution.parse_threads("0")
    Traceback (most recent call last):
    ValueError: '0' is not a positive whole number of threads
    """
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{text!r} is not a positive whole number of threads")
    return number


def threads() -> int | None:
    """The thread count ``MLBOOK_THREADS`` pins the pools to, or None when it is unset (each
    framework then uses its own defaults, usually one thread per core).

    Raises ``ValueError`` when the variable is not a positive integer.

    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {execution.THREADS_ENV: "2"}):
    ...     execution.threads()
    2
    >>> with mock.patch.dict(os.environ, {execution.THREADS_ENV: ""}):
    ...     print(execution.threads())                  # unset (or empty): not pinned
    None
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return None
    try:
        return parse_threads(value)
    except ValueError:
        raise ValueError(f"{THREADS_ENV}={value!r}: expected a positive whole number of "
                         f"threads, e.g. {THREADS_ENV}={BOOK_THREADS} (the book's setting), or "
                         f"unset it") from None


def environment(n: int = BOOK_THREADS, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment variables that pin a new process's pools to ``n`` threads and switch on
    deterministic kernels (merge them into the environment of a kernel before it starts).

    ``XLA_FLAGS`` keeps the flags ``base`` (default: this process's environment) has, with the
    thread flags added, and XLA's backend optimisation level 0 unless ``base`` sets a level.

    >>> env = execution.environment(2, base={"XLA_FLAGS": "--xla_dump_to=dump"})
    >>> env["OMP_NUM_THREADS"], env["TF_NUM_INTEROP_THREADS"], env["MLBOOK_THREADS"]
    ('2', '1', '2')
    >>> for flag in env["XLA_FLAGS"].split():          # base's flags kept, the pins added
    ...     print(flag)
    --xla_dump_to=dump
    --xla_backend_optimization_level=0
    --xla_cpu_multi_thread_eigen=true
    intra_op_parallelism_threads=2
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"threads must be a positive integer, got {n!r}")
    env = {variable: str(n) for variable in _THREAD_COUNT_VARIABLES}
    env.update({
        THREADS_ENV: str(n),
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_DETERMINISTIC_OPS": "1",
        "MXNET_ENFORCE_DETERMINISM": "1",
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",          # deterministic cuBLAS, where a GPU is used
    })
    base = os.environ if base is None else base
    kept = [flag for flag in base.get("XLA_FLAGS", "").split()
            if not flag.lstrip("-").startswith(_XLA_THREAD_FLAGS)]
    if not any(flag.lstrip("-").startswith(_XLA_OPT_FLAG) for flag in kept):
        kept.append(f"--{_XLA_OPT_FLAG}=0")
    env["XLA_FLAGS"] = " ".join(kept + [
        f"--xla_cpu_multi_thread_eigen={'true' if n > 1 else 'false'}",
        f"intra_op_parallelism_threads={n}"])
    return env


def compilation_cache(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Variables that give JAX kernels a persistent compilation cache shared by every section
    (``$XDG_CACHE_HOME/mlbook/jax``, or the folder ``JAX_COMPILATION_CACHE_DIR`` in ``base``
    names).  JAX compiles each operation once per shape; most of a small section's time on JAX
    is compilation, and sections, the tests and the website build compile the same operations.
    A cached executable is the one a fresh compilation gives, so numbers do not change."""
    base = os.environ if base is None else base
    folder = base.get("JAX_COMPILATION_CACHE_DIR") or os.path.join(
        base.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "mlbook", "jax")
    return {"JAX_COMPILATION_CACHE_DIR": folder,
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}


def apply() -> int | None:
    """Pin this process's pools when ``MLBOOK_THREADS`` is set (called by ``import mlbook``).

    Start-up variables are set for frameworks not imported yet, and BLAS/OpenMP libraries that
    are loaded already (numpy's) are limited through ``threadpoolctl``; each backend module
    applies its framework's own switches when it is imported (:func:`threads`).

    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {execution.THREADS_ENV: ""}):
    ...     print(execution.apply())                    # not set: nothing is pinned
    None
    """
    n = threads()
    if n is None:
        return None
    os.environ.update(environment(n))
    try:
        import threadpoolctl
    except ImportError:                  # scikit-learn brings it; without it only new pools obey
        return n
    threadpoolctl.threadpool_limits(n)
    return n


def warn_unpinned(backend: str, error: Exception) -> None:
    """Warn that ``backend``'s pools could not be pinned (its framework was started before
    mlbook loaded it), so its numbers may differ from the book's.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     execution.warn_unpinned("torch", RuntimeError("set_num_threads was called"))
    >>> caught[0].category.__name__, str(caught[0].message)[:61]
    ('RuntimeWarning', 'MLBOOK_THREADS is set but the torch thread pools were started')
    """
    import warnings
    warnings.warn(f"{THREADS_ENV} is set but the {backend} thread pools were started before "
                  f"mlbook loaded its {backend} backend ({error}); its numbers may differ from "
                  f"the book's: import mlbook and pick the backend before using the framework",
                  RuntimeWarning, stacklevel=3)


def perturb(values: Any) -> Any:
    """``values`` (a float numpy array) moved by ``MLBOOK_PERTURB_ULPS`` ulps of its dtype (up,
    or down for a negative count); unchanged when the variable is unset or 0, and for integer
    arrays.

    >>> import os
    >>> from unittest import mock
    >>> values = np.array([1.0, 0.5], dtype=np.float32)
    >>> with mock.patch.dict(os.environ, {execution.PERTURB_ENV: "1"}):
    ...     execution.perturb(values).tolist()           # one float32 ulp up
    [1.0000001192092896, 0.5000000596046448]
    >>> with mock.patch.dict(os.environ, {execution.PERTURB_ENV: "-1"}):
    ...     execution.perturb(values).tolist()           # one down (below 1, ulps are finer)
    [0.9999999403953552, 0.4999999701976776]
    """
    import numpy as np
    ulps = os.environ.get(PERTURB_ENV, "").strip()
    if not ulps or ulps == "0" or not np.issubdtype(np.asarray(values).dtype, np.floating):
        return values
    try:
        count = int(ulps)
    except ValueError:
        raise ValueError(f"{PERTURB_ENV}={ulps!r}: expected a whole number of ulps") from None
    values = np.array(values)
    for _ in range(abs(count)):
        values = np.nextafter(values, np.inf if count > 0 else -np.inf).astype(values.dtype)
    return values
