"""Training loops and helpers in the book's vocabulary: ``Accumulator``, ``Timer``, ``accuracy``,
``evaluate_accuracy``, ``Trainer`` and ``fit``.

A training step is functional on every backend::

    loss, grads = mb.value_and_grad(lambda p: loss_fn(net.functional_call(p, X), y))(
        net.parameter_dict())
    optimizer.step(grads)

``Trainer.step`` does exactly that, in training mode (dropout on, batch statistics), with optional
gradient clipping.  ``fit`` runs epochs, shows a tqdm progress bar in a terminal or a live
``Animator`` plot in a notebook, and returns the history.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

import numpy as np

from . import config, ops
from .autograd import value_and_grad
from .nn.module import Module
from .optim import Optimizer, clip_grad_norm

__all__ = ["Timer", "Accumulator", "accuracy", "evaluate_accuracy", "evaluate_loss", "Trainer",
           "fit", "in_notebook"]


class Timer:
    """Records running times: ``start()``, ``stop()`` (returns the last interval), ``avg()``,
    ``sum()``, ``cumsum()``."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        self.tik = time.perf_counter()

    def stop(self) -> float:
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        return sum(self.times) / len(self.times) if self.times else 0.0

    def sum(self) -> float:
        return sum(self.times)

    def cumsum(self) -> list[float]:
        return np.cumsum(self.times).tolist()


class Accumulator:
    """Sums over ``n`` variables: ``metric.add(loss_sum, correct, count)``; ``metric[i]``."""

    def __init__(self, n: int) -> None:
        self.data = [0.0] * n

    def add(self, *args: float) -> None:
        if len(args) != len(self.data):
            raise ValueError(f"Accumulator of {len(self.data)} values got {len(args)}")
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, i: int) -> float:
        return self.data[i]


def accuracy(y_hat: Any, y: Any) -> float:
    """The number of correct predictions: ``y_hat`` holds class scores (n, q) or predicted
    labels (n,); ``y`` the true labels."""
    if len(ops.shape(y_hat)) > 1 and ops.shape(y_hat)[1] > 1:
        y_hat = ops.argmax(y_hat, axis=1)
    y_hat = ops.astype(ops.reshape(y_hat, (-1,)), ops.dtype(y))
    return float(ops.item(ops.sum(ops.equal(y_hat, ops.reshape(y, (-1,))))))


def evaluate_accuracy(net: Callable[[Any], Any], data_iter: Iterable[Any]) -> float:
    """Accuracy of ``net`` on a data set, computed in prediction mode."""
    metric = Accumulator(2)
    with config.predict_mode():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), ops.size(y))
    return metric[0] / metric[1]


def evaluate_loss(net: Callable[[Any], Any], data_iter: Iterable[Any],
                  loss: Callable[[Any, Any], Any]) -> float:
    """Mean loss of ``net`` on a data set (``loss`` must average over its batch)."""
    metric = Accumulator(2)
    with config.predict_mode():
        for X, y in data_iter:
            n = ops.shape(y)[0]
            metric.add(float(ops.item(loss(net(X), y))) * n, n)
    return metric[0] / metric[1]


