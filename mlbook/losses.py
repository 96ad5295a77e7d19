"""Loss functions, written once on the neutral ops.

Each takes ``reduction='mean' | 'sum' | 'none'`` (default ``'mean'``).
"""

from __future__ import annotations

from typing import Any

from . import ops

__all__ = ["squared_loss", "mse_loss", "cross_entropy", "masked_cross_entropy",
           "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "SquaredLoss", "MSELoss", "CrossEntropyLoss",
           "BCEWithLogitsLoss"]


def _reduce(values: Any, reduction: str) -> Any:
    if reduction == "mean":
        return ops.mean(values)
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "none":
        return values
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _same_shape(name: str, a: Any, b: Any) -> tuple[Any, Any]:
    sa, sb = ops.shape(a), ops.shape(b)
    if sa != sb:
        if ops.size(a) != ops.size(b):
            raise ValueError(f"{name}: predictions {sa} and targets {sb} differ in size")
        b = ops.reshape(b, sa)               # e.g. (n, 1) predictions and (n,) targets
    return a, b


def squared_loss(y_hat: Any, y: Any, reduction: str = "mean") -> Any:
    """The book's squared loss :math:`\\frac12 (\\hat y - y)^2` (the ½ makes the gradient
    :math:`\\hat y - y`).

    >>> y_hat, y = mb.array([1.0, 2.0, 4.0]), mb.array([1.0, 3.0, 2.0])
    >>> mb.show(losses.squared_loss(y_hat, y, reduction="none"))
    tensor([0. , 0.5, 2. ], shape=(3,), dtype=float32)
    >>> round(mb.item(losses.squared_loss(y_hat, y)), 4)          # (0 + 0.5 + 2) / 3
    0.8333
    >>> mb.show(mb.grad(lambda p: losses.squared_loss(p, y, reduction="sum"))(y_hat))   # y_hat - y
    tensor([ 0., -1.,  2.], shape=(3,), dtype=float32)
    """
    y_hat, y = _same_shape("squared_loss", y_hat, y)
    return _reduce((y_hat - y) ** 2 / 2, reduction)


def mse_loss(y_hat: Any, y: Any, reduction: str = "mean") -> Any:
    """Mean squared error :math:`(\\hat y - y)^2` (PyTorch's ``MSELoss``, no ½).

    >>> y_hat, y = mb.array([[1.0], [2.0], [4.0]]), mb.array([1.0, 3.0, 2.0])
    >>> mb.show(losses.mse_loss(y_hat, y, reduction="none"))   # targets reshaped to (3, 1)
    tensor([[0.],
            [1.],
            [4.]], shape=(3, 1), dtype=float32)
    >>> mb.item(losses.mse_loss(y_hat, y, reduction="sum"))
    5.0
    >>> losses.mse_loss(mb.ones((3,)), mb.ones((2,)))
    Traceback (most recent call last):
    ValueError: mse_loss: predictions (3,) and targets (2,) differ in size
    """
    y_hat, y = _same_shape("mse_loss", y_hat, y)
    return _reduce((y_hat - y) ** 2, reduction)


