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

import collections
import math
import time
import warnings
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from . import config, losses, ops
from .autograd import grad, stop_gradient, value_and_grad
from .nn.module import Module
from .compiled import exact_compile
from .devices import Device, check_device, cpu, num_gpus, to_device
from .ops.parameters import can_compile, compile_function, value_of
from .optim import SGD, Adam, Optimizer, clip_grad_norm
from .plot import Animator, in_notebook

__all__ = ["Timer", "Accumulator", "accuracy", "evaluate_accuracy", "evaluate_loss", "Trainer",
           "fit", "predict_lm", "train_lm", "train_seq2seq", "predict_seq2seq", "bleu", "mean_bleu",
           "in_notebook", "train_2d", "trajectory_2d", "fit_digits", "usable_device"]


class Timer:
    """Records running times: ``start()``, ``stop()`` (returns the last interval), ``avg()``,
    ``sum()``, ``cumsum()``.

    >>> timer = train.Timer()                        # started on creation
    >>> seconds = timer.stop()                       # the time since start()
    >>> timer.start(); seconds = timer.stop()
    >>> len(timer.times), timer.avg() == timer.sum() / 2, len(timer.cumsum())
    (2, True, 2)
    """

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
    """Sums over ``n`` variables: ``metric.add(loss_sum, correct, count)``; ``metric[i]``.

    >>> metric = train.Accumulator(2)                # e.g. correct predictions, examples
    >>> metric.add(3, 4)
    >>> metric.add(mb.array(5), 6)                   # tensors are read as floats
    >>> metric[0] / metric[1]
    0.8
    >>> metric.add(1)
    Traceback (most recent call last):
    ValueError: Accumulator of 2 values got 1
    """

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
    labels (n,); ``y`` the true labels.

    >>> y_hat = mb.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])     # scores of 2 classes
    >>> y = mb.array([1, 0, 0])
    >>> train.accuracy(y_hat, y)                     # a count, not a fraction
    2.0
    >>> train.accuracy(mb.array([1, 0, 1]), y)       # or predicted labels
    2.0
    """
    if len(ops.shape(y_hat)) > 1 and ops.shape(y_hat)[1] > 1:
        y_hat = ops.argmax(y_hat, axis=1)
    y_hat = ops.astype(ops.reshape(y_hat, (-1,)), ops.dtype(y))
    return float(ops.item(ops.sum(ops.equal(y_hat, ops.reshape(y, (-1,))))))


def bleu(pred_seq: str, label_seq: str, k: int = 2) -> float:
    r"""BLEU of a predicted sequence against a reference (tokens separated by spaces):

    .. math:: \exp\left(\min\left(0, 1 - \frac{\mathrm{len}_\mathrm{label}}
              {\mathrm{len}_\mathrm{pred}}\right)\right) \prod_{n=1}^{k} p_n^{1/2^n},

    where :math:`p_n` is the fraction of the prediction's n-grams that occur in the reference
    (each reference n-gram matched at most as often as it occurs).  Longer n-grams weigh more;
    the first factor penalises predictions shorter than the reference.  1 for a perfect
    prediction, 0 for an empty one.

    >>> train.bleu("he is a cat", "he is a cat")
    1.0
    >>> round(train.bleu("he is a dog", "he is a cat"), 4)     # 3 of 4 words, 2 of 3 pairs
    0.7825
    >>> round(train.bleu("he is", "he is a cat"), 4)           # too short: exp(1 - 4/2)
    0.3679
    """
    pred_tokens, label_tokens = pred_seq.split(), label_seq.split()
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    if len_pred == 0 or len_label == 0:
        return float(len_pred == len_label)
    score = math.exp(min(0.0, 1 - len_label / len_pred))
    for n in range(1, min(k, len_pred) + 1):
        label_subs = collections.Counter(" ".join(label_tokens[i:i + n])
                                         for i in range(len_label - n + 1))
        matches = 0
        for i in range(len_pred - n + 1):
            gram = " ".join(pred_tokens[i:i + n])
            if label_subs[gram] > 0:
                matches += 1
                label_subs[gram] -= 1
        score *= math.pow(matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


def mean_bleu(preds: Sequence[str], labels: Sequence[str], k: int = 2) -> float:
    """The average :func:`bleu` of predictions against their references, pair by pair (how
    the book scores a translation model on held-out sentences).

    >>> preds = ["he is a cat", "she runs"]
    >>> labels = ["he is a cat", "she walks"]
    >>> round(train.mean_bleu(preds, labels), 4)
    0.5
    >>> train.mean_bleu(preds, labels[:1])
    Traceback (most recent call last):
    ValueError: 2 predictions for 1 references: pass one prediction per reference
    """
    if len(preds) != len(labels):
        raise ValueError(f"{len(preds)} predictions for {len(labels)} references: pass one "
                         f"prediction per reference")
    if not labels:
        raise ValueError("no predictions to score: pass at least one (prediction, reference)")
    return sum(bleu(p, label, k) for p, label in zip(preds, labels)) / len(labels)


def _on(device: Device | None, *tensors: Any) -> Any:
    """The tensors moved to ``device`` (unchanged when it is None or they are there)."""
    return tensors if device is None else tuple(to_device(t, device) for t in tensors)


def evaluate_accuracy(net: Callable[[Any], Any], data_iter: Iterable[Any],
                      device: Device | None = None) -> float:
    """Accuracy of ``net`` on a data set, computed in prediction mode (on ``device``, where
    the network lives, when given).

    >>> X = mb.array([[2.0, 1.0], [0.0, 3.0], [4.0, 1.0]])
    >>> y = mb.array([0, 1, 1])
    >>> loader = data.load_array((X, y), batch_size=2, is_train=False)
    >>> train.evaluate_accuracy(nn.Softmax(), loader)    # the inputs as class scores: 2 of 3
    0.6666666666666666
    """
    metric = Accumulator(2)
    with config.predict_mode():
        for X, y in data_iter:
            X, y = _on(device, X, y)
            metric.add(accuracy(net(X), y), ops.size(y))
    return metric[0] / metric[1]


def evaluate_loss(net: Callable[[Any], Any], data_iter: Iterable[Any],
                  loss: Callable[[Any, Any], Any], device: Device | None = None) -> float:
    """Mean loss of ``net`` on a data set (``loss`` must average over its batch).

    >>> X = mb.array([[2.0, 1.0], [0.0, 3.0], [4.0, 1.0]])
    >>> y = mb.array([0, 1, 1])
    >>> loader = data.load_array((X, y), batch_size=2, is_train=False)
    >>> net = nn.Linear(2, 2, weight_init=init.zeros())    # equal scores for both classes
    >>> round(train.evaluate_loss(net, loader, losses.cross_entropy), 4)    # log 2
    0.6931
    """
    metric = Accumulator(2)
    with config.predict_mode():
        for X, y in data_iter:
            X, y = _on(device, X, y)
            n = ops.shape(y)[0]
            metric.add(float(ops.item(loss(net(X), y))) * n, n)
    return metric[0] / metric[1]


class Trainer:
    """Pairs a network, a loss and an optimiser; ``step(X, y)`` does one update and returns the
    minibatch loss and predictions.

    With ``compile=True`` (JAX and TensorFlow) the whole step, forward pass, gradients and the
    optimiser's reference update (:meth:`~mlbook.optim.Optimizer.pure_update`), runs as one
    compiled function (``jax.jit``, ``tf.function``), traced at the first step and again for
    each new input shape.  Python control flow then runs once, while tracing: a network that
    reads a value with ``float()`` cannot be compiled, and one that draws random numbers
    (dropout), keeps buffers (batch normalization) or trains with ``clip`` is refused with an
    error, because a compiled step would silently train it differently.  Off by default, as in
    the book, where the code a reader steps through is the code that runs.

    With ``device`` (``mb.gpu()``, ``mb.try_gpu()``) the network, its optimiser's state and
    every minibatch are moved there, and the network stays there after training.  A GPU the
    backend does not see falls back to the CPU with a warning that says so.

    >>> X, y = mb.array([[1.0, 2.0], [3.0, 4.0]]), mb.array([[1.0], [2.0]])
    >>> net = nn.Linear(2, 1, weight_init=init.zeros())
    >>> trainer = train.Trainer(net, losses.squared_loss, optim.SGD(net, lr=0.1))
    >>> loss, y_hat = trainer.step(X, y)           # the loss before the update
    >>> mb.item(loss), mb.shape(y_hat)
    (1.25, (2, 1))
    >>> mb.show(net.weight, decimals=4)          # w - 0.1 * mean((y_hat - y) x)
    tensor([[0.35],
            [0.5 ]], shape=(2, 1), dtype=float32)
    >>> mb.show(net.bias, decimals=4)
    tensor([0.15], shape=(1,), dtype=float32)
    """

    def __init__(self, net: Module, loss: Callable[[Any, Any], Any], optimizer: Optimizer,
                 clip: float | None = None, compile: bool = False,
                 device: Device | None = None) -> None:
        self.net, self.loss, self.optimizer, self.clip = net, loss, optimizer, clip
        self.device = None if device is None else usable_device(device)
        if net.is_initialized():       # else after the first forward pass, which creates the
            self._move_network()       # lazy layers' parameters on the host (see step)
        self._grad = value_and_grad(self._objective, has_aux=True)
        self._exact_grad = exact_compile(self._grad, net)
        self._params: dict[str, Any] | None = None
        self.compile = bool(compile)
        self._compiled: Callable[..., Any] | None = None
        if self.compile:
            _check_compilable(clip)

    def _objective(self, params: dict[str, Any], X: Any, y: Any) -> tuple[Any, Any]:
        y_hat = self.net.functional_call(params, X)
        return self.loss(y_hat, y), y_hat

    def _move_network(self) -> None:
        """Move the network to :attr:`device` and point the optimiser at the moved tensors."""
        if self.device is None:
            return
        before = self.net.parameter_dict()
        self.net.to_device(self.device)
        after = self.net.parameter_dict()
        self.optimizer.replace_tensors({id(before[n]): after[n] for n in before})

    def step(self, X: Any, y: Any) -> tuple[Any, Any]:
        """One optimisation step; returns ``(loss, predictions)`` as tensors (reading the loss
        with ``float()`` waits for the computation, which asynchronous backends avoid)."""
        if self._params is None:
            if not self.net.is_initialized():   # lazy layers: one forward creates them, on
                with config.predict_mode():     # the host, where the rest of the network is
                    self.net(X if self.device is None else to_device(X, cpu()))
                self._move_network()            # then all of it goes to the device
            self._params = self.net.parameter_dict()  # updated in place from now on
            opt = self.optimizer
            if opt.module is None and list(opt.params) != list(self._params):
                opt.rename(self._params)              # groups, or a subset (the rest frozen)
                # differentiate only what is trained: frozen parameters need no gradients
                self._params = collections.OrderedDict((n, p) for n, p in self._params.items()
                                                       if n in opt.params)
        X, y = _on(self.device, X, y)
        if self.compile:
            return self._compiled_step(X, y)
        with config.train_mode():
            (loss, y_hat), grads = self._exact_grad(self._params, X, y)
        if self.clip is not None:
            grads, _ = clip_grad_norm(grads, self.clip)
        self.optimizer.step(grads)
        return loss, y_hat

    def _compiled_step(self, X: Any, y: Any) -> tuple[Any, Any]:
        """The whole step (forward, gradients, the optimiser's reference update) as one
        compiled function of the parameter values; the parameters are assigned the result."""
        assert self._params is not None
        opt, names = self.optimizer, list(self._params)
        if self._compiled is None:
            buffers = [n for n, _ in self.net.named_buffers()]
            if buffers:
                raise ValueError(f"Trainer(compile=True): the network has buffers {buffers} "
                                 "(batch normalization's running statistics), which a compiled "
                                 "step cannot update; use compile=False")

            def step(values: list[Any], states: list[dict[str, Any]], X: Any, y: Any,
                     lrs: list[Any], decays: list[Any], constants: dict[str, Any]) -> Any:
                with config.train_mode():        # lists, not dicts: jax.jit sorts dict keys
                    (loss, y_hat), grads = self._grad(dict(zip(names, values)), X, y)
                new_values, new_states = opt.pure_update(
                    values, [grads[n] for n in names], states, lrs, decays, constants)
                return loss, y_hat, new_values, new_states
            self._compiled = compile_function(step)
        states, lrs, decays, constants = opt.begin_step(names)
        draws = config.generator().bit_generator.state
        loss, y_hat, values, new_states = self._compiled(
            [value_of(p) for p in self._params.values()],
            [{k: s[k] for k in opt.slots} for s in states], X, y, lrs, decays, constants)
        if config.generator().bit_generator.state != draws:
            raise ValueError("Trainer(compile=True): the network drew random numbers (dropout?) "
                             "while it was compiled, and a compiled step would reuse the same "
                             "numbers at every step; train it with compile=False")
        for name, value, state, new in zip(names, values, states, new_states):
            ops.assign(self._params[name], value)
            state.update(new)
        return loss, y_hat

    def fit(self, train_iter: Iterable[Any], num_epochs: int, test_iter: Iterable[Any] | None = None,
            classify: bool = True, progress: bool | None = None,
            lr_schedule: Callable[[int], float] | None = None) -> dict[str, list[float]]:
        """Train for ``num_epochs``; returns the history: ``step_loss`` (every minibatch),
        ``train_loss`` and, when ``classify``, ``train_acc`` and ``test_acc`` per epoch.

        ``lr_schedule(epoch)`` (epochs counted from 0), if given, sets the optimiser's learning
        rate at the start of each epoch, e.g. ``lambda epoch: 0.1 if epoch < 8 else 0.01``
        (parameter groups with their own rate keep their proportion to it)."""
        history: dict[str, list[float]] = {"step_loss": [], "train_loss": []}
        if classify:
            history.update(train_acc=[], test_acc=[])
        animator = _progress(num_epochs, classify, test_iter is not None, progress)
        for epoch in range(num_epochs):
            if lr_schedule is not None:
                self.optimizer.lr = float(lr_schedule(epoch))
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
                    history["test_acc"].append(evaluate_accuracy(self.net, test_iter,
                                                                 self.device))
            animator.update(epoch + 1, history)
        animator.close()
        return history


def usable_device(device: Device) -> Device:
    """``device`` if the active backend has it; the CPU, with a warning that says so, for a GPU
    it does not see (so that code written for a GPU trains on a laptop).

    >>> train.usable_device(mb.cpu())
    cpu
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     device = train.usable_device(mb.gpu(7))
    >>> device, caught[0].category.__name__
    (cpu, 'RuntimeWarning')
    """
    if isinstance(device, Device) and device.kind == "gpu" and device.index >= num_gpus():
        warnings.warn(f"{device!r} is not available (the {ops.core.backend().NAME} backend sees "
                      f"{num_gpus()} GPU(s)): training on the CPU instead", RuntimeWarning,
                      stacklevel=3)
        return cpu()
    return check_device(device)


def _check_compilable(clip: float | None) -> None:
    """The errors for ``Trainer(compile=True)`` where a compiled step cannot be the same
    training."""
    if not can_compile():
        raise ValueError(f"Trainer(compile=True): the {ops.core.backend().NAME} backend runs "
                         "eagerly and does not compile a training step (jax and tensorflow do); "
                         "use compile=False")
    if clip is not None:
        raise ValueError("Trainer(compile=True) does not clip gradients (clipping reads the "
                         "norm as a Python number); use compile=False with clip")


def fit(net: Module, train_iter: Iterable[Any], loss: Callable[[Any, Any], Any],
        optimizer: Optimizer, num_epochs: int, test_iter: Iterable[Any] | None = None,
        classify: bool = True, clip: float | None = None, progress: bool | None = None,
        lr_schedule: Callable[[int], float] | None = None,
        compile: bool = False, device: Device | None = None) -> dict[str, list[float]]:
    """Train ``net`` (the book's ``train_ch3``/``train_ch6`` loop); see :meth:`Trainer.fit`
    and, for ``compile`` and ``device``, :class:`Trainer`.

    >>> mb.seed(0)
    >>> X, y = data.synthetic_data(mb.array([2.0, -3.4]), 4.2, 100)
    >>> loader = data.load_array((X, y), batch_size=10)
    >>> net = nn.Linear(2, 1)
    >>> optimizer = optim.SGD(net, lr=0.03)
    >>> history = train.fit(net, loader, losses.squared_loss, optimizer, 3, classify=False,
    ...                     progress=False)
    >>> sorted(history), len(history["step_loss"])
    (['step_loss', 'train_loss'], 30)
    >>> [round(v, 2) for v in history["train_loss"]]
    [10.2, 6.2, 3.76]
    """
    return Trainer(net, loss, optimizer, clip, compile, device).fit(
        train_iter, num_epochs, test_iter, classify, progress, lr_schedule)


def predict_lm(prefix: str, num_preds: int, net: Module, vocab: Any) -> str:
    """Generate ``num_preds`` tokens after ``prefix`` with a language model such as
    :class:`~mlbook.nn.RNNModel` (the book's ``predict_ch8``): the prefix warms up the state,
    then each most likely next token is fed back in.

    >>> mb.seed(0)
    >>> vocab = data.Vocab("abcd" * 6)
    >>> net = nn.RNNModel(nn.GRU(len(vocab), 8), len(vocab))
    >>> train.predict_lm("ab", 6, net, vocab)          # untrained: the prefix, then 6 guesses
    'abdddddd'
    """
    state = net.begin_state(1)
    outputs = [vocab[prefix[0]]]

    def last() -> Any:
        return ops.reshape(ops.array([outputs[-1]]), (1, 1))

    with config.predict_mode():
        for token in prefix[1:]:
            _, state = net(last(), state)
            outputs.append(vocab[token])
        for _ in range(num_preds):
            y, state = net(last(), state)
            outputs.append(int(ops.item(ops.argmax(y, axis=1)[0])))
    return "".join(vocab.to_tokens(outputs))


def _detach(state: Any) -> Any:
    if isinstance(state, (tuple, list)):
        return type(state)(_detach(s) for s in state)
    return stop_gradient(state)


def train_lm(net: Module, train_iter: Iterable[Any], vocab: Any, lr: float, num_epochs: int,
             clip: float = 1.0, use_random_iter: bool = False, prefix: str = "time traveller",
             progress: bool | None = None) -> dict[str, list[float]]:
    """Train a language model such as :class:`~mlbook.nn.RNNModel` with minibatch SGD and
    gradient clipping (the book's ``train_ch8``); returns ``{"perplexity": [...]}``, one value
    per epoch.

    With sequential minibatches (the default) the state is carried from one minibatch to the
    next, detached from its history (truncated backpropagation through time); with
    ``use_random_iter`` every minibatch starts from a zero state.  In a notebook the perplexity
    is plotted live; ``predict_lm(prefix, 50, ...)`` is printed at the end.

    >>> mb.seed(0)
    >>> vocab = data.Vocab("abcd" * 6)                  # characters; index 0 is <unk>
    >>> corpus = vocab[list("abcd" * 6)]
    >>> batches = list(data.seq_data_iter_sequential(corpus, batch_size=2, num_steps=4))
    >>> net = nn.RNNModel(nn.GRU(len(vocab), 8), len(vocab))
    >>> history = train.train_lm(net, batches, vocab, lr=4.0, num_epochs=2, prefix="",
    ...                          progress=False)
    >>> [round(p, 2) for p in history["perplexity"]]   # chance: 5, the vocabulary's size
    [4.18, 2.46]
    """
    optimizer = SGD(net, lr=lr)

    def objective(params: dict[str, Any], X: Any, Y: Any, state: Any) -> tuple[Any, Any]:
        y_hat, state = net.functional_call(params, X, state)
        return losses.cross_entropy(y_hat, ops.reshape(ops.T(Y), (-1,))), state

    grad = exact_compile(value_and_grad(objective, has_aux=True), net)
    params = net.parameter_dict()
    history: dict[str, list[float]] = {"perplexity": []}
    animator = _CurveProgress(num_epochs, "perplexity", progress)
    for _ in range(num_epochs):
        state, metric = None, Accumulator(2)
        for X, Y in train_iter:
            if state is None or use_random_iter:
                state = net.begin_state(ops.shape(X)[0])
            else:
                state = _detach(state)
            with config.train_mode():
                (loss, state), grads = grad(params, X, Y, state)
            grads, _ = clip_grad_norm(grads, clip)
            optimizer.step(grads)
            metric.add(float(ops.item(loss)) * ops.size(Y), ops.size(Y))
        history["perplexity"].append(math.exp(metric[0] / metric[1]))
        animator.update(len(history["perplexity"]), history)
    animator.close()
    if prefix:
        print(f"perplexity {history['perplexity'][-1]:.2f}")
        print(predict_lm(prefix, 50, net, vocab))
    return history


def decoder_inputs(Y: Any, bos: int) -> Any:
    """Teacher forcing: the decoder reads ``<bos>`` and then the true target shifted by one."""
    batch = ops.shape(Y)[0]
    return ops.concat([ops.full((batch, 1), bos, dtype=ops.dtype(Y)), Y[:, :-1]], axis=1)


def train_seq2seq(net: Module, data_iter: Iterable[Any], lr: float, num_epochs: int,
                  tgt_vocab: Any, clip: float = 1.0,
                  progress: bool | None = None) -> dict[str, list[float]]:
    """Train an :class:`~mlbook.nn.EncoderDecoder` (the book's ``train_seq2seq``) on minibatches
    ``(X, X_valid_len, Y, Y_valid_len)`` with Adam, gradient clipping and teacher forcing: the
    decoder's inputs are ``<bos>`` followed by the target without its last token, and the loss
    is the cross-entropy of the target tokens before each valid length
    (:func:`~mlbook.losses.masked_cross_entropy`).  Returns ``{"loss": [...]}``, the mean loss
    per target token of each epoch.

    >>> mb.seed(0)
    >>> loader, src_vocab, tgt_vocab, _ = data.load_data_numbers(2, 6, num_train=2, num_test=0)
    >>> encoder = nn.Seq2SeqEncoder(len(src_vocab), 8, 16, 1)
    >>> decoder = nn.Seq2SeqDecoder(len(tgt_vocab), 8, 16, 1)
    >>> net = nn.EncoderDecoder(encoder, decoder)
    >>> history = train.train_seq2seq(net, loader, lr=0.15, num_epochs=2, tgt_vocab=tgt_vocab,
    ...                               progress=False)
    >>> [round(v, 2) for v in history["loss"]]
    [2.56, 2.47]
    """
    optimizer = Adam(net, lr=lr)
    bos = tgt_vocab["<bos>"]

    def objective(params: dict[str, Any], X: Any, X_valid_len: Any, Y: Any,
                  Y_valid_len: Any) -> Any:
        Y_hat = net.functional_call(params, X, decoder_inputs(Y, bos), X_valid_len)
        return losses.masked_cross_entropy(Y_hat, Y, Y_valid_len)

    grad = exact_compile(value_and_grad(objective), net)
    params = net.parameter_dict()
    history: dict[str, list[float]] = {"loss": []}
    animator = _CurveProgress(num_epochs, "loss", progress)
    for _ in range(num_epochs):
        metric = Accumulator(2)
        for X, X_valid_len, Y, Y_valid_len in data_iter:
            with config.train_mode():
                loss, grads = grad(params, X, X_valid_len, Y, Y_valid_len)
            grads, _ = clip_grad_norm(grads, clip)
            optimizer.step(grads)
            tokens = float(ops.item(ops.sum(Y_valid_len)))
            metric.add(float(ops.item(loss)) * tokens, tokens)
        history["loss"].append(metric[0] / metric[1])
        animator.update(len(history["loss"]), history)
    animator.close()
    return history


def predict_seq2seq(net: Module, src_sentences: str | Sequence[str], src_vocab: Any,
                    tgt_vocab: Any, num_steps: int) -> Any:
    """Greedy decoding (the book's ``predict_seq2seq``): encode each source sentence (tokens
    separated by spaces), then feed the decoder ``<bos>`` and its most likely token in turn, until
    it predicts ``<eos>`` or ``num_steps`` tokens are out.  A list of sentences is decoded as one
    batch.  Returns the predicted tokens joined by spaces (a list of them for a list).

    >>> mb.seed(0)
    >>> loader, src_vocab, tgt_vocab, _ = data.load_data_numbers(2, 6, num_train=2, num_test=0)
    >>> encoder = nn.Seq2SeqEncoder(len(src_vocab), 8, 16, 1)
    >>> decoder = nn.Seq2SeqDecoder(len(tgt_vocab), 8, 16, 1)
    >>> net = nn.EncoderDecoder(encoder, decoder)
    >>> train.predict_seq2seq(net, "3 5 7 7", src_vocab, tgt_vocab, num_steps=6)     # untrained
    'seven seven seven seven seven seven'
    >>> train.predict_seq2seq(net, ["3 5 7 7", "1 0"], src_vocab, tgt_vocab, num_steps=6)
    ['seven seven seven seven seven seven', 'seven seven seven seven seven seven']
    """
    from .data.translation import truncate_pad
    single = isinstance(src_sentences, str)
    sentences = [src_sentences] if single else list(src_sentences)
    rows = [src_vocab[s.lower().split()] + [src_vocab["<eos>"]] for s in sentences]
    valid_len = ops.array([min(len(r), num_steps) for r in rows])
    X = ops.array([truncate_pad(r, num_steps, src_vocab["<pad>"]) for r in rows])
    eos, outputs = tgt_vocab["<eos>"], []
    with config.predict_mode():
        state = net.decoder.init_state(net.encoder(X, valid_len), valid_len)
        dec_X = ops.full((len(rows), 1), tgt_vocab["<bos>"])
        for _ in range(num_steps):
            Y, state = net.decoder(dec_X, state)
            dec_X = ops.argmax(Y, axis=2)                       # (batch, 1)
            outputs.append(ops.to_numpy(dec_X)[:, 0].tolist())
    predictions = []
    for i in range(len(rows)):
        tokens = [step[i] for step in outputs]
        tokens = tokens[:tokens.index(eos)] if eos in tokens else tokens
        predictions.append(" ".join(tgt_vocab.to_tokens(tokens)))
    return predictions[0] if single else predictions


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


class _CurveProgress(_Silent):
    """One training curve per epoch (``key`` of the history): a live plot in a notebook, a bar
    in a terminal, nothing with ``progress=False``."""

    def __init__(self, num_epochs: int, key: str, progress: bool | None) -> None:
        self.key, self.animator, self.bar = key, None, None
        if progress is not False and in_notebook():
            self.animator = Animator(xlabel="epoch", ylabel=key, legend=["train"],
                                     xlim=[1, num_epochs])
        elif progress is not False:
            self.bar = _Bar(num_epochs)

    def update(self, epoch: int, history: dict[str, list[float]]) -> None:
        if self.animator is not None:
            self.animator.add(epoch, history[self.key][-1])
        if self.bar is not None:
            self.bar.update(epoch, history)

    def close(self) -> None:
        if self.animator is not None:
            self.animator.show()
        if self.bar is not None:
            self.bar.close()


# ----------------------------------------------------------------------------- 2-D trajectories
def train_2d(update: Callable[[Any, Any, dict[str, Any]], Any], f: Callable[[Any], Any],
             x0: Sequence[float] = (-5.0, -2.0), steps: int = 20) -> np.ndarray:
    """Run an optimisation algorithm written from scratch on a function of two variables (the
    book's ``train_2d``): ``x`` is a tensor of shape (2,), ``g`` its gradient
    :math:`\\nabla f(x)`, and ``update(x, g, state)`` returns the next ``x`` (``state`` is a dict
    it may keep its own variables in).  Returns the trajectory, (steps + 1, 2), float64.

    >>> def gd(x, g, state):                      # gradient descent with rate 0.1
    ...     return x - 0.1 * g
    >>> trace = train.train_2d(gd, lambda x: x[0] ** 2 + 2 * x[1] ** 2, steps=3)
    >>> trace.shape, trace.dtype
    ((4, 2), dtype('float64'))
    >>> trace.round(4)
    array([[-5.   , -2.   ],
           [-4.   , -1.2  ],
           [-3.2  , -0.72 ],
           [-2.56 , -0.432]])
    """
    x = ops.array(list(x0), dtype="float32")
    grad_f = grad(f)
    state: dict[str, Any] = {"t": 0}
    points = [np.array(ops.to_numpy(x), dtype=np.float64)]
    for _ in range(steps):
        state["t"] += 1
        x = update(x, grad_f(x), state)
        points.append(np.array(ops.to_numpy(x), dtype=np.float64))
    return np.array(points)


def trajectory_2d(make_optimizer: Callable[[list[Any]], Optimizer], f: Callable[[Any], Any],
                  x0: Sequence[float] = (-5.0, -2.0), steps: int = 20, noise: Any = None,
                  lr_schedule: Callable[[int], float] | None = None) -> np.ndarray:
    """The same as :func:`train_2d` with a library optimiser: ``make_optimizer([x])`` builds it
    for the one parameter ``x`` (e.g. ``lambda p: optim.Adam(p, lr=0.1)``).  ``noise`` (steps,
    2), if given, is added to the gradient of step ``t`` (row ``t - 1``), and
    ``lr_schedule(t)`` sets the optimiser's rate before step ``t``.

    >>> f = lambda x: x[0] ** 2 + 2 * x[1] ** 2
    >>> trace = train.trajectory_2d(lambda p: optim.SGD(p, lr=0.1), f, steps=3)
    >>> trace.round(4)                            # as gradient descent from scratch
    array([[-5.   , -2.   ],
           [-4.   , -1.2  ],
           [-3.2  , -0.72 ],
           [-2.56 , -0.432]])
    >>> train.trajectory_2d(lambda p: optim.Adam(p, lr=0.5), f, steps=3).round(4)
    array([[-5.    , -2.    ],
           [-4.5   , -1.5   ],
           [-4.0021, -1.0087],
           [-3.5079, -0.537 ]])
    """
    x = ops.make_parameter(ops.array(list(x0), dtype="float32"))
    optimizer, grad_f = make_optimizer([x]), grad(f)
    points = [np.array(ops.to_numpy(value_of(x)), dtype=np.float64)]   # copies: numpy's
    for t in range(1, steps + 1):                                        # x changes in place
        g = grad_f(value_of(x))
        if noise is not None:
            g = g + noise[t - 1]
        if lr_schedule is not None:
            optimizer.lr = float(lr_schedule(t))
        optimizer.step([g])
        points.append(np.array(ops.to_numpy(value_of(x)), dtype=np.float64))
    return np.array(points)


def fit_digits(make_optimizer: Callable[[Module], Optimizer], num_epochs: int = 5,
               batch_size: int = 64, progress: bool | None = None,
               lr_schedule: Callable[[int], float] | None = None) -> dict[str, list[float]]:
    """Train the optimisation chapter's benchmark network, a 64-32-10 tanh MLP on the digits,
    with ``make_optimizer(net)`` (the book's ``train_ch11``); returns :func:`fit`'s history.
    The network starts from the same seeded weights each call, so optimisers compare fairly.

    >>> history = train.fit_digits(lambda net: optim.SGD(net, lr=0.5), num_epochs=1,
    ...                            batch_size=512, progress=False)
    >>> sorted(history)
    ['step_loss', 'test_acc', 'train_acc', 'train_loss']
    >>> [round(a, 2) for a in history["test_acc"]]
    [0.39]
    """
    from . import data, nn
    config.seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
    train_iter, test_iter = data.load_digits(batch_size)
    return fit(net, train_iter, losses.cross_entropy, make_optimizer(net), num_epochs,
               test_iter, progress=progress, lr_schedule=lr_schedule)
