r"""Region-of-interest pooling (Fast R-CNN): a fixed-size feature for a box of any size.

A region of interest is a row ``(batch_index, x1, y1, x2, y2)`` in the coordinates of the input
image; ``spatial_scale`` maps it onto the feature map (1/16 for a feature map 16 times smaller).
As in Fast R-CNN, Caffe, MXNet's ``ROIPooling`` and torchvision's ``roi_pool``, the corners are
rounded to feature-map cells, the region (at least one cell) is divided into an
:math:`h \times w` grid of bins of size :math:`r_h / h \times r_w / w`, bin :math:`(i, j)`
covers rows :math:`\lfloor i\, r_h / h \rfloor` to :math:`\lceil (i + 1)\, r_h / h \rceil - 1`
from the region's top (columns alike, clipped to the map), and each bin outputs the maximum of
its cells (0 for a bin outside the map).  The bins are decided in Python; the maxima are neutral
ops, so gradients flow to the feature map on every backend.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import ops

__all__ = ["roi_pool", "roi_bins"]


def _round(v: float) -> int:
    """Round half away from zero, as C's ``round`` in the reference implementations."""
    return int(math.floor(v + 0.5)) if v >= 0 else -int(math.floor(-v + 0.5))


def roi_bins(roi: Sequence[float], output_size: tuple[int, int], spatial_scale: float,
             height: int, width: int) -> list[list[tuple[int, int, int, int]]]:
    """The cells of each bin of one region ``(x1, y1, x2, y2)`` (image coordinates): a grid of
    ``(row_start, row_end, col_start, col_end)``, ends exclusive, clipped to the
    ``height`` × ``width`` feature map (an empty range for a bin outside it).

    >>> vision.roi_bins((0, 0, 3, 2), (2, 2), 1.0, 4, 4)   # a 3 x 4 region in two rows of bins
    [[(0, 2, 0, 2), (0, 2, 2, 4)], [(1, 3, 0, 2), (1, 3, 2, 4)]]
    """
    x1, y1, x2, y2 = (_round(float(v) * spatial_scale) for v in roi)
    roi_h, roi_w = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
    (ph, pw) = output_size
    bin_h, bin_w = roi_h / ph, roi_w / pw
    grid = []
    for i in range(ph):
        r0 = min(max(math.floor(i * bin_h) + y1, 0), height)
        r1 = min(max(math.ceil((i + 1) * bin_h) + y1, 0), height)
        row = []
        for j in range(pw):
            c0 = min(max(math.floor(j * bin_w) + x1, 0), width)
            c1 = min(max(math.ceil((j + 1) * bin_w) + x1, 0), width)
            row.append((r0, r1, c0, c1))
        grid.append(row)
    return grid


def roi_pool(features: Any, rois: Any, output_size: int | tuple[int, int],
             spatial_scale: float = 1.0) -> Any:
    """Max-pool each region of interest of ``features`` (N, C, H, W) to ``output_size``.

    ``rois`` (K, 5) holds rows ``(batch_index, x1, y1, x2, y2)`` in image coordinates, scaled
    by ``spatial_scale`` onto the feature map.  Returns (K, C, h, w); see the module docstring
    for the bins.

    >>> features = mb.reshape(mb.arange(16.0), (1, 1, 4, 4))
    >>> rois = mb.array([[0, 0, 0, 20, 20], [0, 0, 10, 30, 30]])   # in a 40 x 40 image
    >>> pooled = vision.roi_pool(features, rois, (2, 2), spatial_scale=0.1)
    >>> mb.shape(pooled)                                  # (regions, channels, 2, 2)
    (2, 1, 2, 2)
    >>> mb.show(pooled[0, 0])
    tensor([[ 5.,  6.],
            [ 9., 10.]], shape=(2, 2), dtype=float32)
    >>> mb.show(pooled[1, 0])
    tensor([[ 9., 11.],
            [13., 15.]], shape=(2, 2), dtype=float32)
    """
    shape = ops.shape(features)
    if len(shape) != 4:
        raise ValueError(f"roi_pool needs NCHW features with 4 axes, got shape {shape}")
    boxes = np.asarray(ops.to_numpy(rois) if ops.is_tensor(rois) else rois, dtype="float64")
    if boxes.ndim != 2 or boxes.shape[1] != 5:
        raise ValueError(f"roi_pool: rois need shape (K, 5) with rows (batch_index, x1, y1, x2, "
                         f"y2), got {boxes.shape}")
    size = ops.window_pair(output_size, "output_size")
    n, c, height, width = shape
    pooled = []
    for row in boxes:
        index = int(row[0])
        if not (0 <= index < n and row[0] == index):
            raise ValueError(f"roi_pool: batch index {row[0]} is not one of the {n} images")
        fmap = features[index]
        cells = []
        for bins in roi_bins(row[1:], size, spatial_scale, height, width):
            for r0, r1, c0, c1 in bins:
                if r1 <= r0 or c1 <= c0:
                    cells.append(ops.zeros((c,), ops.dtype(features)))
                else:
                    cells.append(ops.max(fmap[:, r0:r1, c0:c1], axis=(1, 2)))
        pooled.append(ops.reshape(ops.stack(cells, axis=1), (c,) + size))
    if not pooled:
        return ops.zeros((0, c) + size, ops.dtype(features))
    return ops.stack(pooled)
