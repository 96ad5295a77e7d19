"""Training steps compiled where compiling changes no number.

The book's training loops compute each minibatch's gradients with
:func:`~mlbook.autograd.value_and_grad`.  Run eagerly, every operation of the forward and the
backward pass costs a Python call and a framework dispatch, which on TensorFlow is most of the
time of a small network (a GRU language model: 2.2 s per pass eagerly, 0.56 s compiled).

:func:`exact_compile` wraps such a gradient function.  Where the backend compiles a graph of
*the very kernels it runs eagerly, in the same order* (TensorFlow's ``tf.function``, with its
graph optimiser Grappler switched off by the TensorFlow backend), the wrapped function runs
compiled, and its results equal the eager ones bit for bit, so the book's numbers do not
depend on it.  Everywhere else (numpy, MXNet, PyTorch; JAX, whose ``jit`` compiles with XLA,
which fuses operations and rounds differently) it calls the function as written.

Python in the function runs only while it is traced, so the wrapper keeps to the eager
function wherever a graph would compute something else:

* the first call, and the first with arguments of new shapes, is eager (lazy layers create
  their parameters, and it records the dropout masks the step draws);
* dropout masks (:func:`dropout_mask`) are inputs of the graph: before each compiled call they
  are drawn on the host from mlbook's generator, in the order the eager call drew them, so the
  compiled step multiplies by the masks the eager step would have drawn.  A function that draws
  any other random numbers is never compiled (a graph would repeat the draws of its trace);
* a function that cannot be traced (it reads a value with ``float()``, say) runs eagerly;
* the module's buffers (batch normalization's running statistics, which the forward pass
  replaces by new tensors) are inputs and outputs of the graph, so they are updated as eagerly;
  any other attribute a traced forward pass sets (attention weights kept for a plot) is put
  back as it was, so a module never holds a graph tensor (after a compiled step such an
  attribute keeps the value of the last eager call).

``MLBOOK_COMPILE=0`` switches it off (to time or debug the eager path)."""

from __future__ import annotations

import logging
import os
from typing import Any, Callable, Sequence

import numpy as np

from . import config, ops
from .ops.parameters import compile_function, compiles_exactly

__all__ = ["exact_compile", "ExactlyCompiled", "compile_from_env", "COMPILE_ENV", "dropout_mask"]

#: Environment variable that switches exact compilation off (``0``) to time or debug the eager
#: path (:func:`compile_from_env`).
#:
#: >>> compiled.COMPILE_ENV
#: 'MLBOOK_COMPILE'
COMPILE_ENV = "MLBOOK_COMPILE"
_log = logging.getLogger(__name__)
_OTHER_DRAWS = ("it draws random numbers other than dropout masks, which a graph would repeat "
                "at every call")


def compile_from_env() -> bool:
    """Whether ``MLBOOK_COMPILE`` allows exact compilation (unset or ``1``: yes; ``0``: no).

    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {compiled.COMPILE_ENV: "0"}):
    ...     compiled.compile_from_env()
    False
    >>> with mock.patch.dict(os.environ, {compiled.COMPILE_ENV: "yes"}):
    ...     compiled.compile_from_env()
    Traceback (most recent call last):
    ValueError: MLBOOK_COMPILE='yes': use 1 (compile where exact) or 0 (eager)
    """
    value = os.environ.get(COMPILE_ENV, "1").strip()
    if value not in ("0", "1"):
        raise ValueError(f"{COMPILE_ENV}={value!r}: use 1 (compile where exact) or 0 (eager)")
    return value == "1"


class _Draws:
    """Where dropout masks come from: drawn on the host now (eager), or, while a compiled
    step is traced, the graph's inputs that will hold the masks drawn on the host before each
    call.  ``plan`` collects the draws an eager call makes (module, shape, dtype)."""

    def __init__(self) -> None:
        self.plan: list[tuple[Any, tuple[int, ...], str]] | None = None
        self.inputs: list[Any] | None = None


_DRAWS = _Draws()


def _draw_mask(p: float, shape: tuple[int, ...], dtype: str) -> Any:
    keep = config.generator().random(shape) >= p
    return ops.from_numpy((keep / (1.0 - p)).astype(dtype))


