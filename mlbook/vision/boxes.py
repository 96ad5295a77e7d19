r"""Bounding boxes and anchor boxes for object detection (the book's SSD groundwork).

Boxes are rows of four numbers, in one of two formats:

* *corner*: :math:`(x_1, y_1, x_2, y_2)`, the upper-left and lower-right corners;
* *center*: :math:`(c_x, c_y, w, h)`, the centre, width and height.

Anchor boxes are generated around every pixel of a feature map with :func:`multibox_prior`; their
coordinates are fractions of the image's width and height (so that one set of anchors fits an
image of any size).  Training needs each anchor's class and the offset of its ground-truth box
(:func:`multibox_target`); prediction turns predicted offsets back into boxes and removes
duplicates with non-maximum suppression (:func:`multibox_detection`).

Everything that is arithmetic on boxes (conversions, IoU, offsets) runs on the neutral ops, on
every backend; the combinatorial steps (which anchor gets which ground truth, which boxes NMS
keeps) are decisions on indices, made in numpy from the computed IoUs and scores.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import losses, ops

__all__ = ["box_corner_to_center", "box_center_to_corner", "box_area", "box_iou",
           "multibox_prior", "assign_anchor_to_bbox", "offset_boxes", "offset_inverse",
           "multibox_target", "nms", "multibox_detection", "multibox_loss"]


def _check_boxes(name: str, boxes: Any) -> tuple[int, ...]:
    shape = ops.shape(boxes)
    if not shape or shape[-1] != 4:
        raise ValueError(f"{name}: boxes need 4 numbers in their last axis, got shape {shape}")
    return shape


def box_corner_to_center(boxes: Any) -> Any:
    """(x1, y1, x2, y2) -> (cx, cy, w, h), for boxes of shape (..., 4).

    >>> boxes = mb.array([[0.0, 0.0, 4.0, 2.0], [1.0, 1.0, 3.0, 5.0]])   # (x1, y1, x2, y2)
    >>> mb.show(vision.box_corner_to_center(boxes))                       # (cx, cy, w, h)
    tensor([[2., 1., 4., 2.],
            [2., 3., 2., 4.]], shape=(2, 4), dtype=float32)
    """
    _check_boxes("box_corner_to_center", boxes)
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    return ops.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=-1)


def box_center_to_corner(boxes: Any) -> Any:
    """(cx, cy, w, h) -> (x1, y1, x2, y2), for boxes of shape (..., 4).

    >>> boxes = mb.array([[2.0, 1.0, 4.0, 2.0], [2.0, 3.0, 2.0, 4.0]])   # (cx, cy, w, h)
    >>> mb.show(vision.box_center_to_corner(boxes))                       # (x1, y1, x2, y2)
    tensor([[0., 0., 4., 2.],
            [1., 1., 3., 5.]], shape=(2, 4), dtype=float32)
    """
    _check_boxes("box_center_to_corner", boxes)
    cx, cy, w, h = (boxes[..., i] for i in range(4))
    return ops.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=-1)


def box_area(boxes: Any) -> Any:
    """Areas of corner-format boxes (..., 4) -> (...).

    >>> boxes = mb.array([[0.0, 0.0, 4.0, 2.0], [1.0, 1.0, 3.0, 5.0]])
    >>> mb.show(vision.box_area(boxes))
    tensor([8., 8.], shape=(2,), dtype=float32)
    """
    _check_boxes("box_area", boxes)
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def box_iou(boxes1: Any, boxes2: Any) -> Any:
    r"""The Jaccard index (intersection over union) of every pair of corner-format boxes:
    ``boxes1`` (n, 4) and ``boxes2`` (m, 4) give an (n, m) matrix,

    .. math:: J(\mathcal{A}, \mathcal{B}) = \frac{|\mathcal{A} \cap \mathcal{B}|}
              {|\mathcal{A} \cup \mathcal{B}|}.

    Disjoint boxes have IoU 0, a box with itself 1.

    >>> a = mb.array([[0.0, 0.0, 2.0, 2.0]])
    >>> b = mb.array([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 3.0], [2.0, 2.0, 4.0, 4.0]])
    >>> mb.show(vision.box_iou(a, b), decimals=4)     # itself, overlap 1 / 7, touching
    tensor([[1.    , 0.1429, 0.    ]], shape=(1, 3), dtype=float32)
    """
    s1, s2 = _check_boxes("box_iou", boxes1), _check_boxes("box_iou", boxes2)
    if len(s1) != 2 or len(s2) != 2:
        raise ValueError(f"box_iou: expects two (n, 4) and (m, 4) arrays, got {s1} and {s2}")
    b1 = ops.expand_dims(boxes1, 1)                                       # (n, 1, 4)
    upper_left = ops.maximum(b1[..., :2], boxes2[:, :2])                 # (n, m, 2)
    lower_right = ops.minimum(b1[..., 2:], boxes2[:, 2:])
    sides = ops.maximum(lower_right - upper_left, 0.0)
    inter = sides[..., 0] * sides[..., 1]
    union = ops.expand_dims(box_area(boxes1), 1) + box_area(boxes2) - inter
    return inter / union


def multibox_prior(data_shape: Sequence[int], sizes: Sequence[float],
                   ratios: Sequence[float]) -> Any:
    r"""Anchor boxes centred on every pixel of a feature map of shape (..., h, w) (the shape of a
    tensor, or of an image batch): for sizes :math:`s_1, \ldots, s_n` and aspect ratios
    :math:`r_1, \ldots, r_m`, the :math:`n + m - 1` combinations :math:`(s_i, r_1)` and
    :math:`(s_1, r_j)`, :math:`j \ge 2`, per pixel.  An anchor of size :math:`s` and ratio
    :math:`r` has width :math:`s \sqrt{r} \cdot h / w` and height :math:`s / \sqrt{r}`, as
    fractions of the image's width and height (so :math:`s = 1, r = 1` covers the whole image,
    and the anchor's width-to-height ratio in pixels is :math:`r`).

    Returns (1, h * w * (n + m - 1), 4) corner-format boxes, the anchors of pixel (0, 0) first,
    in the order above; coordinates may reach beyond [0, 1] at the borders.

    >>> anchors = vision.multibox_prior((1, 3, 2, 2), sizes=[0.5, 0.25], ratios=[1, 2])
    >>> mb.shape(anchors)                             # 2 x 2 pixels, 2 + 2 - 1 anchors each
    (1, 12, 4)
    >>> mb.show(anchors[0, :3], decimals=4)   # pixel (0, 0)'s, centred at (0.25, 0.25)
    tensor([[ 0.    ,  0.    ,  0.5   ,  0.5   ],
            [ 0.125 ,  0.125 ,  0.375 ,  0.375 ],
            [-0.1036,  0.0732,  0.6036,  0.4268]], shape=(3, 4), dtype=float32)
    """
    if len(data_shape) < 2:
        raise ValueError(f"multibox_prior: data_shape needs (..., height, width), got "
                         f"{tuple(data_shape)}")
    if not sizes or not ratios or min(sizes) <= 0 or min(ratios) <= 0:
        raise ValueError(f"multibox_prior: sizes and ratios must be non-empty and positive, got "
                         f"sizes={list(sizes)}, ratios={list(ratios)}")
    h, w = int(data_shape[-2]), int(data_shape[-1])
    sizes, ratios = np.asarray(sizes, "float64"), np.asarray(ratios, "float64")
    # widths and heights of the n + m - 1 anchors of one pixel
    widths = np.concatenate([sizes * np.sqrt(ratios[0]), sizes[0] * np.sqrt(ratios[1:])]) * h / w
    heights = np.concatenate([sizes / np.sqrt(ratios[0]), sizes[0] / np.sqrt(ratios[1:])])
    center_y, center_x = np.meshgrid((np.arange(h) + 0.5) / h, (np.arange(w) + 0.5) / w,
                                     indexing="ij")
    centers = np.stack([center_x, center_y, center_x, center_y], axis=-1).reshape(-1, 1, 4)
    half = np.stack([-widths, -heights, widths, heights], axis=-1) / 2   # (boxes, 4)
    anchors = (centers + half).reshape(1, -1, 4).astype("float32")
    return ops.array(anchors)


def assign_anchor_to_bbox(ground_truth: Any, anchors: Any, iou_threshold: float = 0.5) -> Any:
    """For each anchor, the index of the ground-truth box it is assigned to, or -1 (an int64
    tensor of shape (num_anchors,)).

    Greedy, as in the book: repeatedly take the largest entry of the anchor x ground-truth IoU
    matrix, assign that anchor to that box and discard its row and column, until every ground
    truth has an anchor; then every other anchor whose best IoU reaches ``iou_threshold`` is
    assigned to its best box.

    >>> ground_truth = mb.array([[0.1, 0.08, 0.52, 0.92], [0.55, 0.2, 0.9, 0.88]])
    >>> anchors = mb.array([[0.0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4],
    ...                     [0.63, 0.05, 0.88, 0.98], [0.66, 0.45, 0.8, 0.8],
    ...                     [0.57, 0.3, 0.92, 0.9]])
    >>> mb.tolist(vision.assign_anchor_to_bbox(ground_truth, anchors))
    [-1, 0, 1, -1, 1]
    """
    jaccard = ops.to_numpy(box_iou(anchors, ground_truth)).astype("float64")   # (na, nb)
    return ops.array(_assign(jaccard, iou_threshold))


def _assign(jaccard: np.ndarray, iou_threshold: float) -> np.ndarray:
    """:func:`assign_anchor_to_bbox`'s rule on an anchor × ground-truth IoU matrix."""
    num_anchors, num_gt = jaccard.shape
    assigned = np.full(num_anchors, -1, dtype="int64")
    if num_gt:
        best = jaccard.argmax(axis=1)
        above = jaccard[np.arange(num_anchors), best] >= iou_threshold
        assigned[above] = best[above]
        work = jaccard.copy()
        for _ in range(min(num_gt, num_anchors)):
            anchor, box = np.unravel_index(np.argmax(work), work.shape)
            assigned[anchor] = box
            work[anchor, :] = -1
            work[:, box] = -1
    return assigned


