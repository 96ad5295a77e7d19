"""Gradients on every backend: functional ``grad``/``value_and_grad`` and a ``record()`` tape.

Functional style (as JAX and HIPS autograd)::

    df = mlbook.grad(f)                 # f(x) -> scalar
    loss, grads = mlbook.value_and_grad(loss_fn)(params)   # params: tensor, list or dict

Tape style, for the autograd chapter (as MXNet's ``record``, TensorFlow's ``GradientTape``)::

    with mlbook.record() as tape:
        x = tape.watch(x)               # mark x; use the returned tensor from here on
        y = 2 * mlbook.dot(x, x)
    tape.gradient(y, x)                 # 4 * x

Each backend maps these to its native machinery: ``attach_grad``/``autograd.record``/``backward``
(MXNet), ``requires_grad``/``torch.autograd.grad`` (PyTorch), ``GradientTape`` (TensorFlow) and
HIPS autograd's tracing (numpy).  Python control flow inside the function is fine everywhere.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Sequence

from .ops import autodiff as _autodiff
from . import config as _config
from .backends import common

__all__ = ["grad", "value_and_grad", "record", "Tape", "stop_gradient", "is_training",
           "train_mode", "predict_mode"]

is_training = _config.is_training
train_mode = _config.train_mode
predict_mode = _config.predict_mode


def stop_gradient(x: Any) -> Any:
    """``x`` cut off from gradient computation (PyTorch's ``detach``): gradients do not flow
    through the result.

    >>> f = lambda x: mb.sum(x * mb.stop_gradient(x))   # the second factor is a constant
    >>> mb.show(mb.grad(f)(mb.array([1.0, 2.0])))        # x, not 2 * x
    tensor([1., 2.], shape=(2,), dtype=float32)
    """
    return _autodiff.stop_gradient(x)


def _argnums(argnums: int | Sequence[int], nargs: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for n in nums:
        if not -nargs <= n < nargs:
            raise ValueError(f"argnums {n} is out of range for a call with {nargs} arguments")
    return tuple(n % nargs for n in nums)


def value_and_grad(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
                   has_aux: bool = False) -> Callable[..., Any]:
    """A function returning ``(fun(*args), gradient)`` (``((value, aux), gradient)`` with
    ``has_aux``), the gradient of the scalar output with respect to argument ``argnums``.

    The differentiated argument may be a tensor or a (nested) list, tuple or dict of tensors;
    the gradient has the same structure.  With a tuple ``argnums`` the gradient is a tuple.

    >>> params = {"w": mb.array([1.0, 2.0]), "b": mb.array(0.5)}
    >>> loss, grads = mb.value_and_grad(lambda p: mb.sum(p["w"] ** 2) + p["b"])(params)
    >>> round(mb.item(loss), 4)
    5.5
    >>> mb.show(grads)                      # the structure of params
    {'w': tensor([2., 4.], shape=(2,), dtype=float32),
     'b': tensor(1., shape=(), dtype=float32)}
    >>> f = lambda x: (mb.sum(3 * x), mb.size(x))      # has_aux: (value, anything else)
    >>> (loss, n), g = mb.value_and_grad(f, has_aux=True)(mb.ones(2))
    >>> round(mb.item(loss), 4), n, mb.tolist(g)
    (6.0, 2, [3.0, 3.0])
    """

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        leaves, structures = [], []
        for n in nums:
            flat, structure = common.flatten_tree(args[n])
            structures.append((n, len(leaves), len(flat), structure))
            leaves.extend(flat)

        def flat_fun(flat_leaves: list[Any]) -> Any:
            call = list(args)
            for n, start, count, structure in structures:
                call[n] = common.unflatten_tree(flat_leaves[start:start + count], structure)
            return fun(*call, **kwargs)

        value, aux, grads = _autodiff.value_and_grad_flat(flat_fun, leaves, has_aux)
        trees = tuple(common.unflatten_tree(grads[start:start + count], structure)
                      for _, start, count, structure in structures)
        g = trees[0] if isinstance(argnums, int) else trees
        return ((value, aux), g) if has_aux else (value, g)

    wrapped.__name__ = f"value_and_grad({getattr(fun, '__name__', 'f')})"
    wrapped.__doc__ = fun.__doc__
    return wrapped


def grad(fun: Callable[..., Any], argnums: int | Sequence[int] = 0,
         has_aux: bool = False) -> Callable[..., Any]:
    """The gradient function of ``fun``: ``grad(f)(x)`` is :math:`\\nabla f(x)`.

    ``fun`` must return a scalar.  See :func:`value_and_grad` for ``argnums`` and ``has_aux``
    (with ``has_aux`` it returns ``(gradient, aux)``).

    >>> mb.show(mb.grad(lambda x: mb.sum(x ** 2))(mb.array([1.0, 2.0, 3.0])))    # 2 * x
    tensor([2., 4., 6.], shape=(3,), dtype=float32)
    >>> g = mb.grad(lambda w, x: mb.sum(w * x), argnums=(0, 1))
    >>> mb.show(g(mb.array([1.0, 2.0]), mb.array([3.0, 4.0])))     # a tuple: (x, w)
    (tensor([3., 4.], shape=(2,), dtype=float32),
     tensor([1., 2.], shape=(2,), dtype=float32))
    """
    vg = value_and_grad(fun, argnums, has_aux)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        out, g = vg(*args, **kwargs)
        return (g, out[1]) if has_aux else g

    wrapped.__name__ = f"grad({getattr(fun, '__name__', 'f')})"
    wrapped.__doc__ = fun.__doc__
    return wrapped


class Tape:
    """A gradient tape: created by :func:`record`; ``watch`` marks inputs, ``gradient`` reads
    the gradients after the computation.

    As TensorFlow's ``GradientTape``, a tape answers one ``gradient`` call and then frees its
    graph (PyTorch's and MXNet's ``retain_graph=False``); ``record(persistent=True)`` keeps it
    for several calls, e.g. the gradients of two losses computed once.

    >>> x = mb.array([1.0, 2.0, 3.0])
    >>> with mb.record() as tape:
    ...     x = tape.watch(x)
    ...     y = 2 * mb.dot(x, x)
    >>> mb.show(tape.gradient(y, x))        # 4 * x
    tensor([ 4.,  8., 12.], shape=(3,), dtype=float32)
    >>> tape.gradient(y, x)
    Traceback (most recent call last):
    RuntimeError: this tape has already computed a gradient and freed its graph; record with mb.record(persistent=True) to call gradient several times on one tape
    """

    def __init__(self, persistent: bool = False) -> None:
        self.persistent = bool(persistent)
        self._impl = _autodiff.new_tape(self.persistent)
        self._used = False

    def watch(self, x: Any) -> Any:
        """Mark ``x`` for differentiation and return the tensor to compute with.

        Use the returned tensor (``x = tape.watch(x)``): on numpy it is an autograd box that
        traces the computation, on PyTorch a new leaf with ``requires_grad``; on MXNet and
        TensorFlow it is ``x`` itself (``attach_grad()`` / ``tape.watch``).
        """
        return self._impl.watch(x)

    def gradient(self, target: Any, sources: Any, output_gradient: Any = None) -> Any:
        r"""Gradient of ``target`` with respect to ``sources`` (a tensor, or a list, tuple or
        dict of watched tensors).

        A non-scalar ``target`` :math:`\mathbf{y}` is summed first, as MXNet does: the result
        is :math:`\partial (\sum_i y_i) / \partial \mathbf{x}`.  ``output_gradient``
        :math:`\mathbf{v}` (a tensor of the target's shape; MXNet's *head gradient*,
        PyTorch's ``gradient=``, TensorFlow's ``output_gradients``) weights the elements
        instead: the result is the vector-Jacobian product
        :math:`\mathbf{v}^\top \partial \mathbf{y} / \partial \mathbf{x}
        = \partial (\mathbf{v}^\top \mathbf{y}) / \partial \mathbf{x}`."""
        if self._used and not self.persistent:
            raise RuntimeError("this tape has already computed a gradient and freed its graph; "
                               "record with mb.record(persistent=True) to call gradient "
                               "several times on one tape")
        self._used = True
        head = None
        if output_gradient is not None:
            head = _autodiff.head_like(output_gradient, target)
        flat, structure = common.flatten_tree(sources)
        return common.unflatten_tree(self._impl.gradient(target, flat, head), structure)


@contextlib.contextmanager
def record(train_mode: bool = True, persistent: bool = False) -> Iterator[Tape]:
    """Record computations for :meth:`Tape.gradient`; turns training mode on inside (as
    ``mxnet.autograd.record`` does) unless ``train_mode=False``.  With ``persistent=True`` the
    tape answers several ``gradient`` calls (TensorFlow's ``GradientTape(persistent=True)``),
    otherwise one.

    >>> x = mb.array([1.0, 2.0])
    >>> with mb.record(persistent=True) as tape:
    ...     x = tape.watch(x)
    ...     y, z = mb.sum(x ** 2), mb.sum(x ** 3)
    >>> mb.show(tape.gradient(y, x))        # 2 * x
    tensor([2., 4.], shape=(2,), dtype=float32)
    >>> mb.show(tape.gradient(z, x))        # 3 * x ** 2, from the same tape
    tensor([ 3., 12.], shape=(2,), dtype=float32)
    """
    tape = Tape(persistent)
    with _config.mode(train_mode), tape._impl:
        yield tape