def cross_entropy(logits: Any, labels: Any, reduction: str = "mean") -> Any:
    """Softmax cross-entropy from unnormalised ``logits`` (n, q) and integer ``labels`` (n,):
    :math:`\\log\\sum_j e^{o_j} - o_y`, computed stably with the log-sum-exp trick.

    >>> logits = mb.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> labels = mb.array([0, 2])
    >>> mb.show(losses.cross_entropy(logits, labels, reduction="none"), decimals=4)
    tensor([0.2395, 1.0986], shape=(2,), dtype=float32)
    >>> round(mb.item(losses.cross_entropy(logits, labels)), 4)
    0.6691
    >>> grad = mb.grad(lambda o: losses.cross_entropy(o, labels, reduction="sum"))
    >>> mb.show(grad(logits), decimals=4)               # softmax(o) - one_hot(y)
    tensor([[-0.213 ,  0.1065,  0.1065],
            [ 0.3333,  0.3333, -0.6667]], shape=(2, 3), dtype=float32)
    >>> losses.cross_entropy(logits, mb.array([0.0, 2.0]))
    Traceback (most recent call last):
    TypeError: cross_entropy takes integer class labels; got floats (float32)
    """
    s_logits, s_labels = ops.shape(logits), ops.shape(labels)
    if len(s_logits) < 1 or s_logits[:-1] != s_labels:
        raise ValueError(f"cross_entropy: logits {s_logits} need one more axis (the classes) "
                         f"than the integer labels {s_labels}")
    if ops.is_floating(labels):
        raise TypeError("cross_entropy takes integer class labels; got floats "
                        f"({ops.dtype(labels)})")
    if len(s_logits) == 2 and ops.is_floating(logits):
        fused = ops.fused_cross_entropy(logits, ops.astype(labels, "int64"))
        if fused is not None:
            return _reduce(fused, reduction)
    picked = ops.take_along_axis(logits, ops.expand_dims(labels, -1), -1)
    losses = ops.logsumexp(logits, axis=-1) - ops.squeeze(picked, -1)
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(logits: Any, y: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of :math:`\\sigma(z)` against 0/1 targets, from logits ``z``:
    :math:`\\max(z, 0) - z y + \\log(1 + e^{-|z|})`, stable for any ``z``.

    >>> z, y = mb.array([-1.0, 2.0, -100.0]), mb.array([1, 1, 0])
    >>> mb.show(losses.binary_cross_entropy_with_logits(z, y, reduction="none"), decimals=4)
    tensor([1.3133, 0.1269, 0.    ], shape=(3,), dtype=float32)
    >>> grad = mb.grad(lambda z: losses.binary_cross_entropy_with_logits(z, y, reduction="sum"))
    >>> mb.show(grad(z), decimals=4)                    # sigmoid(z) - y
    tensor([-0.7311, -0.1192,  0.    ], shape=(3,), dtype=float32)
    """
    logits, y = _same_shape("binary_cross_entropy_with_logits", logits, y)
    y = ops.astype(y, ops.dtype(logits))
    losses = ops.relu(logits) - logits * y + ops.log1p(ops.exp(-ops.abs(logits)))
    return _reduce(losses, reduction)


def masked_cross_entropy(logits: Any, labels: Any, valid_len: Any) -> Any:
    """Cross-entropy of sequences, ignoring padding: ``logits`` (batch, steps, vocab), integer
    ``labels`` (batch, steps) and ``valid_len`` (batch,); the loss of each token before its
    sequence's valid length, averaged over those tokens (padded positions count for nothing,
    whatever the model predicts there).

    >>> logits = mb.zeros((2, 3, 4))                    # 2 sequences, 3 steps, 4 tokens
    >>> labels = mb.array([[1, 2, 0], [3, 0, 0]])
    >>> valid_len = mb.array([3, 1])                    # the second: one token, then padding
    >>> round(mb.item(losses.masked_cross_entropy(logits, labels, valid_len)), 4)   # log 4
    1.3863
    >>> g = mb.grad(lambda o: losses.masked_cross_entropy(o, labels, valid_len))(logits)
    >>> mb.show(mb.sum(mb.abs(g), axis=2) > 0)         # padded positions get no gradient
    tensor([[ True,  True,  True],
            [ True, False, False]], shape=(2, 3), dtype=bool)
    """
    from .nn.functional import sequence_mask
    per_token = cross_entropy(logits, labels, reduction="none")        # (batch, steps)
    weights = sequence_mask(ops.ones_like(per_token), valid_len)
    return ops.sum(per_token * weights) / ops.sum(weights)


def binary_cross_entropy(p: Any, y: Any, reduction: str = "mean", eps: float = 1e-7) -> Any:
    """Binary cross-entropy of probabilities ``p`` against 0/1 targets:
    :math:`-y \\log p - (1 - y) \\log(1 - p)`, with ``p`` clipped to ``[eps, 1 - eps]``.

    >>> p, y = mb.array([0.5, 0.9, 0.0]), mb.array([1, 1, 0])
    >>> mb.show(losses.binary_cross_entropy(p, y, reduction="none"), decimals=4)
    tensor([0.6931, 0.1054, 0.    ], shape=(3,), dtype=float32)
    >>> opposite = 1 - y                                # p = 0 for a 1: -log(eps), not inf
    >>> mb.show(losses.binary_cross_entropy(p, opposite, reduction="none"), decimals=4)
    tensor([ 0.6931,  2.3026, 16.1181], shape=(3,), dtype=float32)
    """
    p, y = _same_shape("binary_cross_entropy", p, y)
    y = ops.astype(y, ops.dtype(p))
    p = ops.clip(p, eps, 1 - eps)
    return _reduce(-y * ops.log(p) - (1 - y) * ops.log(1 - p), reduction)


class _Loss:
    fn: Any = None

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = reduction

    def __call__(self, y_hat: Any, y: Any) -> Any:
        return type(self).fn(y_hat, y, self.reduction)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class SquaredLoss(_Loss):
    """Object form of :func:`squared_loss`.

    >>> loss = losses.SquaredLoss()
    >>> loss
    SquaredLoss(reduction='mean')
    >>> mb.item(loss(mb.array([1.0, 3.0]), mb.array([0.0, 0.0])))
    2.5
    """
    fn = staticmethod(squared_loss)


class MSELoss(_Loss):
    """Object form of :func:`mse_loss`.

    >>> loss = losses.MSELoss(reduction="sum")
    >>> loss
    MSELoss(reduction='sum')
    >>> mb.item(loss(mb.array([1.0, 3.0]), mb.array([0.0, 0.0])))
    10.0
    """
    fn = staticmethod(mse_loss)


class CrossEntropyLoss(_Loss):
    """Object form of :func:`cross_entropy`.

    >>> loss = losses.CrossEntropyLoss(reduction="none")
    >>> mb.show(loss(mb.array([[0.0, 0.0], [5.0, 5.0]]), mb.array([0, 1])), decimals=4)
    tensor([0.6931, 0.6931], shape=(2,), dtype=float32)
    """
    fn = staticmethod(cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """Object form of :func:`binary_cross_entropy_with_logits`.

    >>> loss = losses.BCEWithLogitsLoss()
    >>> loss
    BCEWithLogitsLoss(reduction='mean')
    >>> round(mb.item(loss(mb.array([0.0, 0.0]), mb.array([1, 0]))), 4)    # log 2
    0.6931
    """
    fn = staticmethod(binary_cross_entropy_with_logits)