def offset_boxes(anchors: Any, assigned_bb: Any, eps: float = 1e-6) -> Any:
    r"""The offsets that turn each anchor into its assigned box (both (..., n, 4), corner format,
    broadcasting: one set of anchors serves a batch of assigned boxes):
    with centres :math:`(x_a, y_a)`, :math:`(x_b, y_b)` and sizes :math:`(w_a, h_a)`,
    :math:`(w_b, h_b)`,

    .. math:: \left(\frac{x_b - x_a}{w_a \sigma_x}, \frac{y_b - y_a}{h_a \sigma_y},
              \frac{\log(w_b / w_a)}{\sigma_w}, \frac{\log(h_b / h_a)}{\sigma_h}\right)

    with the standard constants :math:`\sigma_x = \sigma_y = 0.1`, :math:`\sigma_w = \sigma_h =
    0.2` (and means 0).

    >>> anchors = mb.array([[0.0, 0.0, 2.0, 2.0]])      # centre (1, 1), 2 x 2
    >>> boxes = mb.array([[1.0, 1.0, 3.0, 5.0]])        # centre (2, 3), 2 x 4
    >>> offsets = vision.offset_boxes(anchors, boxes)
    >>> mb.show(offsets, decimals=4)                    # 10 * 1/2, 10 * 2/2, 5 log 1, 5 log 2
    tensor([[ 5.    , 10.    ,  0.    ,  3.4657]], shape=(1, 4), dtype=float32)
    """
    c_anc, c_bb = box_corner_to_center(anchors), box_corner_to_center(assigned_bb)
    offset_xy = 10 * (c_bb[..., :2] - c_anc[..., :2]) / c_anc[..., 2:]
    offset_wh = 5 * ops.log(eps + c_bb[..., 2:] / c_anc[..., 2:])
    return ops.concat([offset_xy, offset_wh], axis=-1)