def dropout_mask(module: Any, shape: Sequence[int], dtype: str) -> Any:
    """Inverted dropout's mask for an input of ``shape``: each element is 0 with probability
    ``module.p`` and :math:`1/(1-p)` otherwise, drawn from mlbook's seeded generator (so the
    same numbers on every backend).  While :class:`ExactlyCompiled` traces a step, the mask is
    an input of the graph, drawn on the host before every call in the order the eager step
    draws it: the compiled step multiplies by the very masks the eager one would.

    >>> mb.seed(0)
    >>> mb.show(compiled.dropout_mask(nn.Dropout(0.5), (2, 4), "float32"))   # 0 or 1 / (1 - p)
    tensor([[2., 0., 0., 0.],
            [2., 2., 2., 2.]], shape=(2, 4), dtype=float32)
    """
    shape = tuple(int(n) for n in shape)
    if _DRAWS.inputs is not None:
        if not _DRAWS.inputs:
            raise _PlanMismatch(f"a dropout mask of shape {shape} the eager call did not draw")
        mask = _DRAWS.inputs.pop(0)
        if tuple(ops.shape(mask)) != shape:
            raise _PlanMismatch(f"a dropout mask of shape {shape}, where the eager call drew "
                                f"{tuple(ops.shape(mask))}")
        return mask
    if _DRAWS.plan is not None:
        _DRAWS.plan.append((module, shape, dtype))
    return _draw_mask(module.p, shape, dtype)


class _PlanMismatch(RuntimeError):
    """The traced step asks for other dropout masks than the eager call drew."""


