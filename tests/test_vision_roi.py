"""Region-of-interest pooling (``mlbook.vision.roi_pool``) against the book's worked example and
MXNet's own ``ROIPooling`` operator (the Fast R-CNN reference), on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from mlbook import vision


def mxnet_roi_pooling(features: np.ndarray, rois: np.ndarray, size, scale) -> np.ndarray:
    """The framework's own operator, as the reference."""
    from mlbook.backends import mxnet as mxb                 # imports MXNet, patched for numpy
    return mxb.npx.roi_pooling(mxb.mnp.array(features), mxb.mnp.array(rois),
                               pooled_size=size, spatial_scale=scale).asnumpy()


def test_the_books_worked_example(backend):
    # a 4x4 map, two regions in a 40x40 image scaled by 0.1 onto it
    X = mb.reshape(mb.arange(16.0), (1, 1, 4, 4))
    rois = mb.array([[0, 0, 0, 20, 20], [0, 0, 10, 30, 30]])
    out = vision.roi_pool(X, rois, (2, 2), spatial_scale=0.1)
    np.testing.assert_array_equal(mb.to_numpy(out),
                                  [[[[5, 6], [9, 10]]], [[[9, 11], [13, 15]]]])


@pytest.mark.parametrize("size, scale", [((2, 2), 0.5), ((3, 2), 0.25), ((4, 4), 1.0)])
def test_equals_mxnets_roi_pooling(backend, size, scale):
    rng = np.random.default_rng(sum(size))
    features = rng.normal(size=(2, 3, 7, 9)).astype("float32")
    corners = np.sort(rng.uniform(-4, 40, (12, 2, 2)), axis=1)      # some reach outside
    rois = np.concatenate([rng.integers(0, 2, (12, 1)), corners[:, 0, :], corners[:, 1, :]],
                          axis=1).astype("float32")                 # (idx, x1, y1, x2, y2)
    expected = mxnet_roi_pooling(features, rois, size, scale)
    out = vision.roi_pool(mb.array(features), mb.array(rois), size, scale)
    assert mb.shape(out) == (12, 3) + size
    np.testing.assert_array_equal(mb.to_numpy(out), expected)


def test_gradient_goes_to_each_bins_maximum(backend):
    rng = np.random.default_rng(3)
    features = rng.permutation(2 * 6 * 6).reshape(1, 2, 6, 6).astype("float32")   # no ties
    rois = np.array([[0, 0, 0, 5, 5], [0, 2, 1, 5, 3]], dtype="float32")
    weights = rng.normal(size=(2, 2, 2, 2)).astype("float32")
    g = mb.grad(lambda f: mb.sum(vision.roi_pool(f, rois, 2) * mb.array(weights)))(
        mb.array(features))
    expected = np.zeros_like(features)
    for k, roi in enumerate(rois):
        for i, row in enumerate(vision.roi_bins(roi[1:], (2, 2), 1.0, 6, 6)):
            for j, (r0, r1, c0, c1) in enumerate(row):
                for ch in range(2):
                    window = features[0, ch, r0:r1, c0:c1]
                    r, c = np.unravel_index(window.argmax(), window.shape)
                    expected[0, ch, r0 + r, c0 + c] += weights[k, ch, i, j]
    np.testing.assert_allclose(mb.to_numpy(g), expected, rtol=1e-6)


def test_errors(backend):
    X = mb.zeros((1, 1, 4, 4))
    with pytest.raises(ValueError, match="rows \\(batch_index, x1, y1, x2, y2\\)"):
        vision.roi_pool(X, [[0, 0, 4, 4]], 2)
    with pytest.raises(ValueError, match="batch index 1.0 is not one of the 1 images"):
        vision.roi_pool(X, [[1, 0, 0, 4, 4]], 2)
    with pytest.raises(ValueError, match="NCHW features"):
        vision.roi_pool(mb.zeros((4, 4)), [[0, 0, 0, 4, 4]], 2)


# --------------------------------------------------------------------------- segmentation scores
def test_segmentation_scores_by_hand(backend):
    labels = mb.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    preds = mb.array([[0, 1, 1, 1], [0, 2, 0, 1]])
    c = vision.confusion_matrix(preds, labels, 3)
    np.testing.assert_array_equal(c, [[2, 1, 0], [0, 3, 0], [1, 0, 1]])
    scores = vision.segmentation_scores(preds, labels, 3)
    assert scores["pixel_accuracy"] == 6 / 8
    # IoU: class 0: 2 / (3 + 3 - 2), class 1: 3 / (3 + 4 - 3), class 2: 1 / (2 + 1 - 1)
    np.testing.assert_allclose(scores["iou"], [0.5, 0.75, 0.5])
    assert scores["mean_iou"] == np.mean([0.5, 0.75, 0.5])
    absent = vision.segmentation_scores(np.zeros(4, "int64"), np.zeros(4, "int64"), 2)
    assert absent["mean_iou"] == 1.0 and np.isnan(absent["iou"][1])
    with pytest.raises(ValueError, match="class indices in \\[0, 2\\)"):
        vision.confusion_matrix(preds, labels, 2)
    with pytest.raises(ValueError, match="same shape"):
        vision.confusion_matrix(np.zeros(3, "int64"), np.zeros(4, "int64"), 2)