def offset_inverse(anchors: Any, offset_preds: Any) -> Any:
    """The boxes (corner format) that ``offset_preds`` (n, 4) make of ``anchors`` (n, 4): the
    inverse of :func:`offset_boxes`.

    >>> anchors = mb.array([[0.0, 0.0, 2.0, 2.0]])
    >>> mb.show(vision.offset_inverse(anchors, mb.zeros((1, 4))))   # no offset: the anchor
    tensor([[0., 0., 2., 2.]], shape=(1, 4), dtype=float32)
    >>> offsets = vision.offset_boxes(anchors, mb.array([[1.0, 1.0, 3.0, 5.0]]))
    >>> mb.show(vision.offset_inverse(anchors, offsets), decimals=4)
    tensor([[1., 1., 3., 5.]], shape=(1, 4), dtype=float32)
    """
    c_anc = box_corner_to_center(anchors)
    xy = offset_preds[:, :2] * c_anc[:, 2:] / 10 + c_anc[:, :2]
    wh = ops.exp(offset_preds[:, 2:] / 5) * c_anc[:, 2:]
    return box_center_to_corner(ops.concat([xy, wh], axis=1))


def multibox_target(anchors: Any, labels: Any) -> tuple[Any, Any, Any]:
    """Training targets for anchors (1, na, 4) from ground-truth ``labels`` (batch, nb, 5), each
    row ``(class, x1, y1, x2, y2)`` with classes counted from 0.  Returns, per example:

    * ``bbox_offset`` (batch, na * 4): the offsets of each anchor's assigned box (0 for
      background anchors);
    * ``bbox_mask`` (batch, na * 4): 1 for the four offsets of an assigned anchor, 0 otherwise,
      so background anchors do not enter the offset loss;
    * ``class_labels`` (batch, na): the assigned box's class + 1, or 0 for background.

    >>> labels = mb.array([[[0, 0.1, 0.08, 0.52, 0.92],        # (1, 2, 5): class 0 and
    ...                     [1, 0.55, 0.2, 0.9, 0.88]]])       # class 1, (x1, y1, x2, y2)
    >>> anchors = mb.array([[[0.0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4],
    ...                      [0.63, 0.05, 0.88, 0.98], [0.66, 0.45, 0.8, 0.8],
    ...                      [0.57, 0.3, 0.92, 0.9]]])
    >>> bbox_offset, bbox_mask, class_labels = vision.multibox_target(anchors, labels)
    >>> mb.tolist(class_labels)                       # background, class 0, class 1, ...
    [[0, 1, 2, 0, 2]]
    >>> mb.show(mb.reshape(bbox_mask, (5, 4)))
    tensor([[0., 0., 0., 0.],
            [1., 1., 1., 1.],
            [1., 1., 1., 1.],
            [0., 0., 0., 0.],
            [1., 1., 1., 1.]], shape=(5, 4), dtype=float32)
    >>> mb.show(mb.reshape(bbox_offset, (5, 4)), decimals=2)
    tensor([[ 0.  ,  0.  ,  0.  ,  0.  ],
            [ 1.4 , 10.  ,  2.59,  7.18],
            [-1.2 ,  0.27,  1.68, -1.57],
            [ 0.  ,  0.  ,  0.  ,  0.  ],
            [-0.57, -1.  ,  0.  ,  0.63]], shape=(5, 4), dtype=float32)
    """
    anchors = anchors[0] if len(ops.shape(anchors)) == 3 else anchors
    labels_np = ops.to_numpy(labels)
    if labels_np.ndim != 3 or labels_np.shape[-1] != 5:
        raise ValueError(f"multibox_target: labels need shape (batch, boxes, 5) with rows "
                         f"(class, x1, y1, x2, y2), got {labels_np.shape}")
    num_anchors = ops.shape(anchors)[0]
    batch, num_boxes = labels_np.shape[:2]
    # one IoU computation for the whole batch (padding rows included, then left out), one
    # offset computation: a few large operations instead of many small ones per image
    jaccard = ops.to_numpy(box_iou(anchors, ops.array(
        labels_np[:, :, 1:].reshape(-1, 4).astype("float32")))).astype("float64")
    anchors_np = ops.to_numpy(anchors)
    targets = np.empty((batch, num_anchors, 4), dtype="float32")
    masks = np.zeros((batch, num_anchors, 4), dtype="float32")
    classes = np.zeros((batch, num_anchors), dtype="int64")
    for i, label in enumerate(labels_np):
        real = np.flatnonzero(label[:, 0] >= 0)             # rows of class -1 are padding
        assigned = _assign(jaccard[:, i * num_boxes + real], 0.5)
        positive = assigned >= 0
        classes[i, positive] = label[real[assigned[positive]], 0].astype("int64") + 1
        # background anchors get their own box as target: offset 0, masked out anyway
        targets[i] = anchors_np
        targets[i, positive] = label[real[assigned[positive]], 1:]
        masks[i, positive] = 1.0
    mask = ops.array(masks)
    offsets = offset_boxes(anchors, ops.array(targets)) * mask
    return (ops.reshape(offsets, (batch, -1)), ops.reshape(mask, (batch, -1)),
            ops.array(classes))


