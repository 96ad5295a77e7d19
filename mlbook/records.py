"""One record per backend: every fact about a backend that is not its code, in one place.

Nothing here imports a framework.  Every list of backends derives from :data:`RECORDS`: the
accepted names in :mod:`mlbook.config`, the registry's install hints and versions
(:mod:`mlbook.backends`), :func:`mlbook.backends.backend_of`, the website's tab labels, ``mlbook
info``, the benchmarks and the tests' parametrisation.  Adding a backend is its module
``mlbook/backends/<name>.py``, its record below and its native benchmark code (see "Adding a
backend" in the README).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BackendRecord:
    """What mlbook knows about a backend without importing it."""

    #: Canonical name: ``MLBOOK_BACKEND=<name>`` and the module ``mlbook/backends/<name>.py``.
    name: str
    #: Other accepted spellings, lower case.
    aliases: tuple[str, ...]
    #: How the website's tabs and tables name it.
    label: str
    #: The module whose presence means the framework is installed.
    import_name: str
    #: pip distributions that can provide the framework, the preferred one first (the one
    #: ``mlbook info`` names and the execution cache keys on).
    distributions: tuple[str, ...]
    #: The mlbook extra that installs it (``pip install "mlbook[<extra>]"``); "" if mlbook
    #: itself depends on it.
    extra: str
    #: Modules (or their parents) of the framework's tensor types: how :func:`backend_of`
    #: recognises a tensor without importing anything.
    tensor_modules: tuple[str, ...]
    #: Other distributions whose version can change what the backend computes (the execution
    #: cache keys on them too): JAX's compiler lives in jaxlib, TensorFlow's layers in keras.
    runtime_distributions: tuple[str, ...] = ()

    @property
    def install_hint(self) -> str:
        """The command that installs this backend."""
        return (f'pip install "mlbook[{self.extra}]"' if self.extra
                else f"pip install mlbook (it depends on {self.distributions[0]})")


#: Every backend, in the order the book shows them.
RECORDS: tuple[BackendRecord, ...] = (
    BackendRecord("numpy", ("np",), "numpy", "autograd", ("autograd",), "",
                  ("numpy", "autograd")),
    BackendRecord("mxnet", ("mx",), "MXNet", "mxnet", ("mxnet", "mxnet-cu112", "mxnet-mkl"),
                  "mxnet", ("mxnet",)),
    BackendRecord("torch", ("pytorch",), "PyTorch", "torch", ("torch",), "torch", ("torch",)),
    BackendRecord("tensorflow", ("tf",), "TensorFlow", "tensorflow",
                  ("tensorflow-cpu", "tensorflow", "tensorflow-intel"), "tensorflow",
                  ("tensorflow", "keras"), ("keras",)),
    BackendRecord("jax", (), "JAX", "jax", ("jax",), "jax",
                  ("jax", "jaxlib", "mlbook.backends.jax"), ("jaxlib",)),
)

#: Records by canonical name.
BY_NAME: dict[str, BackendRecord] = {r.name: r for r in RECORDS}
