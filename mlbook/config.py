"""Global settings: which backend is active, the random generator, the default dtype, train mode.

The backend is chosen once, from the environment variable ``MLBOOK_BACKEND`` (read when mlbook
is imported), and can be changed later with :func:`set_backend`.  Names are case-insensitive and
a few aliases are accepted (all listed in :mod:`mlbook.records`)::

    numpy (np)   mxnet (mx)   torch (pytorch)   tensorflow (tf)   jax

The framework itself is imported lazily, the first time a tensor function needs it, so that
``import mlbook`` with the numpy backend never imports torch, TensorFlow or MXNet.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

import numpy as _np

from .records import RECORDS

#: The canonical backend names, in the order the book shows them.
#:
#: >>> mb.BACKENDS
#: ('numpy', 'mxnet', 'torch', 'tensorflow', 'jax')
#: >>> mb.backend() in mb.BACKENDS
#: True
BACKENDS: tuple[str, ...] = tuple(r.name for r in RECORDS)

#: Accepted spellings, lower case, mapped to canonical names.
ALIASES: dict[str, str] = {alias: r.name for r in RECORDS for alias in (r.name, *r.aliases)}

#: Environment variable that selects the backend.
ENV_VAR = "MLBOOK_BACKEND"

#: The default floating-point type of every backend (numpy's own default is float64).
DEFAULT_FLOAT = "float32"
#: The default integer type (Python ints become int64 tensors, as in numpy and PyTorch).
DEFAULT_INT = "int64"


def canonical_name(name: str) -> str:
    """Return the canonical backend name for ``name`` (case-insensitive, aliases allowed).

    Raises ``ValueError`` listing the valid names when ``name`` is not one of them.
    """
    if not isinstance(name, str):
        raise ValueError(f"backend name must be a string, got {name!r}; valid names: "
                         + _valid_names())
    key = name.strip().lower()
    if key not in ALIASES:
        raise ValueError(f"unknown mlbook backend {name!r}; valid names: {_valid_names()}")
    return ALIASES[key]


def _valid_names() -> str:
    aliases = {b: [a for a, c in ALIASES.items() if c == b and a != b] for b in BACKENDS}
    return ", ".join(f"{b} ({', '.join(aliases[b])})" if aliases[b] else b for b in BACKENDS)


def backend_from_env() -> str:
    """The backend named by ``MLBOOK_BACKEND``, or ``"numpy"`` when it is unset or empty."""
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        return "numpy"
    try:
        return canonical_name(value)
    except ValueError as err:
        raise ValueError(f"{ENV_VAR}={value!r}: {err}") from None


# ----------------------------------------------------------------------------- random numbers
_rng: _np.random.Generator = _np.random.default_rng(0)


def seed(n: int) -> None:
    """Seed mlbook's random generator.

    Every random tensor (``normal``, ``uniform``, ``randint``, ``permutation``, initial weights)
    is drawn from this one numpy ``Generator`` and then converted, so the same seed gives the
    same numbers on every backend.

    >>> mb.seed(0)
    >>> mb.show(mb.normal(0, 1, (3,)))
    tensor([ 0.12573022, -0.13210486,  0.64042264], shape=(3,), dtype=float32)
    >>> mb.seed(0)                          # the same seed: the same numbers again
    >>> mb.show(mb.normal(0, 1, (3,)))
    tensor([ 0.12573022, -0.13210486,  0.64042264], shape=(3,), dtype=float32)
    """
    global _rng
    _rng = _np.random.default_rng(n)


def generator() -> _np.random.Generator:
    """The numpy ``Generator`` behind mlbook's random functions."""
    return _rng


# ----------------------------------------------------------------------------- train / predict mode
_training = False


def is_training() -> bool:
    """Whether layers should behave as in training (dropout active, batch statistics used).

    >>> mb.is_training()                    # prediction unless something turns training on
    False
    >>> with mb.record():
    ...     print(mb.is_training())
    True
    """
    return _training


@contextlib.contextmanager
def mode(flag: bool) -> Iterator[None]:
    """Context manager: inside it :func:`is_training` is ``flag``."""
    global _training
    previous, _training = _training, flag
    try:
        yield
    finally:
        _training = previous


def train_mode() -> contextlib.AbstractContextManager[None]:
    """Context manager: inside it :func:`is_training` is ``True`` (``record()`` enters it too).

    >>> mb.seed(0)
    >>> dropout = nn.Dropout(0.5)
    >>> with mb.train_mode():
    ...     print(mb.is_training())
    ...     mb.show(dropout(mb.ones(6)))    # zeros half, doubles the rest
    True
    tensor([2., 0., 0., 0., 2., 2.], shape=(6,), dtype=float32)
    >>> mb.is_training()                    # restored on leaving
    False
    """
    return mode(True)


def predict_mode() -> contextlib.AbstractContextManager[None]:
    """Context manager: inside it :func:`is_training` is ``False``.

    >>> with mb.train_mode():
    ...     with mb.predict_mode():         # e.g. to evaluate in the middle of training
    ...         print(mb.is_training(), mb.tolist(nn.Dropout(0.5)(mb.ones(3))))
    ...     print(mb.is_training())
    False [1.0, 1.0, 1.0]
    True
    """
    return mode(False)