def multibox_loss(cls_preds: Any, cls_labels: Any, bbox_preds: Any, bbox_labels: Any,
                  bbox_masks: Any) -> Any:
    r"""SSD's loss per example: the mean over anchors of the softmax cross-entropy of the class
    predictions, plus the mean masked :math:`L_1` distance of the predicted offsets,

    .. math:: \frac{1}{a}\sum_{j} -\log \hat p_{j, c_j}
              + \frac{1}{4a}\sum_{j,k} m_{jk}\, |\hat o_{jk} - o_{jk}|,

    for ``cls_preds`` (batch, a, 1 + classes) logits, ``cls_labels`` (batch, a) from
    :func:`multibox_target` (0: background), ``bbox_preds``, ``bbox_labels`` and ``bbox_masks``
    (batch, 4a).  The mask keeps background anchors out of the offset term; the :math:`L_1`
    distance, unlike the squared one, does not let a few badly placed anchors dominate.
    Returns (batch,); average it for training.

    >>> cls_preds = mb.zeros((1, 2, 3))                 # 1 example, 2 anchors, 1 + 2 classes
    >>> cls_labels = mb.array([[0, 2]])                 # background, class 1
    >>> bbox_masks = mb.array([[0.0] * 4 + [1.0] * 4])  # only the second anchor's offsets count
    >>> bbox_preds, bbox_labels = mb.zeros((1, 8)), mb.ones((1, 8))
    >>> loss = vision.multibox_loss(cls_preds, cls_labels, bbox_preds, bbox_labels, bbox_masks)
    >>> mb.show(loss, decimals=4)                       # log 3 + 4 / 8
    tensor([1.5986], shape=(1,), dtype=float32)
    """
    shape = ops.shape(cls_preds)
    if len(shape) != 3:
        raise ValueError(f"multibox_loss: cls_preds need shape (batch, anchors, 1 + classes), "
                         f"got {shape}")
    batch, num_anchors, num_classes = shape
    if ops.shape(bbox_preds) != (batch, 4 * num_anchors):
        raise ValueError(f"multibox_loss: bbox_preds need shape (batch, 4 * anchors) = "
                         f"{(batch, 4 * num_anchors)}, got {ops.shape(bbox_preds)}")
    cls = losses.cross_entropy(ops.reshape(cls_preds, (-1, num_classes)),
                               ops.reshape(cls_labels, (-1,)), reduction="none")
    cls = ops.mean(ops.reshape(cls, (batch, -1)), axis=1)
    bbox = ops.mean(ops.abs((bbox_preds - bbox_labels) * bbox_masks), axis=1)
    return cls + bbox


