r"""Generated object-detection and segmentation data: coloured shapes pasted on real photos.

No detection data set can be downloaded offline, so the book makes one, as d2l makes its banana
set: each image is a crop of one of scikit-learn's two sample photos, resized to
``size`` × ``size``, with one to ``max_objects`` shapes (a circle, a square or a triangle, in a
random bright colour) pasted at random positions and scales so that no two boxes overlap (every
box is then exactly the extent of its shape's visible pixels).  Every image comes with

* its boxes, rows ``(class, x1, y1, x2, y2)`` with the corners as fractions of the image's width
  and height (the tight box of the shape's pixels), padded to ``max_objects`` rows with rows of
  -1 (the padding :func:`mlbook.vision.multibox_target` skips);
* its segmentation mask, ``size`` × ``size`` class indices: 0 for the background, ``class + 1``
  for a pixel of a shape.

The data are drawn by numpy from ``seed``, before they become tensors, so every backend sees
the same pixels.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .arrays import ArrayLoader
from .images import load_sample_image, resize_images

__all__ = ["SHAPE_LABELS", "shapes_arrays", "load_data_shapes", "SEGMENTATION_LABELS",
           "SEGMENTATION_COLORMAP"]

#: The classes of the shapes data set, by class index.
#:
#: >>> data.SHAPE_LABELS[0], len(data.SHAPE_LABELS)
#: ('circle', 3)
SHAPE_LABELS = ["circle", "square", "triangle"]
#: The classes of a segmentation mask: the background, then the shapes.
#:
#: >>> data.SEGMENTATION_LABELS
#: ['background', 'circle', 'square', 'triangle']
#: >>> data.SEGMENTATION_LABELS.index("triangle")        # shape class 2 is mask value 3
#: 3
SEGMENTATION_LABELS = ["background"] + SHAPE_LABELS
#: One RGB colour (uint8) per class of :data:`SEGMENTATION_LABELS`, for drawing masks:
#: ``SEGMENTATION_COLORMAP[mask]`` is an (H, W, 3) image (as d2l's ``VOC_COLORMAP``).
#:
#: >>> mask = np.array([[0, 1, 3]])               # a (1, 3) mask: background, circle, triangle
#: >>> data.SEGMENTATION_COLORMAP[mask]
#: array([[[  0,   0,   0],
#:         [255,  64,  64],
#:         [ 64,  64, 255]]], dtype=uint8)
SEGMENTATION_COLORMAP = np.array([[0, 0, 0], [255, 64, 64], [64, 255, 64], [64, 64, 255]],
                                 dtype="uint8")
SEGMENTATION_COLORMAP.flags.writeable = False


@functools.lru_cache(maxsize=None)
def _photos() -> tuple[np.ndarray, ...]:
    """The two sample photos as float32 (3, H, W) arrays in [0, 1] (read once)."""
    return tuple((load_sample_image(name).transpose(2, 0, 1) / 255.0).astype("float32")
                 for name in ("china.jpg", "flower.jpg"))


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A random square crop (a quarter to three quarters of the photo's height) of a random
    photo, resized to ``size`` × ``size``."""
    photo = _photos()[rng.integers(2)]
    _, h, w = photo.shape
    side = int(rng.integers(h // 4, 3 * h // 4 + 1))
    top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    return resize_images(photo[None, :, top:top + side, left:left + side], size)[0]


def _shape_mask(kind: int, size: int, x0: float, y0: float, side: float) -> np.ndarray:
    """The pixels (by their centres) of a shape inscribed in the square with upper-left corner
    (x0, y0) and the given side: a disc, the square itself, or a triangle with its apex at the
    top middle and its base along the bottom."""
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    u, v = (xs - x0) / side, (ys - y0) / side          # coordinates in the unit square
    inside = (u >= 0) & (u <= 1) & (v >= 0) & (v <= 1)
    if kind == 0:
        return (u - 0.5) ** 2 + (v - 0.5) ** 2 <= 0.25
    if kind == 1:
        return inside
    return inside & (np.abs(u - 0.5) <= v / 2)


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether boxes ``(x1, y1, x2, y2)`` share any area."""
    return bool(np.all(np.maximum(a[:2], b[:2]) < np.minimum(a[2:], b[2:])))


def _colour(rng: np.random.Generator) -> np.ndarray:
    """A bright, saturated colour: one channel high, one low, one anywhere."""
    channels = rng.permutation(3)
    colour = np.empty(3, dtype="float32")
    colour[channels[0]] = rng.uniform(0.8, 1.0)
    colour[channels[1]] = rng.uniform(0.0, 0.2)
    colour[channels[2]] = rng.uniform(0.0, 1.0)
    return colour


def shapes_arrays(num_images: int, size: int = 64, max_objects: int = 3, seed: int = 0,
                  scale: tuple[float, float] = (0.2, 0.5)
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(images, boxes, masks)`` for ``num_images`` generated images (see the module
    docstring): images float32 (n, 3, size, size) in [0, 1]; boxes float32
    (n, max_objects, 5), rows ``(class, x1, y1, x2, y2)`` in fractions of the image, padded
    with -1; masks int64 (n, size, size).  A shape's side is a fraction ``scale`` of the
    image's.

    >>> images, boxes, masks = data.shapes_arrays(2, size=32)
    >>> images.shape, boxes.shape, masks.shape
    ((2, 3, 32, 32), (2, 3, 5), (2, 32, 32))
    >>> boxes[0]                        # one circle, then two rows of padding
    array([[ 0.     ,  0.65625,  0.71875,  0.84375,  0.9375 ],
           [-1.     , -1.     , -1.     , -1.     , -1.     ],
           [-1.     , -1.     , -1.     , -1.     , -1.     ]], dtype=float32)
    >>> np.unique(masks[0]).tolist()    # the background and the circle (class 0 + 1)
    [0, 1]
    """
    if num_images < 1 or max_objects < 1:
        raise ValueError(f"shapes_arrays needs num_images >= 1 and max_objects >= 1, got "
                         f"{num_images} and {max_objects}")
    if not 0 < scale[0] <= scale[1] <= 1:
        raise ValueError(f"shapes_arrays: scale must satisfy 0 < low <= high <= 1, got {scale}")
    if size < 8:
        raise ValueError(f"shapes_arrays: size must be at least 8 pixels, got {size}")
    rng = np.random.default_rng(seed)
    images = np.empty((num_images, 3, size, size), dtype="float32")
    boxes = np.full((num_images, max_objects, 5), -1.0, dtype="float32")
    masks = np.zeros((num_images, size, size), dtype="int64")
    for n in range(num_images):
        image = _background(rng, size)
        placed: list[np.ndarray] = []
        for _ in range(int(rng.integers(1, max_objects + 1))):
            for _attempt in range(20):                   # a place that overlaps no other shape
                side = rng.uniform(*scale) * size
                x0, y0 = rng.uniform(0, size - side, 2)
                kind = int(rng.integers(len(SHAPE_LABELS)))
                pixels = _shape_mask(kind, size, x0, y0, side)
                rows, cols = np.nonzero(pixels)
                box = np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1],
                               dtype="float32") / size
                if not any(_overlap(box, other[1:]) for other in placed):
                    break
            else:
                continue                                 # no room left: fewer shapes
            image[:, pixels] = _colour(rng)[:, None]
            masks[n][pixels] = kind + 1
            placed.append(np.concatenate([[kind], box]).astype("float32"))
        images[n] = image
        boxes[n, :len(placed)] = placed
    return images, boxes, masks