class Trainer:
    """Pairs a network, a loss and an optimiser; ``step(X, y)`` does one update and returns the
    minibatch loss (a Python float)."""

    def __init__(self, net: Module, loss: Callable[[Any, Any], Any], optimizer: Optimizer,
                 clip: float | None = None) -> None:
        self.net, self.loss, self.optimizer, self.clip = net, loss, optimizer, clip
        self._grad = value_and_grad(self._objective, has_aux=True)
        self._params: dict[str, Any] | None = None

    def _objective(self, params: dict[str, Any], X: Any, y: Any) -> tuple[Any, Any]:
        y_hat = self.net.functional_call(params, X)
        return self.loss(y_hat, y), y_hat

    def step(self, X: Any, y: Any) -> tuple[Any, Any]:
        """One optimisation step; returns ``(loss, predictions)`` as tensors (reading the loss
        with ``float()`` waits for the computation, which asynchronous backends avoid)."""
        if self._params is None:
            if not self.net.is_initialized():         # lazy layers: one forward creates them
                with config.predict_mode():
                    self.net(X)
            self._params = self.net.parameter_dict()  # updated in place from now on
        with config.train_mode():
            (loss, y_hat), grads = self._grad(self._params, X, y)
        if self.clip is not None:
            grads, _ = clip_grad_norm(grads, self.clip)
        self.optimizer.step(grads)
        return loss, y_hat

    def fit(self, train_iter: Iterable[Any], num_epochs: int, test_iter: Iterable[Any] | None = None,
            classify: bool = True, progress: bool | None = None) -> dict[str, list[float]]:
        """Train for ``num_epochs``; returns the history: ``step_loss`` (every minibatch),
        ``train_loss`` and, when ``classify``, ``train_acc`` and ``test_acc`` per epoch."""
        history: dict[str, list[float]] = {"step_loss": [], "train_loss": []}
        if classify:
            history.update(train_acc=[], test_acc=[])
        animator = _progress(num_epochs, classify, test_iter is not None, progress)
        for epoch in range(num_epochs):
            metric = Accumulator(3)
            for X, y in train_iter:
                loss, y_hat = self.step(X, y)
                loss = float(ops.item(loss))
                n = ops.shape(y)[0]
                history["step_loss"].append(loss)
                metric.add(loss * n, accuracy(y_hat, y) if classify else 0.0, n)
            history["train_loss"].append(metric[0] / metric[2])
            if classify:
                history["train_acc"].append(metric[1] / metric[2])
                if test_iter is not None:
                    history["test_acc"].append(evaluate_accuracy(self.net, test_iter))
            animator.update(epoch + 1, history)
        animator.close()
        return history


def fit(net: Module, train_iter: Iterable[Any], loss: Callable[[Any, Any], Any],
        optimizer: Optimizer, num_epochs: int, test_iter: Iterable[Any] | None = None,
        classify: bool = True, clip: float | None = None,
        progress: bool | None = None) -> dict[str, list[float]]:
    """Train ``net`` (the book's ``train_ch3``/``train_ch6`` loop); see :meth:`Trainer.fit`."""
    return Trainer(net, loss, optimizer, clip).fit(train_iter, num_epochs, test_iter, classify,
                                                   progress)


def in_notebook() -> bool:
    """Whether we run inside a Jupyter kernel (where figures are shown instead of a bar)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class _Silent:
    def update(self, epoch: int, history: dict[str, list[float]]) -> None:
        pass

    def close(self) -> None:
        pass


class _Bar(_Silent):
    def __init__(self, num_epochs: int) -> None:
        from tqdm.auto import tqdm
        self.bar = tqdm(total=num_epochs, unit="epoch")

    def update(self, epoch: int, history: dict[str, list[float]]) -> None:
        self.bar.set_postfix({k: f"{v[-1]:.3f}" for k, v in history.items()
                              if v and k != "step_loss"})
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class _Plot(_Silent):
    def __init__(self, num_epochs: int, classify: bool, test: bool) -> None:
        from .plot import Animator
        self.keys = ["train_loss"] + (["train_acc"] + (["test_acc"] if test else [])
                                      if classify else [])
        self.animator = Animator(xlabel="epoch", xlim=[1, num_epochs], legend=self.keys)

    def update(self, epoch: int, history: dict[str, list[float]]) -> None:
        self.animator.add(epoch, [history[k][-1] for k in self.keys])

    def close(self) -> None:
        self.animator.show()


def _progress(num_epochs: int, classify: bool, test: bool, progress: bool | None) -> _Silent:
    if progress is False:
        return _Silent()
    if in_notebook():
        return _Plot(num_epochs, classify, test)
    return _Bar(num_epochs)