def _signature(value: Any) -> Any:
    """The shapes and dtypes of the tensors in nested arguments (what a new trace depends on)."""
    if isinstance(value, dict):
        return tuple((k, _signature(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_signature(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.shape, str(value.dtype)
    if ops.is_tensor(value):
        return tuple(ops.shape(value)), str(ops.dtype(value))
    if isinstance(value, float):         # passed as a float32 tensor: any value, one graph
        return float
    return repr(value) if isinstance(value, (int, str, bool, type(None))) else id(value)


def _shapes(value: Any) -> list[tuple[int, ...]]:
    """The shapes of the tensors in nested arguments, for a log message."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [shape for v in value for shape in _shapes(v)]
    return [tuple(ops.shape(value))] if ops.is_tensor(value) else []


class ExactlyCompiled:
    """``fn`` run compiled where that computes exactly what eager execution computes; see the
    module docstring.  ``module`` is the network whose buffers ``fn`` may update.
    :attr:`compiled` tells whether the last call ran compiled, :attr:`reason` why it runs
    eagerly from now on, where the backend compiles.

    >>> step = compiled.ExactlyCompiled(mb.value_and_grad(lambda w: mb.sum(w ** 2)))
    >>> loss, grad = step(mb.array([1.0, 2.0]))
    >>> mb.item(loss), mb.tolist(grad)                      # 1 + 4, and 2 * w
    (5.0, [2.0, 4.0])
    >>> step.compiled, step.reason          # the first call is eager on every backend
    (False, None)
    """

    def __init__(self, fn: Callable[..., Any], module: Any = None) -> None:
        self.fn, self.module = fn, module
        self.enabled = compile_from_env() and compiles_exactly()
        self.compiled = False
        #: why the function runs eagerly on a backend that compiles (None while it compiles)
        self.reason: str | None = None
        # the dropout masks the eager call with arguments of these shapes drew, in order
        self._plans: dict[Any, list[tuple[Any, tuple[int, ...], str]]] = {}
        self._graph: Callable[..., Any] | None = None

    def _mode(self) -> Any:
        """What, besides the arguments, decides what a traced step computes: the training
        mode, and each module's own mode and whether its dropout is off (p = 0)."""
        modules = () if self.module is None else tuple(
            (m.training, getattr(m, "p", None) == 0) for m in self.module.modules())
        return config.is_training(), modules

    def __call__(self, *args: Any) -> Any:
        self.compiled = False
        if not self.enabled or _DRAWS.plan is not None or _DRAWS.inputs is not None:
            return self.fn(*args)      # (inside another step's recording or trace: as written)
        rng = config.generator().bit_generator
        before = rng.state
        signature = (_signature(args), self._mode())
        plan = self._plans.get(signature)
        if plan is not None and not all(m.training and m.p != 0 for m, _, _ in plan):
            return self.fn(*args)      # a planned dropout is off now (eval(), p = 0): eagerly
        if plan is None:           # eager, recording the masks it draws: the first call, and
            if self._plans:             # the first with new shapes (lazy layers, last batch)
                _log.debug("%s: arguments of new shapes, %s: one eager call, then a new "
                           "trace", getattr(self.fn, "__qualname__", "the function"),
                           _shapes(args))
            _DRAWS.plan = plan = []
            try:
                out = self.fn(*args)
            finally:
                _DRAWS.plan = None
            if not self._only_masks(before, plan, rng.state):
                self._eager_from_now(_OTHER_DRAWS)
            else:
                self._plans[signature] = plan
            return out
        masks = [_draw_mask(module.p, shape, dtype) for module, shape, dtype in plan]
        drawn = rng.state
        if self._graph is None:
            self._graph = compile_function(self._traced)
        buffers = self._buffers()
        try:
            out, new_buffers = self._graph(buffers, masks, *args)
        except Exception as err:           # not traceable: the eager call shows the real error
            rng.state = before
            self._set_buffers(buffers)
            self._eager_from_now(f"it cannot be traced ({type(err).__name__}: "
                                 f"{str(err).splitlines()[0] if str(err) else ''})")
            return self.fn(*args)
        if rng.state != drawn:             # a trace drew numbers: right now, not again
            self._eager_from_now(_OTHER_DRAWS)
        self._set_buffers(new_buffers)
        self.compiled = True
        return out

    @staticmethod
    def _only_masks(before: dict[str, Any], plan: list[tuple[Any, tuple[int, ...], str]],
                    after: dict[str, Any]) -> bool:
        """Whether the draws of ``plan`` alone take the generator from ``before`` to
        ``after`` (no other random numbers were drawn)."""
        if not plan:
            return before == after
        replay = np.random.Generator(type(config.generator().bit_generator)())
        replay.bit_generator.state = before
        for module, shape, _ in plan:
            replay.random(shape)
        return replay.bit_generator.state == after

    def _eager_from_now(self, reason: str) -> None:
        """Run eagerly from now on, and say why once (``logging``, logger ``mlbook.compiled``,
        level INFO: the numbers are the eager ones, so a notebook shows nothing)."""
        self.enabled, self.reason = False, reason
        _log.info("%s runs eagerly: %s", getattr(self.fn, "__qualname__", "the function"),
                  reason)

    def _traced(self, buffers: dict[str, Any], masks: list[Any],
                *args: Any) -> tuple[Any, dict[str, Any]]:
        # what the forward pass leaves on the modules while traced (attention weights kept
        # for plots, say) are graph tensors with no value: every module gets its attributes
        # back as they were, and the buffers go out as the graph's outputs
        saved = ([(m, dict(vars(m))) for m in self.module.modules()]
                 if self.module is not None else [])
        self._set_buffers(buffers)
        _DRAWS.inputs = list(masks)
        try:
            out = self.fn(*args), self._buffers()
            if _DRAWS.inputs:
                raise _PlanMismatch(f"{len(_DRAWS.inputs)} dropout masks the eager call drew "
                                    "were not asked for")
            return out
        finally:
            _DRAWS.inputs = None
            for module, attributes in saved:
                vars(module).clear()
                vars(module).update(attributes)

    def _buffers(self) -> dict[str, Any]:
        if self.module is None:
            return {}
        return {name: value for name, value in self.module.named_buffers() if value is not None}

    def _set_buffers(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            self.module.replace_buffer(name, value)


def exact_compile(fn: Callable[..., Any], module: Any = None) -> ExactlyCompiled:
    """``fn`` (typically a ``value_and_grad`` function of a training step) compiled where the
    backend's compiled graph computes bit for bit what eager execution computes (TensorFlow),
    called as written elsewhere.  ``module``: the network, if ``fn`` updates its buffers.

    >>> import mlbook as mb
    >>> from mlbook import compiled
    >>> grad = compiled.exact_compile(mb.value_and_grad(lambda w, x: mb.sum(w * x) ** 2))
    >>> for _ in range(2):                  # the second call runs compiled on TensorFlow
    ...     loss, g = grad(mb.array([1.0, 2.0]), mb.array([3.0, 4.0]))
    >>> mb.item(loss), mb.tolist(g)         # 11 ** 2, and 2 * 11 * x
    (121.0, [66.0, 88.0])
    """
    return ExactlyCompiled(fn, module)
