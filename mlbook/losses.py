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
    :math:`\\hat y - y`)."""
    y_hat, y = _same_shape("squared_loss", y_hat, y)
    return _reduce((y_hat - y) ** 2 / 2, reduction)


def mse_loss(y_hat: Any, y: Any, reduction: str = "mean") -> Any:
    """Mean squared error :math:`(\\hat y - y)^2` (PyTorch's ``MSELoss``, no ½)."""
    y_hat, y = _same_shape("mse_loss", y_hat, y)
    return _reduce((y_hat - y) ** 2, reduction)


def cross_entropy(logits: Any, labels: Any, reduction: str = "mean") -> Any:
    """Softmax cross-entropy from unnormalised ``logits`` (n, q) and integer ``labels`` (n,):
    :math:`\\log\\sum_j e^{o_j} - o_y`, computed stably with the log-sum-exp trick."""
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
    :math:`\\max(z, 0) - z y + \\log(1 + e^{-|z|})`, stable for any ``z``."""
    logits, y = _same_shape("binary_cross_entropy_with_logits", logits, y)
    y = ops.astype(y, ops.dtype(logits))
    losses = ops.relu(logits) - logits * y + ops.log1p(ops.exp(-ops.abs(logits)))
    return _reduce(losses, reduction)


def masked_cross_entropy(logits: Any, labels: Any, valid_len: Any) -> Any:
    """Cross-entropy of sequences, ignoring padding: ``logits`` (batch, steps, vocab), integer
    ``labels`` (batch, steps) and ``valid_len`` (batch,); the loss of each token before its
    sequence's valid length, averaged over those tokens (padded positions count for nothing,
    whatever the model predicts there)."""
    from .nn.functional import sequence_mask
    per_token = cross_entropy(logits, labels, reduction="none")        # (batch, steps)
    weights = sequence_mask(ops.ones_like(per_token), valid_len)
    return ops.sum(per_token * weights) / ops.sum(weights)


def binary_cross_entropy(p: Any, y: Any, reduction: str = "mean", eps: float = 1e-7) -> Any:
    """Binary cross-entropy of probabilities ``p`` against 0/1 targets:
    :math:`-y \\log p - (1 - y) \\log(1 - p)`, with ``p`` clipped to ``[eps, 1 - eps]``."""
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
    """Object form of :func:`squared_loss`."""
    fn = staticmethod(squared_loss)


class MSELoss(_Loss):
    """Object form of :func:`mse_loss`."""
    fn = staticmethod(mse_loss)


class CrossEntropyLoss(_Loss):
    """Object form of :func:`cross_entropy`."""
    fn = staticmethod(cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """Object form of :func:`binary_cross_entropy_with_logits`."""
    fn = staticmethod(binary_cross_entropy_with_logits)
