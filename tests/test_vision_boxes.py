"""Bounding boxes and anchors (``mlbook.vision``) against hand-computed cases, on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlbook as mb
from mlbook import vision


def close(x, expected, atol=1e-5):
    np.testing.assert_allclose(mb.to_numpy(x), np.asarray(expected, dtype="float64"), atol=atol,
                               rtol=1e-5)


def test_corner_center_round_trip(backend):
    boxes = mb.array([[60.0, 45.0, 378.0, 516.0], [400.0, 112.0, 655.0, 493.0]])
    center = vision.box_corner_to_center(boxes)
    close(center, [[219, 280.5, 318, 471], [527.5, 302.5, 255, 381]])
    close(vision.box_center_to_corner(center), mb.to_numpy(boxes))
    rng = np.random.default_rng(0)
    corners = np.sort(rng.uniform(0, 1, (3, 7, 2, 2)), axis=2).transpose(0, 1, 3, 2)
    corners = mb.array(corners.reshape(3, 7, 4).astype("float32"))   # any leading axes
    close(vision.box_center_to_corner(vision.box_corner_to_center(corners)),
          mb.to_numpy(corners), atol=1e-6)
    with pytest.raises(ValueError, match="4 numbers in their last axis"):
        vision.box_corner_to_center(mb.zeros((2, 3)))


def test_box_iou_hand_computed(backend):
    a = mb.array([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 4.0, 4.0]])
    b = mb.array([[1.0, 1.0, 3.0, 3.0], [2.0, 2.0, 3.0, 3.0], [1.0, 1.0, 2.0, 2.0]])
    close(vision.box_iou(a, b), [[1 / 7, 0, 1 / 4],          # overlap 1 of 4 + 4 - 1; touch
                                 [0, 0, 0],                 # disjoint
                                 [4 / 16, 1 / 16, 1 / 16]])  # contained
    close(vision.box_iou(a, a), [[1, 1 / 4, 4 / 16], [1 / 4, 1, 1 / 16], [4 / 16, 1 / 16, 1]])
    with pytest.raises(ValueError, match=r"\(n, 4\) and \(m, 4\)"):
        vision.box_iou(mb.zeros((1, 2, 4)), b)


def test_multibox_prior_count_and_geometry(backend):
    anchors = vision.multibox_prior((1, 3, 2, 4), sizes=[0.5], ratios=[1, 4])
    assert mb.shape(anchors) == (1, 2 * 4 * 2, 4)
    # pixel (0, 0) has centre (0.125, 0.25); size 0.5, ratio 1: 0.5 * h / w wide, 0.5 high
    close(anchors[0, :2], [[0.0, 0.0, 0.25, 0.5],
                           [-0.125, 0.125, 0.375, 0.375]])      # ratio 4: 2 px wide, 0.5 high
    # the next anchors belong to pixel (0, 1), centre x = 0.375
    close(anchors[0, 2], [0.25, 0.0, 0.5, 0.5])
    sizes, ratios = [0.75, 0.5, 0.25], [1, 2, 0.5]
    anchors = vision.multibox_prior((561, 728), sizes, ratios)
    n, m = len(sizes), len(ratios)
    assert mb.shape(anchors) == (1, 561 * 728 * (n + m - 1), 4)
    boxes = mb.reshape(anchors, (561, 728, n + m - 1, 4))
    close(boxes[250, 250, 0], [0.0551, 0.0715, 0.6331, 0.8215], atol=1e-4)   # the book's value
    pixels = mb.to_numpy(boxes[250, 250]) * np.array([728, 561, 728, 561])
    widths, heights = pixels[:, 2] - pixels[:, 0], pixels[:, 3] - pixels[:, 1]
    np.testing.assert_allclose(widths / heights, [1, 1, 1, 2, 0.5], rtol=1e-4)
    with pytest.raises(ValueError, match="positive"):
        vision.multibox_prior((4, 4), sizes=[], ratios=[1])


BOOK_GROUND_TRUTH = [[0, 0.1, 0.08, 0.52, 0.92], [1, 0.55, 0.2, 0.9, 0.88]]
BOOK_ANCHORS = [[0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4], [0.63, 0.05, 0.88, 0.98],
                [0.66, 0.45, 0.8, 0.8], [0.57, 0.3, 0.92, 0.9]]


def test_assign_anchor_to_bbox_and_multibox_target(backend):
    gt, anchors = mb.array(BOOK_GROUND_TRUTH), mb.array(BOOK_ANCHORS)
    assert mb.tolist(vision.assign_anchor_to_bbox(gt[:, 1:], anchors)) == [-1, 0, 1, -1, 1]
    offset, mask, classes = vision.multibox_target(mb.expand_dims(anchors, 0),
                                                   mb.expand_dims(gt, 0))
    assert mb.tolist(classes) == [[0, 1, 2, 0, 2]]
    assert mb.tolist(mask) == [[0.0] * 4 + [1.0] * 8 + [0.0] * 4 + [1.0] * 4]
    # anchor 1 (0.15, 0.2, 0.4, 0.4) -> dog box (0.1, 0.08, 0.52, 0.92), by the formula
    xa, ya, wa, ha = 0.275, 0.3, 0.25, 0.2
    xb, yb, wb, hb = 0.31, 0.5, 0.42, 0.84
    expected = [(xb - xa) / wa / 0.1, (yb - ya) / ha / 0.1, math.log(wb / wa) / 0.2,
                math.log(hb / ha) / 0.2]
    close(offset[0, 4:8], expected, atol=1e-4)
    close(offset[0, 4:], [1.40, 10.0, 2.59, 7.18, -1.20, 0.269, 1.68, -1.57, 0, 0, 0, 0,
                          -0.571, -1.0, 0, 0.626], atol=5e-3)       # the book's printed values
    # a padding row (class -1) is ignored
    padded = mb.array([BOOK_GROUND_TRUTH + [[-1, 0, 0, 0, 0]]])
    _, _, classes2 = vision.multibox_target(mb.expand_dims(anchors, 0), padded)
    assert mb.tolist(classes2) == [[0, 1, 2, 0, 2]]
    with pytest.raises(ValueError, match=r"\(batch, boxes, 5\)"):
        vision.multibox_target(anchors, mb.zeros((2, 5)))


def test_offsets_round_trip(backend):
    anchors = mb.array(BOOK_ANCHORS)
    boxes = mb.array([row[1:] for row in BOOK_GROUND_TRUTH] * 2 + [[0.2, 0.2, 0.3, 0.5]])
    close(vision.offset_inverse(anchors, vision.offset_boxes(anchors, boxes)),
          mb.to_numpy(boxes), atol=1e-5)
    close(vision.offset_inverse(anchors, mb.zeros((5, 4))), BOOK_ANCHORS, atol=1e-6)


def test_nms_hand_computed(backend):
    boxes = mb.array([[0.0, 0.0, 1.0, 1.0],      # 0.9
                      [0.0, 0.0, 1.0, 0.9],      # 0.8: IoU 0.9 with box 0, suppressed
                      [0.0, 0.5, 1.0, 1.5],      # 0.7: IoU 1/3 with box 0, kept
                      [2.0, 2.0, 3.0, 3.0]])     # 0.1: far away, kept
    scores = mb.array([0.9, 0.8, 0.7, 0.1])
    assert mb.tolist(vision.nms(boxes, scores, 0.5)) == [0, 2, 3]
    assert mb.tolist(vision.nms(boxes, scores, 0.3)) == [0, 3]
    assert mb.tolist(vision.nms(boxes, scores, 0.95)) == [0, 1, 2, 3]


def test_multibox_detection_book_example(backend):
    anchors = mb.array([[[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95],
                         [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]]])
    cls_probs = mb.array([[[0.0] * 4, [0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.9]]])
    out = vision.multibox_detection(cls_probs, mb.zeros((1, 16)), anchors, nms_threshold=0.5)
    close(out[0], [[0, 0.9, 0.1, 0.08, 0.52, 0.92], [1, 0.9, 0.55, 0.2, 0.9, 0.88],
                   [-1, 0.8, 0.08, 0.2, 0.56, 0.95], [-1, 0.7, 0.15, 0.3, 0.62, 0.91]])


def test_multibox_loss_against_numpy(backend):
    rng = np.random.default_rng(0)
    cls_preds = rng.normal(size=(2, 5, 4)).astype("float32")
    cls_labels = rng.integers(0, 4, (2, 5))
    bbox_preds = rng.normal(size=(2, 20)).astype("float32")
    bbox_labels = rng.normal(size=(2, 20)).astype("float32")
    masks = np.repeat(rng.integers(0, 2, (2, 5)), 4, axis=1).astype("float32")
    logp = cls_preds - np.log(np.exp(cls_preds).sum(-1, keepdims=True))
    ce = -np.take_along_axis(logp, cls_labels[..., None], -1)[..., 0].mean(1)
    l1 = (np.abs(bbox_preds - bbox_labels) * masks).mean(1)
    out = vision.multibox_loss(mb.array(cls_preds), mb.array(cls_labels), mb.array(bbox_preds),
                               mb.array(bbox_labels), mb.array(masks))
    close(out, ce + l1)
    with pytest.raises(ValueError, match="bbox_preds need shape \\(batch, 4 \\* anchors\\)"):
        vision.multibox_loss(mb.array(cls_preds), mb.array(cls_labels), mb.zeros((2, 5)),
                             mb.array(bbox_labels), mb.array(masks))