def nms(boxes: Any, scores: Any, iou_threshold: float) -> Any:
    """Non-maximum suppression: the indices (int64, best score first) of the boxes to keep.
    The box with the highest score is kept and every remaining box whose IoU with it exceeds
    ``iou_threshold`` is dropped; repeat with the next best remaining box.

    >>> boxes = mb.array([[0.0, 0.0, 2.0, 2.0], [0.1, 0.0, 2.1, 2.0], [3.0, 3.0, 4.0, 4.0]])
    >>> scores = mb.array([0.8, 0.9, 0.3])
    >>> mb.tolist(vision.nms(boxes, scores, iou_threshold=0.5))   # box 0 overlaps box 1
    [1, 2]
    """
    order = np.argsort(-ops.to_numpy(scores), kind="stable")
    iou = ops.to_numpy(box_iou(boxes, boxes))
    keep = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        order = order[1:][iou[best, order[1:]] <= iou_threshold]
    return ops.array(np.asarray(keep, dtype="int64"))


def multibox_detection(cls_probs: Any, offset_preds: Any, anchors: Any,
                       nms_threshold: float = 0.5, pos_threshold: float = 0.009) -> Any:
    """Predicted boxes from class probabilities (batch, 1 + classes, na) (row 0: background),
    offsets (batch, na * 4) and anchors (1, na, 4).  Returns (batch, na, 6) rows
    ``(class, confidence, x1, y1, x2, y2)``, kept boxes first by confidence; ``class`` is -1 for
    boxes that are background, suppressed by NMS (per image, across classes, as in the book), or
    less confident than ``pos_threshold``.

    >>> anchors = mb.array([[[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95],
    ...                      [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]]])
    >>> offset_preds = mb.zeros((1, 16))
    >>> cls_probs = mb.array([[[0.0, 0.0, 0.0, 0.0],            # background
    ...                        [0.9, 0.8, 0.7, 0.1],            # dog
    ...                        [0.1, 0.2, 0.3, 0.9]]])          # cat
    >>> mb.show(vision.multibox_detection(cls_probs, offset_preds, anchors), decimals=4)
    tensor([[[ 0.  ,  0.9 ,  0.1 ,  0.08,  0.52,  0.92],
             [ 1.  ,  0.9 ,  0.55,  0.2 ,  0.9 ,  0.88],
             [-1.  ,  0.8 ,  0.08,  0.2 ,  0.56,  0.95],
             [-1.  ,  0.7 ,  0.15,  0.3 ,  0.62,  0.91]]], shape=(1, 4, 6), dtype=float32)
    """
    anchors = anchors[0] if len(ops.shape(anchors)) == 3 else anchors
    num_anchors = ops.shape(anchors)[0]
    results = []
    for i in range(ops.shape(cls_probs)[0]):
        probs = ops.to_numpy(cls_probs[i])
        conf, class_id = probs[1:].max(axis=0), probs[1:].argmax(axis=0).astype("int64")
        boxes = offset_inverse(anchors, ops.reshape(offset_preds[i], (-1, 4)))
        keep = ops.to_numpy(nms(boxes, ops.array(conf), nms_threshold))
        rest = np.setdiff1d(np.arange(num_anchors), keep)
        order = np.concatenate([keep, rest])
        class_id[rest] = -1
        class_id[conf < pos_threshold] = -1
        boxes_np = ops.to_numpy(boxes)
        rows = np.concatenate([class_id[order, None].astype("float32"),
                               conf[order, None].astype("float32"), boxes_np[order]], axis=1)
        results.append(ops.array(rows.astype("float32")))
    return ops.stack(results)