def load_data_shapes(batch_size: int, task: str = "detection", num_train: int = 1000,
                     num_test: int = 200, size: int = 64, max_objects: int = 3,
                     seed: int = 0) -> tuple[ArrayLoader, ArrayLoader]:
    """Train and test minibatch iterators over the generated shapes (the book's stand-in for
    d2l's banana and Pascal VOC sets): ``task="detection"`` gives ``(images, boxes)``,
    ``task="segmentation"`` gives ``(images, masks)``.  The training set is drawn from
    ``seed`` and shuffled each pass; the test set from ``seed + 1``.

    >>> train_iter, test_iter = data.load_data_shapes(4, num_train=8, num_test=4, size=32)
    >>> images, boxes = next(iter(train_iter))
    >>> mb.shape(images), mb.shape(boxes), len(train_iter)
    ((4, 3, 32, 32), (4, 3, 5), 2)
    >>> _, test_iter = data.load_data_shapes(4, "segmentation", num_train=8, num_test=4, size=32)
    >>> images, masks = next(iter(test_iter))
    >>> mb.shape(masks), mb.dtype(masks)
    ((4, 32, 32), 'int64')
    """
    if task not in ("detection", "segmentation"):
        raise ValueError(f"load_data_shapes: task must be 'detection' or 'segmentation', got "
                         f"{task!r}")
    loaders: list[Any] = []
    for count, offset, shuffle in ((num_train, 0, True), (num_test, 1, False)):
        images, boxes, masks = shapes_arrays(count, size, max_objects, seed + offset)
        loaders.append(ArrayLoader((images, boxes if task == "detection" else masks), batch_size,
                                   shuffle=shuffle))
    return loaders[0], loaders[1]
