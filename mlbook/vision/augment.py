r"""Image augmentation on the neutral API (the book's stand-in for ``torchvision.transforms``).

Images are float tensors with channels first: one image ``(C, H, W)`` or a batch ``(N, C, H, W)``,
with values in [0, 1] (:func:`to_tensor` turns a photo, an ``(H, W, 3)`` uint8 array, into
one).  A transform is a callable object: ``RandomHorizontalFlip()(img)``.  Given a batch, a
random transform draws its parameters independently for every image, so one call augments a
whole minibatch.

Every random choice (flip or not, which crop, which colour change) is drawn from mlbook's seeded
numpy generator (:func:`mlbook.seed`), and the pixels are computed with mlbook's ops, so the same
seed gives the same augmented images on every backend.

Geometric transforms (crops, resizing) are linear maps of the pixels: an output of height
:math:`h'` and width :math:`w'` is :math:`R_y X R_x^\top` for a resampling matrix :math:`R_y`
(:math:`h' \times H`) and :math:`R_x` (:math:`w' \times W`), one pair per image, built in numpy
(:func:`resample_matrix`) and applied with a batched matrix product.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import config, ops

__all__ = ["to_tensor", "to_image", "resample_matrix", "resize", "crop_resize",
           "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb",
           "Compose", "RandomHorizontalFlip", "RandomVerticalFlip", "Resize", "CenterCrop",
           "RandomCrop", "RandomResizedCrop", "ColorJitter", "Normalize"]

#: ITU-R 601-2 luma weights of red, green and blue (PIL's and torchvision's grayscale).
LUMA = (0.299, 0.587, 0.114)


# --------------------------------------------------------------------------- conversion
def to_tensor(img: Any) -> Any:
    """A photo as a float32 ``(C, H, W)`` tensor in [0, 1] (torchvision's ``ToTensor``): an
    ``(H, W, 3)`` or ``(H, W)`` uint8 array is divided by 255 and its channels moved first; an
    ``(N, H, W, 3)`` array becomes an ``(N, 3, H, W)`` batch.

    >>> gray = np.array([[0, 51], [255, 102]], dtype=np.uint8)         # (H, W)
    >>> mb.show(vision.to_tensor(gray))                                 # (1, H, W), divided by 255
    tensor([[[0. , 0.2],
             [1. , 0.4]]], shape=(1, 2, 2), dtype=float32)
    >>> mb.shape(vision.to_tensor(np.zeros((32, 48, 3), dtype=np.uint8)))      # (H, W, 3)
    (3, 32, 48)
    >>> mb.shape(vision.to_tensor(np.zeros((8, 32, 48, 3), dtype=np.uint8)))   # a batch
    (8, 3, 32, 48)
    """
    a = np.asarray(ops.to_numpy(img) if ops.is_tensor(img) else img)
    if a.ndim not in (2, 3, 4):
        raise ValueError(f"to_tensor expects an (H, W), (H, W, C) or (N, H, W, C) image, got "
                         f"shape {a.shape}")
    if a.ndim == 2:
        a = a[:, :, None]
    a = np.moveaxis(a, -1, -3)
    a = a.astype("float32") / 255.0 if a.dtype == np.uint8 else a.astype("float32")
    return ops.from_numpy(np.ascontiguousarray(a))


def to_image(x: Any) -> np.ndarray:
    """The inverse of :func:`to_tensor` for display: a ``(C, H, W)`` tensor as an ``(H, W, C)``
    numpy array clipped to [0, 1] (``(H, W)`` for one channel).

    >>> x = mb.array([[[1.5, 0.5]], [[0.25, 0.0]], [[-0.5, 1.0]]])   # (C, H, W) = (3, 1, 2)
    >>> img = vision.to_image(x)
    >>> img.shape, img.tolist()                                        # clipped to [0, 1]
    ((1, 2, 3), [[[1.0, 0.25, 0.0], [0.5, 0.0, 1.0]]])
    >>> vision.to_image(mb.zeros((1, 2, 2))).shape                     # one channel: (H, W)
    (2, 2)
    """
    a = np.clip(ops.to_numpy(x), 0, 1)
    if a.ndim != 3:
        raise ValueError(f"to_image expects one (C, H, W) image, got shape {a.shape}")
    a = np.moveaxis(a, 0, -1)
    return a[:, :, 0] if a.shape[-1] == 1 else a


def _check_image(name: str, x: Any, color: bool = False) -> tuple[int, ...]:
    if isinstance(x, np.ndarray) and x.dtype == np.uint8:
        raise TypeError(f"{name}: got a uint8 array of shape {x.shape}; transforms take float "
                        "(C, H, W) images in [0, 1]: convert a photo with vision.to_tensor(img)")
    shape = ops.shape(x)
    floating = x.dtype.kind == "f" if isinstance(x, np.ndarray) else ops.is_floating(x)
    if len(shape) not in (3, 4) or not floating:
        raise ValueError(f"{name}: expects a float (C, H, W) image or (N, C, H, W) batch, got "
                         f"shape {shape}; convert a photo with vision.to_tensor(img)")
    if color and shape[-3] not in (1, 3):
        raise ValueError(f"{name}: colour transforms need 1 or 3 channels (C, H, W), got "
                         f"{shape[-3]} channels in shape {shape}")
    return shape


def _batch_size(shape: tuple[int, ...]) -> int | None:
    return shape[0] if len(shape) == 4 else None


# --------------------------------------------------------------------------- resampling
def resample_matrix(out_size: int, in_size: int, start: float = 0.0,
                    length: float | None = None, antialias: bool = True) -> np.ndarray:
    r"""The (out_size, in_size) matrix that resamples the pixels from ``start`` to ``start + length`` of an
    axis of ``in_size`` pixels to ``out_size`` pixels with (triangle-filter) bilinear
    interpolation, pixel centres aligned (``align_corners=False``).

    Output pixel :math:`i` is centred at :math:`c_i = \mathrm{start} + (i + \tfrac12)\,s` with
    :math:`s = \mathrm{length} / \mathrm{out\_size}`; input pixel :math:`j` gets the weight
    :math:`\max(0, 1 - |j + \tfrac12 - c_i| / \sigma)`, normalised to sum to 1 over the pixels
    inside the crop, with :math:`\sigma = \max(s, 1)` when ``antialias`` (as PIL and
    ``torch.nn.functional.interpolate(..., antialias=True)`` do, so that shrinking averages
    every input pixel instead of skipping some) and :math:`\sigma = 1` otherwise (plain bilinear
    interpolation of the two nearest pixels).  Enlarging is the same either way.

    >>> vision.resample_matrix(4, 2)                      # enlarge 2 pixels to 4
    array([[1.  , 0.  ],
           [0.75, 0.25],
           [0.25, 0.75],
           [0.  , 1.  ]])
    >>> vision.resample_matrix(2, 4, antialias=False)     # shrink: average the two nearest
    array([[0.5, 0.5, 0. , 0. ],
           [0. , 0. , 0.5, 0.5]])
    >>> vision.resample_matrix(2, 4, start=1, length=2)   # crop pixels 1 and 2
    array([[0., 1., 0., 0.],
           [0., 0., 1., 0.]])
    """
    if out_size < 1 or in_size < 1:
        raise ValueError(f"resample_matrix: sizes must be positive, got {out_size} and {in_size}")
    length = float(in_size - start) if length is None else float(length)
    if start < 0 or length <= 0 or start + length > in_size + 1e-9:
        raise ValueError(f"resample_matrix: the crop {start} .. {start + length} does not lie in "
                         f"an axis of {in_size} pixels")
    scale = length / out_size
    support = max(scale, 1.0) if antialias else 1.0
    centers = start + (np.arange(out_size) + 0.5) * scale                 # (out,)
    pixels = np.arange(in_size) + 0.5                                    # (in,)
    weights = np.maximum(0.0, 1.0 - np.abs(pixels[None, :] - centers[:, None]) / support)
    lo, hi = math.floor(start + 1e-9), math.ceil(start + length - 1e-9)  # pixels in the crop
    weights[:, :lo] = 0
    weights[:, hi:] = 0
    # every centre lies inside the crop, within half a pixel of the centre of the pixel under
    # it, which therefore has a weight of at least 1/2: no row is all zeros
    return weights / weights.sum(axis=1, keepdims=True)


def _apply_matrices(x: Any, rows: np.ndarray, cols: np.ndarray) -> Any:
    """:math:`R_y X R_x^\\top` per image: rows (N, h', H) or (h', H), cols (N, w', W) or (w', W)."""
    if rows.ndim == 3:                                   # a batch: one matrix per image
        rows, cols = rows[:, None], cols[:, None]        # broadcast over the channels
    ry = ops.from_numpy(rows.astype("float32"))
    rxt = ops.from_numpy(np.ascontiguousarray(np.swapaxes(cols, -1, -2)).astype("float32"))
    return ops.matmul(ops.matmul(ry, x), rxt)


def _size_pair(size: int | Sequence[int], name: str) -> tuple[int, int]:
    pair = (size, size) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)
    if len(pair) != 2 or min(pair) < 1:
        raise ValueError(f"{name}: size must be a positive int or (height, width), got {size!r}")
    return int(pair[0]), int(pair[1])


def crop_resize(x: Any, boxes: Any, size: int | Sequence[int], antialias: bool = True) -> Any:
    """Crop ``boxes`` out of ``x`` and resize each crop to ``size`` (``(height, width)`` or an
    int).  ``boxes`` is ``(top, left, height, width)`` in pixels: one box for an image, or one
    box per image of a batch ((N, 4)).  See :func:`resample_matrix`.

    >>> x = mb.reshape(mb.arange(16.0), (1, 4, 4))
    >>> mb.show(vision.crop_resize(x, (1, 1, 2, 2), 2), decimals=4)   # (top, left, height, width)
    tensor([[[ 5.,  6.],
             [ 9., 10.]]], shape=(1, 2, 2), dtype=float32)
    >>> batch = mb.zeros((2, 3, 8, 8))                                  # one box per image
    >>> mb.shape(vision.crop_resize(batch, [(0, 0, 4, 4), (2, 2, 6, 6)], (4, 2)))
    (2, 3, 4, 2)
    """
    shape = _check_image("crop_resize", x)
    out_h, out_w = _size_pair(size, "crop_resize")
    H, W = shape[-2:]
    boxes = np.asarray(boxes, dtype="float64")
    batch = _batch_size(shape)
    want = (4,) if batch is None else (batch, 4)
    if boxes.shape != want:
        raise ValueError(f"crop_resize: boxes must have shape {want} (top, left, height, width), "
                         f"got {boxes.shape}")
    flat = boxes.reshape(-1, 4)
    rows = np.stack([resample_matrix(out_h, H, t, h, antialias) for t, _, h, _ in flat])
    cols = np.stack([resample_matrix(out_w, W, l, w, antialias) for _, l, _, w in flat])
    return _apply_matrices(x, rows if batch is not None else rows[0],
                           cols if batch is not None else cols[0])


def resize(x: Any, size: int | Sequence[int], antialias: bool = True) -> Any:
    """Resize an image or batch to ``size``: ``(height, width)``, or an int for the *shorter*
    side, keeping the aspect ratio (as torchvision's ``Resize``).

    >>> x = mb.array([[[0.0, 1.0]]])                     # one 1 x 2 image
    >>> mb.show(vision.resize(x, (1, 4)), decimals=4)    # bilinear, pixel centres aligned
    tensor([[[0.  , 0.25, 0.75, 1.  ]]], shape=(1, 1, 4), dtype=float32)
    >>> mb.shape(vision.resize(mb.zeros((3, 32, 48)), 16))   # an int sets the shorter side
    (3, 16, 24)
    """
    shape = _check_image("resize", x)
    H, W = shape[-2:]
    if isinstance(size, (int, np.integer)):
        if size < 1:
            raise ValueError(f"resize: size must be positive, got {size}")
        out = (int(size), max(1, int(size * W / H))) if H <= W else \
              (max(1, int(size * H / W)), int(size))
    else:
        out = _size_pair(size, "resize")
    rows, cols = resample_matrix(out[0], H, antialias=antialias), \
        resample_matrix(out[1], W, antialias=antialias)
    return _apply_matrices(x, rows, cols)


# --------------------------------------------------------------------------- colour
def rgb_to_grayscale(x: Any) -> Any:
    """Luma :math:`0.299 R + 0.587 G + 0.114 B` of (..., 3, H, W) images, keeping a channel axis
    of 1 (one-channel images are returned as they are).

    >>> x = mb.array([[[1.0, 1.0]], [[0.0, 1.0]], [[0.0, 1.0]]])   # a red and a white pixel
    >>> mb.show(vision.rgb_to_grayscale(x), decimals=4)
    tensor([[[0.299, 1.   ]]], shape=(1, 1, 2), dtype=float32)
    """
    shape = _check_image("rgb_to_grayscale", x, color=True)
    if shape[-3] == 1:
        return x
    r, g, b = x[..., 0:1, :, :], x[..., 1:2, :, :], x[..., 2:3, :, :]
    return LUMA[0] * r + LUMA[1] * g + LUMA[2] * b


def _blend(x: Any, other: Any, factor: Any) -> Any:
    """:math:`\\mathrm{clip}(f x + (1 - f)\\,\\mathrm{other}, 0, 1)`."""
    return ops.clip(factor * x + (1.0 - factor) * other, 0.0, 1.0)


def _factor(factor: Any, shape: tuple[int, ...]) -> Any:
    """One factor, or one per image of a batch, as a tensor that broadcasts against images of
    ``shape``: (N, 1, 1, 1) for a batch, (1, 1, 1) for one image."""
    values = np.asarray(factor, "float32")
    n = shape[0] if len(shape) == 4 else 1
    if values.size not in (1, n):
        raise ValueError(f"got {values.size} factors for {n} image(s) of shape {shape}: give one "
                         "factor, or one per image")
    values = np.broadcast_to(values.reshape(-1), (n,))
    return ops.from_numpy(values.reshape((-1, 1, 1, 1) if len(shape) == 4 else (1, 1, 1)))


def adjust_brightness(x: Any, factor: float | Sequence[float]) -> Any:
    """:math:`\\mathrm{clip}(f x, 0, 1)`: 0 gives black, 1 the image, 2 twice as bright.
    ``factor`` may hold one number per image of a batch.

    >>> x = mb.array([[[0.25, 0.5, 0.75]]])
    >>> mb.show(vision.adjust_brightness(x, 2.0))              # clipped at 1
    tensor([[[0.5, 1. , 1. ]]], shape=(1, 1, 3), dtype=float32)
    >>> batch = mb.full((2, 1, 1, 1), 0.5)
    >>> mb.show(mb.reshape(vision.adjust_brightness(batch, [0.5, 1.5]), (2,)))   # one per image
    tensor([0.25, 0.75], shape=(2,), dtype=float32)
    """
    shape = _check_image("adjust_brightness", x)
    return ops.clip(_factor(factor, shape) * x, 0.0, 1.0)


def adjust_contrast(x: Any, factor: float | Sequence[float]) -> Any:
    """Blend with the image's mean gray level: 0 gives a uniform gray, 1 the image.

    >>> x = mb.array([[[0.0, 0.5, 1.0]]])                      # mean gray level 0.5
    >>> mb.show(vision.adjust_contrast(x, 0.5), decimals=4)
    tensor([[[0.25, 0.5 , 0.75]]], shape=(1, 1, 3), dtype=float32)
    >>> mb.show(vision.adjust_contrast(x, 0.0), decimals=4)
    tensor([[[0.5, 0.5, 0.5]]], shape=(1, 1, 3), dtype=float32)
    """
    shape = _check_image("adjust_contrast", x, color=True)
    mean = ops.mean(rgb_to_grayscale(x), axis=(-3, -2, -1), keepdims=True)
    return _blend(x, mean, _factor(factor, shape))


def adjust_saturation(x: Any, factor: float | Sequence[float]) -> Any:
    """Blend with the grayscale image: 0 gives gray, 1 the image, 2 stronger colours.  A
    one-channel image has no colour and is returned as it is.

    >>> red = mb.array([[[1.0]], [[0.0]], [[0.0]]])           # one red pixel, (3, 1, 1)
    >>> mb.show(mb.reshape(vision.adjust_saturation(red, 0.0), (3,)), decimals=4)   # its luma
    tensor([0.299, 0.299, 0.299], shape=(3,), dtype=float32)
    >>> mb.show(mb.reshape(vision.adjust_saturation(red, 0.5), (3,)), decimals=4)
    tensor([0.6495, 0.1495, 0.1495], shape=(3,), dtype=float32)
    """
    shape = _check_image("adjust_saturation", x, color=True)
    if shape[-3] == 1:
        return x
    return _blend(x, rgb_to_grayscale(x), _factor(factor, shape))


def rgb_to_hsv(x: Any) -> Any:
    """(..., 3, H, W) RGB in [0, 1] to hue, saturation, value, each in [0, 1] (hue in turns:
    0 red, 1/3 green, 2/3 blue), as ``colorsys.rgb_to_hsv`` per pixel.

    >>> x = mb.array([[[1.0, 0.0, 0.5]], [[0.0, 0.0, 0.5]], [[0.0, 0.5, 0.5]]])  # red, navy, gray
    >>> mb.show(vision.rgb_to_hsv(x)[:, 0], decimals=4)   # rows: hue, saturation, value
    tensor([[0.    , 0.6667, 0.    ],
            [1.    , 1.    , 0.    ],
            [1.    , 0.5   , 0.5   ]], shape=(3, 3), dtype=float32)
    """
    _check_image("rgb_to_hsv", x)
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc = ops.maximum(ops.maximum(r, g), b)
    minc = ops.minimum(ops.minimum(r, g), b)
    delta = maxc - minc
    gray = ops.equal(delta, 0.0)
    sat = delta / ops.where(ops.equal(maxc, 0.0), ops.ones_like(maxc), maxc)
    safe = ops.where(gray, ops.ones_like(delta), delta)
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    hue = ops.where(ops.equal(maxc, r), bc - gc,
                    ops.where(ops.equal(maxc, g), 2.0 + rc - bc, 4.0 + gc - rc))
    hue = hue / 6.0
    hue = ops.where(gray, ops.zeros_like(hue), hue - ops.floor(hue))     # modulo 1
    return ops.stack([hue, sat, maxc], axis=-3)


def hsv_to_rgb(x: Any) -> Any:
    """The inverse of :func:`rgb_to_hsv` (``colorsys.hsv_to_rgb`` per pixel).

    >>> hsv = mb.array([[[0.5, 0.0]], [[1.0, 0.0]], [[1.0, 0.6]]])   # cyan, and gray 0.6
    >>> mb.show(vision.hsv_to_rgb(hsv)[:, 0], decimals=4)   # rows: red, green, blue
    tensor([[0. , 0.6],
            [1. , 0.6],
            [1. , 0.6]], shape=(3, 2), dtype=float32)
    >>> x = mb.array([[[0.2]], [[0.4]], [[0.9]]])
    >>> mb.show(vision.hsv_to_rgb(vision.rgb_to_hsv(x))[:, 0, 0], decimals=4)   # the round trip
    tensor([0.2, 0.4, 0.9], shape=(3,), dtype=float32)
    """
    _check_image("hsv_to_rgb", x)
    h, s, v = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    h6 = (h - ops.floor(h)) * 6.0
    sector = ops.floor(h6)
    f = h6 - sector
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    sector = ops.where(ops.greater_equal(sector, 6.0), sector - 6.0, sector)

    def pick(*values: Any) -> Any:                 # the value for sectors 0..5
        out = values[5]
        for k in range(4, -1, -1):
            out = ops.where(ops.equal(sector, float(k)), values[k], out)
        return out

    return ops.stack([pick(v, q, p, p, t, v), pick(t, v, v, q, p, p), pick(p, p, t, v, v, q)],
                     axis=-3)


def adjust_hue(x: Any, shift: float | Sequence[float]) -> Any:
    """Rotate the hue by ``shift`` turns (in [-0.5, 0.5]; 0.5 swaps every colour for its
    complement); saturation and value are kept.  A one-channel image is returned as it is.

    >>> red = mb.array([[[1.0]], [[0.0]], [[0.0]]])           # one red pixel, (3, 1, 1)
    >>> mb.show(mb.reshape(vision.adjust_hue(red, 1 / 3), (3,)), decimals=4)   # green
    tensor([0., 1., 0.], shape=(3,), dtype=float32)
    >>> mb.show(mb.reshape(vision.adjust_hue(red, 0.5), (3,)), decimals=4)     # cyan
    tensor([0., 1., 1.], shape=(3,), dtype=float32)
    >>> vision.adjust_hue(red, 0.7)
    Traceback (most recent call last):
    ValueError: adjust_hue: the shift must lie in [-0.5, 0.5], got 0.7
    """
    shape = _check_image("adjust_hue", x, color=True)
    shifts = np.asarray(shift, "float64")
    if np.any(np.abs(shifts) > 0.5):
        raise ValueError(f"adjust_hue: the shift must lie in [-0.5, 0.5], got {shift!r}")
    if shape[-3] == 1:
        return x
    hsv = rgb_to_hsv(x)
    hue = hsv[..., 0:1, :, :] + _factor(shifts, shape)
    hue = hue - ops.floor(hue)
    return ops.clip(hsv_to_rgb(ops.concat([hue, hsv[..., 1:, :, :]], axis=-3)), 0.0, 1.0)


# --------------------------------------------------------------------------- transforms
class Compose:
    """Apply transforms one after another: ``Compose([RandomHorizontalFlip(), ColorJitter(0.5)])``.

    >>> t = vision.Compose([vision.Resize((2, 2)), vision.Normalize([0.5], [0.25])])
    >>> t
    Compose([Resize(size=(2, 2)), Normalize(mean=[0.5], std=[0.25])])
    >>> mb.show(t(mb.ones((1, 4, 4))), decimals=4)            # (1 - 0.5) / 0.25
    tensor([[[2., 2.],
             [2., 2.]]], shape=(1, 2, 2), dtype=float32)
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError(f"Compose takes callables, got {type(t).__name__} at position {i}")

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(repr(t) for t in self.transforms) + "])"


def _probability(p: float, name: str) -> float:
    if not 0 <= p <= 1:
        raise ValueError(f"{name}: p must lie in [0, 1], got {p}")
    return float(p)


class _RandomFlip:
    axis = -1

    def __init__(self, p: float = 0.5) -> None:
        self.p = _probability(p, type(self).__name__)

    def __call__(self, x: Any) -> Any:
        shape = _check_image(type(self).__name__, x)
        batch = _batch_size(shape)
        flip = config.generator().random(batch or 1) < self.p
        if not flip.any():
            return x
        n = shape[self.axis]
        flipped = ops.take(x, np.arange(n - 1, -1, -1), axis=len(shape) + self.axis)
        if flip.all():
            return flipped
        return ops.where(ops.from_numpy(flip.reshape(-1, 1, 1, 1)), flipped, x)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left and right with probability ``p`` (per image).

    >>> x = mb.reshape(mb.arange(8.0), (4, 1, 1, 2))          # a batch of four 1 x 2 images
    >>> mb.seed(0)
    >>> mb.show(mb.reshape(vision.RandomHorizontalFlip()(x), (4, 2)))   # each flipped or not
    tensor([[0., 1.],
            [3., 2.],
            [5., 4.],
            [7., 6.]], shape=(4, 2), dtype=float32)
    >>> mb.show(vision.RandomHorizontalFlip(p=1.0)(x[0]))      # always
    tensor([[[1., 0.]]], shape=(1, 1, 2), dtype=float32)
    """
    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Turn upside down with probability ``p`` (per image).

    >>> x = mb.reshape(mb.arange(3.0), (1, 3, 1))             # one 3 x 1 image
    >>> mb.show(vision.RandomVerticalFlip(p=1.0)(x))
    tensor([[[2.],
             [1.],
             [0.]]], shape=(1, 3, 1), dtype=float32)
    >>> vision.RandomVerticalFlip()
    RandomVerticalFlip(p=0.5)
    """
    axis = -2


class Resize:
    """Resize to ``size`` ((height, width), or an int for the shorter side); see :func:`resize`.

    >>> resize = vision.Resize(16)                   # the shorter side becomes 16
    >>> mb.shape(resize(mb.zeros((3, 32, 48))))
    (3, 16, 24)
    >>> mb.shape(vision.Resize((8, 8))(mb.zeros((2, 3, 32, 48))))   # a batch, to 8 x 8
    (2, 3, 8, 8)
    """

    def __init__(self, size: int | Sequence[int], antialias: bool = True) -> None:
        self.size, self.antialias = size, antialias

    def __call__(self, x: Any) -> Any:
        return resize(x, self.size, self.antialias)

    def __repr__(self) -> str:
        return f"Resize(size={self.size})"


class _Crop:
    """Crops ``boxes(H, W, n)`` (top, left, height, width per image) and resizes to ``size``."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = _size_pair(size, type(self).__name__)

    def boxes(self, H: int, W: int, n: int) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: Any) -> Any:
        shape = _check_image(type(self).__name__, x)
        batch = _batch_size(shape)
        boxes = self.boxes(shape[-2], shape[-1], batch or 1)
        return crop_resize(x, boxes if batch is not None else boxes[0], self.size)


class CenterCrop(_Crop):
    """The central ``size`` pixels ((height, width) or an int) of each image.

    >>> x = mb.reshape(mb.arange(16.0), (1, 4, 4))
    >>> mb.show(vision.CenterCrop(2)(x), decimals=4)
    tensor([[[ 5.,  6.],
             [ 9., 10.]]], shape=(1, 2, 2), dtype=float32)
    >>> vision.CenterCrop(5)(x)
    Traceback (most recent call last):
    ValueError: CenterCrop: a 5x5 crop does not fit a 4x4 image
    """

    def boxes(self, H: int, W: int, n: int) -> np.ndarray:
        h, w = self.size
        if h > H or w > W:
            raise ValueError(f"CenterCrop: a {h}x{w} crop does not fit a {H}x{W} image")
        return np.tile([(H - h) // 2, (W - w) // 2, h, w], (n, 1))

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class RandomCrop(_Crop):
    """A random ``size`` crop of each image after padding every side with ``padding`` zeros
    (the classic CIFAR augmentation ``RandomCrop(32, padding=4)``): the image moves by up to
    ``padding`` pixels in each direction.  The crop has the output's size, so resampling only
    selects pixels (no interpolation).

    >>> x = mb.array([[[1.0, 2.0], [3.0, 4.0]]])      # one 2 x 2 image
    >>> mb.seed(0)
    >>> crop = vision.RandomCrop(2, padding=1)         # shifts by up to one pixel, fills with 0
    >>> mb.show(crop(x), decimals=4)
    tensor([[[3., 4.],
             [0., 0.]]], shape=(1, 2, 2), dtype=float32)
    >>> mb.show(crop(x), decimals=4)
    tensor([[[0., 1.],
             [0., 3.]]], shape=(1, 2, 2), dtype=float32)
    """

    def __init__(self, size: int | Sequence[int], padding: int = 0) -> None:
        super().__init__(size)
        if padding < 0:
            raise ValueError(f"RandomCrop: padding must be >= 0, got {padding}")
        self.padding = int(padding)

    def boxes(self, H: int, W: int, n: int) -> np.ndarray:
        h, w = self.size
        if h > H or w > W:
            raise ValueError(f"RandomCrop: a {h}x{w} crop does not fit a {H}x{W} (padded) image")
        gen = config.generator()
        tops, lefts = gen.integers(0, H - h + 1, n), gen.integers(0, W - w + 1, n)
        return np.stack([tops, lefts, np.full(n, h), np.full(n, w)], axis=1)

    def __call__(self, x: Any) -> Any:
        shape = _check_image("RandomCrop", x)
        if self.padding:
            x = ops.pad(x, [(0, 0)] * (len(shape) - 2) + [(self.padding, self.padding)] * 2)
        return super().__call__(x)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomResizedCrop(_Crop):
    r"""A random crop resized to ``size`` (torchvision's ``RandomResizedCrop``): the crop covers
    a fraction of the image's area drawn uniformly from ``scale`` and has an aspect ratio
    (width / height) drawn log-uniformly from ``ratio``.  Up to 10 draws are tried for a crop
    that fits the image; failing that, the central crop of the nearest allowed ratio is used.

    >>> mb.seed(0)
    >>> crop = vision.RandomResizedCrop(4, scale=(0.25, 1.0))
    >>> mb.shape(crop(mb.zeros((2, 3, 32, 32))))       # a different crop of each image
    (2, 3, 4, 4)
    >>> crop.boxes(32, 32, 2)                 # two more draws: (top, left, height, width) each
    array([[ 5,  2, 25, 29],
           [10,  0, 14, 18]])
    """

    def __init__(self, size: int | Sequence[int], scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3 / 4, 4 / 3)) -> None:
        super().__init__(size)
        if not 0 < scale[0] <= scale[1] <= 1:
            raise ValueError(f"RandomResizedCrop: scale must be 0 < low <= high <= 1, got {scale}")
        if not 0 < ratio[0] <= ratio[1]:
            raise ValueError(f"RandomResizedCrop: ratio must be 0 < low <= high, got {ratio}")
        self.scale, self.ratio = tuple(scale), tuple(ratio)

    def boxes(self, H: int, W: int, n: int) -> np.ndarray:
        return np.stack([self._one(H, W) for _ in range(n)])

    def _one(self, H: int, W: int) -> np.ndarray:
        gen, area = config.generator(), H * W
        log_ratio = np.log(self.ratio)
        for _ in range(10):
            target = area * gen.uniform(*self.scale)
            aspect = math.exp(gen.uniform(*log_ratio))
            w, h = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
            if 0 < w <= W and 0 < h <= H:
                return np.array([gen.integers(0, H - h + 1), gen.integers(0, W - w + 1), h, w])
        in_ratio = W / H                                   # fallback: a central crop
        if in_ratio < self.ratio[0]:
            w, h = W, int(round(W / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            h, w = H, int(round(H * self.ratio[1]))
        else:
            w, h = W, H
        return np.array([(H - h) // 2, (W - w) // 2, h, w])

    def __repr__(self) -> str:
        return f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio})"


class ColorJitter:
    """Random changes of brightness, contrast, saturation and hue (torchvision's
    ``ColorJitter``).  Each of the first three factors is drawn uniformly from
    :math:`[\\max(0, 1 - v), 1 + v]` for the value ``v`` given, the hue shift from ``[-hue, hue]``
    (``hue`` at most 0.5); 0 leaves that property alone.  The changes are applied in a random
    order, drawn once per call; their factors are drawn per image.

    >>> mb.seed(0)
    >>> jitter = vision.ColorJitter(brightness=0.5)   # factors from [0.5, 1.5]
    >>> mb.show(mb.reshape(jitter(mb.full((2, 3, 1, 1), 0.5)), (2, 3)), decimals=4)
    tensor([[0.2705, 0.2705, 0.2705],
            [0.2583, 0.2583, 0.2583]], shape=(2, 3), dtype=float32)
    """

    def __init__(self, brightness: float = 0, contrast: float = 0, saturation: float = 0,
                 hue: float = 0) -> None:
        for name, value in (("brightness", brightness), ("contrast", contrast),
                            ("saturation", saturation), ("hue", hue)):
            if value < 0:
                raise ValueError(f"ColorJitter: {name} must be >= 0, got {value}")
        if hue > 0.5:
            raise ValueError(f"ColorJitter: hue must be at most 0.5, got {hue}")
        self.brightness, self.contrast = brightness, contrast
        self.saturation, self.hue = saturation, hue

    def __call__(self, x: Any) -> Any:
        shape = _check_image("ColorJitter", x, color=True)
        n, gen = (_batch_size(shape) or 1), config.generator()
        adjust = [(adjust_brightness, self.brightness), (adjust_contrast, self.contrast),
                  (adjust_saturation, self.saturation), (adjust_hue, self.hue)]
        for k in gen.permutation(4):
            fn, value = adjust[k]
            if not value:
                continue
            if fn is adjust_hue:
                factors = gen.uniform(-value, value, n)
            else:
                factors = gen.uniform(max(0.0, 1 - value), 1 + value, n)
            x = fn(x, factors if len(shape) == 4 else factors[0])
        return x

    def __repr__(self) -> str:
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue})")


class Normalize:
    """:math:`(x - \\mu_c) / \\sigma_c` per channel, e.g. with the ImageNet statistics
    ``Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])``.

    >>> normalize = vision.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    >>> mb.show(mb.reshape(normalize(mb.full((3, 1, 1), 0.5)), (3,)), decimals=4)
    tensor([0.0655, 0.1964, 0.4178], shape=(3,), dtype=float32)
    >>> normalize(mb.zeros((1, 2, 2)))
    Traceback (most recent call last):
    ValueError: Normalize: 3 channel statistics for an image of 1 channels (shape (1, 2, 2))
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean, self.std = np.asarray(mean, "float32"), np.asarray(std, "float32")
        if self.mean.shape != self.std.shape or self.mean.ndim != 1 or np.any(self.std <= 0):
            raise ValueError(f"Normalize: mean and std need one value per channel, std > 0; got "
                             f"{list(mean)} and {list(std)}")

    def __call__(self, x: Any) -> Any:
        shape = _check_image("Normalize", x)
        if shape[-3] != len(self.mean):
            raise ValueError(f"Normalize: {len(self.mean)} channel statistics for an image of "
                             f"{shape[-3]} channels (shape {shape})")
        column = (-1, 1, 1)
        return (x - ops.from_numpy(self.mean.reshape(column))) / ops.from_numpy(
            self.std.reshape(column))

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"
