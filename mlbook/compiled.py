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

* the first call is eager (lazy layers create their parameters, and it shows whether the
  network draws random numbers);
* a network that draws random numbers (dropout) is never compiled: a graph would reuse the
  draws of its trace.  A later trace that draws (a new input shape) gives the right result for
  that call, and the function runs eagerly from then on;
* a function that cannot be traced (it reads a value with ``float()``, say) runs eagerly;
* the module's buffers (batch normalization's running statistics, which the forward pass
  replaces by new tensors) are inputs and outputs of the graph, so they are updated as eagerly;
  any other attribute a traced forward pass sets (attention weights kept for a plot) is put
  back as it was, so a module never holds a graph tensor (after a compiled step such an
  attribute keeps the value of the last eager call).

``MLBOOK_COMPILE=0`` switches it off (to time or debug the eager path)."""

from __future__ import annotations

import os
from typing import Any, Callable

from . import config
from .ops.parameters import compile_function, compiles_exactly

__all__ = ["exact_compile", "ExactlyCompiled", "compile_from_env", "COMPILE_ENV"]

COMPILE_ENV = "MLBOOK_COMPILE"


def compile_from_env() -> bool:
    """Whether ``MLBOOK_COMPILE`` allows exact compilation (unset or ``1``: yes; ``0``: no)."""
    value = os.environ.get(COMPILE_ENV, "1").strip()
    if value not in ("0", "1"):
        raise ValueError(f"{COMPILE_ENV}={value!r}: use 1 (compile where exact) or 0 (eager)")
    return value == "1"


class ExactlyCompiled:
    """``fn`` run compiled where that computes exactly what eager execution computes; see the
    module docstring.  ``module`` is the network whose buffers ``fn`` may update.
    :attr:`compiled` tells whether the last call ran compiled."""

    def __init__(self, fn: Callable[..., Any], module: Any = None) -> None:
        self.fn, self.module = fn, module
        self.enabled = compile_from_env() and compiles_exactly()
        self.compiled = False
        self._calls = 0
        self._graph: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        self.compiled = False
        if not self.enabled:
            return self.fn(*args)
        self._calls += 1
        rng = config.generator().bit_generator
        before = rng.state
        if self._calls == 1:
            out = self.fn(*args)
            self.enabled = rng.state == before
            return out
        if self._graph is None:
            self._graph = compile_function(self._traced)
        buffers = self._buffers()
        try:
            out, new_buffers = self._graph(buffers, *args)
        except Exception:                  # not traceable: the eager call shows the real error
            rng.state = before
            self._set_buffers(buffers)
            self.enabled = False
            return self.fn(*args)
        self.enabled = rng.state == before   # a trace drew numbers: right now, not again
        self._set_buffers(new_buffers)
        self.compiled = True
        return out

    def _traced(self, buffers: dict[str, Any], *args: Any) -> tuple[Any, dict[str, Any]]:
        # what the forward pass leaves on the modules while traced (attention weights kept
        # for plots, say) are graph tensors with no value: every module gets its attributes
        # back as they were, and the buffers go out as the graph's outputs
        saved = ([(m, dict(vars(m))) for m in self.module.modules()]
                 if self.module is not None else [])
        self._set_buffers(buffers)
        try:
            return self.fn(*args), self._buffers()
        finally:
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
    called as written elsewhere.  ``module``: the network, if ``fn`` updates its buffers."""
    return ExactlyCompiled(fn, module)
