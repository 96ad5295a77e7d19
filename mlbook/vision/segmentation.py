r"""Scores of a semantic segmentation: pixel accuracy and mean intersection over union.

With the confusion matrix :math:`C_{ij}` (pixels of true class :math:`i` predicted as
:math:`j`), the pixel accuracy is :math:`\sum_i C_{ii} / \sum_{ij} C_{ij}` and the IoU of class
:math:`i` is :math:`C_{ii} / (\sum_j C_{ij} + \sum_j C_{ji} - C_{ii})`, the overlap of the
predicted and the true region of that class over their union.  The mean IoU averages it over
the classes present in the labels or the predictions; unlike the pixel accuracy it is not
dominated by the background, which covers most pixels.  Counting is exact, in numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops

__all__ = ["confusion_matrix", "segmentation_scores"]


def confusion_matrix(preds: Any, labels: Any, num_classes: int) -> np.ndarray:
    """Counts (int64, ``num_classes`` × ``num_classes``) of pixels of true class ``i`` (row)
    predicted as ``j`` (column), from integer class maps of equal shape (tensors or arrays).

    >>> preds = mb.array([[0, 1], [1, 1]])
    >>> labels = mb.array([[0, 1], [0, 1]])
    >>> vision.confusion_matrix(preds, labels, 2)       # rows: true class, columns: predicted
    array([[1, 1],
           [0, 2]])
    """
    p = np.asarray(ops.to_numpy(preds) if ops.is_tensor(preds) else preds).reshape(-1)
    t = np.asarray(ops.to_numpy(labels) if ops.is_tensor(labels) else labels).reshape(-1)
    if p.shape != t.shape:
        raise ValueError(f"confusion_matrix: {p.size} predictions for {t.size} labels; pass "
                         "class maps of the same shape")
    for name, v in (("predictions", p), ("labels", t)):
        if v.size and (v.min() < 0 or v.max() >= num_classes):
            raise ValueError(f"confusion_matrix: {name} must be class indices in "
                             f"[0, {num_classes}), got {v.min()}..{v.max()}")
    return np.bincount(t.astype("int64") * num_classes + p.astype("int64"),
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def segmentation_scores(preds: Any, labels: Any, num_classes: int) -> dict[str, Any]:
    """``{"pixel_accuracy", "mean_iou", "iou"}`` of predicted class maps against labels;
    ``iou`` lists each class's IoU (``nan`` for a class in neither).

    >>> preds = mb.array([[0, 1], [1, 1]])
    >>> labels = mb.array([[0, 1], [0, 1]])
    >>> scores = vision.segmentation_scores(preds, labels, 3)   # class 2 appears in neither
    >>> scores["pixel_accuracy"], round(scores["mean_iou"], 4)
    (0.75, 0.5833)
    >>> [round(v, 4) for v in scores["iou"]]
    [0.5, 0.6667, nan]
    """
    c = confusion_matrix(preds, labels, num_classes).astype("float64")
    inter = np.diag(c)
    union = c.sum(0) + c.sum(1) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / union, np.nan)
    return {"pixel_accuracy": float(inter.sum() / c.sum()),
            "mean_iou": float(np.nanmean(iou)), "iou": iou.tolist()}
