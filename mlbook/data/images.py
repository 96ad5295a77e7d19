"""Image classification data that works offline: scikit-learn's handwritten digits, and
Fashion-MNIST through the download registry (IDX files)."""

from __future__ import annotations

import gzip
import os
import struct
from typing import Any

import numpy as np

from .arrays import ArrayLoader
from .download import DataError, download, register

__all__ = ["load_digits", "digits_arrays", "resize_images", "DIGITS_LABELS", "read_idx", "load_fashion_mnist", "text_labels",
           "fashion_mnist_arrays", "FASHION_MNIST_LABELS"]

#: The class names of the digits data set, by label: ``"0"`` to ``"9"``.
#:
#: >>> data.DIGITS_LABELS[7], len(data.DIGITS_LABELS)
#: ('7', 10)
DIGITS_LABELS = [str(i) for i in range(10)]
#: The class names of Fashion-MNIST, by label.
#:
#: >>> data.FASHION_MNIST_LABELS[0], data.FASHION_MNIST_LABELS[9]
#: ('t-shirt', 'ankle boot')
FASHION_MNIST_LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                        "sneaker", "bag", "ankle boot"]

#: The fixed split of the 1,797 digits: a seed-0 permutation, the first 1,437 for training.
DIGITS_TRAIN = 1437


def digits_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 handwritten digits as ``(X_train, y_train, X_test, y_test)``: images
    float32 (n, 1, 8, 8) scaled to [0, 1], labels int64; a fixed 1437/360 split.

    >>> X_train, y_train, X_test, y_test = data.digits_arrays()
    >>> X_train.shape, X_train.dtype, y_train.dtype, X_test.shape
    ((1437, 1, 8, 8), dtype('float32'), dtype('int64'), (360, 1, 8, 8))
    >>> float(X_train.min()), float(X_train.max()), y_train[:8].tolist()
    (0.0, 1.0, [6, 6, 6, 2, 5, 6, 6, 2])
    """
    from sklearn.datasets import load_digits as _sk_digits
    d = _sk_digits()
    X = (d.images / 16.0).astype("float32")[:, None, :, :]
    y = d.target.astype("int64")
    order = np.random.default_rng(0).permutation(len(y))
    train, test = order[:DIGITS_TRAIN], order[DIGITS_TRAIN:]
    return X[train], y[train], X[test], y[test]


def load_digits(batch_size: int, flatten: bool = False, resize: int | None = None,
                standardize: bool = False) -> tuple[ArrayLoader, ArrayLoader]:
    """Train and test minibatch iterators over the digits (the book's offline stand-in for
    Fashion-MNIST).

    ``flatten`` gives (n, 64) rows instead of (n, 1, 8, 8) images; ``resize=28`` upsamples the
    images to 28×28 (bilinear, :func:`resize_images`), so networks designed for MNIST-sized
    inputs keep their shape; ``standardize`` shifts and scales the pixels to mean 0 and
    standard deviation 1 over the training set (the same shift and scale for the test set).

    >>> train_iter, test_iter = data.load_digits(batch_size=32)
    >>> len(train_iter), len(test_iter)                 # batches of 1437 and 360 digits
    (45, 12)
    >>> X, y = next(iter(test_iter))
    >>> mb.shape(X), mb.dtype(X), mb.tolist(y[:8])
    ((32, 1, 8, 8), 'float32', [0, 8, 8, 9, 8, 3, 7, 5])
    >>> X, y = next(iter(data.load_digits(batch_size=32, flatten=True)[1]))
    >>> mb.shape(X)
    (32, 64)
    """
    X_train, y_train, X_test, y_test = digits_arrays()
    if resize is not None:
        X_train, X_test = resize_images(X_train, resize), resize_images(X_test, resize)
    if standardize:
        mean, std = X_train.mean(dtype=np.float64), X_train.std(dtype=np.float64)
        X_train = ((X_train - mean) / std).astype("float32")
        X_test = ((X_test - mean) / std).astype("float32")
    if flatten:
        X_train, X_test = X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1)
    return (ArrayLoader((X_train, y_train), batch_size, shuffle=True),
            ArrayLoader((X_test, y_test), batch_size, shuffle=False))


def resize_images(images: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    r"""Bilinear resizing of a numpy batch (n, C, H, W) to ``size`` (an int for square images).

    Pixel centres are aligned as in ``torch.nn.functional.interpolate(..., mode="bilinear",
    align_corners=False)`` and ``tf.image.resize``: output pixel :math:`i` samples the input at
    :math:`(i + \tfrac12)\,H/H' - \tfrac12`, clamped to the image.  Done in numpy before the
    images become tensors, so every backend trains on the same pixels.

    >>> image = np.array([[[[0.0, 1.0], [2.0, 3.0]]]], dtype="float32")    # (1, 1, 2, 2)
    >>> data.resize_images(image, 4)
    array([[[[0.  , 0.25, 0.75, 1.  ],
             [0.5 , 0.75, 1.25, 1.5 ],
             [1.5 , 1.75, 2.25, 2.5 ],
             [2.  , 2.25, 2.75, 3.  ]]]], dtype=float32)
    >>> data.resize_images(image, (1, 3))
    array([[[[1. , 1.5, 2. ]]]], dtype=float32)
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"resize_images expects (n, C, H, W) images, got shape {images.shape}")
    out_h, out_w = (size, size) if isinstance(size, int) else tuple(size)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"resize_images: size must be positive, got {size}")
    h, w = images.shape[2:]

    def sample(out: int, inp: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(out) + 0.5) * inp / out - 0.5, 0, inp - 1)
        low = np.floor(pos).astype(int)
        return low, np.minimum(low + 1, inp - 1), pos - low

    y0, y1, fy = sample(out_h, h)
    x0, x1, fx = sample(out_w, w)
    rows = images[:, :, y0, :] * (1 - fy)[:, None] + images[:, :, y1, :] * fy[:, None]
    return (rows[..., x0] * (1 - fx) + rows[..., x1] * fx).astype(images.dtype)


# --------------------------------------------------------------------------- Fashion-MNIST
_FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_FASHION_FILES = {                                    # the official md5s
    "train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
}
for _name, _checksum in _FASHION_FILES.items():
    register(_name, _FASHION_URL + _name, _checksum)

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not), checking its header against its size.

    >>> import pathlib, struct
    >>> header = bytes([0, 0, 0x08, 2]) + struct.pack(">2I", 2, 3)   # uint8, shape (2, 3)
    >>> _ = pathlib.Path("tiny-idx2-ubyte").write_bytes(header + bytes(range(6)))
    >>> data.read_idx("tiny-idx2-ubyte")
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    >>> _ = pathlib.Path("cut-idx2-ubyte").write_bytes(header + bytes(range(5)))
    >>> data.read_idx("cut-idx2-ubyte")
    Traceback (most recent call last):
    mlbook.data.download.DataError: cut-idx2-ubyte: the header says shape (2, 3) (6 bytes of data) but the file holds 5; it is corrupt or truncated
    """
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise DataError(f"{path} is not a readable IDX file ({err}); delete it and download it "
                        "again") from err
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number {data[:4].hex()})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: IDX header truncated")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise DataError(f"{path}: the header says shape {shape} ({expected} bytes of data) but "
                        f"the file holds {len(data) - header}; it is corrupt or truncated")
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def fashion_mnist_arrays(cache_dir: str | None = None) -> tuple[np.ndarray, ...]:
    """Fashion-MNIST as ``(X_train, y_train, X_test, y_test)``: images float32 (n, 1, 28, 28)
    in [0, 1], labels int64.  Files come from the cache or are downloaded (and verified).

    The four files it reads (put them in :func:`data_dir` to work offline):

    >>> for name in data.DATA_HUB:
    ...     if name.endswith("-ubyte.gz"):
    ...         print(name)
    train-images-idx3-ubyte.gz
    train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz
    t10k-labels-idx1-ubyte.gz
    """
    parts = [read_idx(download(name, cache_dir)) for name in _FASHION_FILES]
    (X_train, y_train, X_test, y_test) = parts
    for X, y in ((X_train, y_train), (X_test, y_test)):
        if len(X) != len(y):
            raise DataError(f"Fashion-MNIST: {len(X)} images but {len(y)} labels")
    scale = lambda X: (X.astype("float32") / 255.0)[:, None, :, :]  # noqa: E731
    return scale(X_train), y_train.astype("int64"), scale(X_test), y_test.astype("int64")


def load_fashion_mnist(batch_size: int, cache_dir: str | None = None
                       ) -> tuple[ArrayLoader, ArrayLoader]:
    """Train and test iterators over Fashion-MNIST (the book's ``load_data_fashion_mnist``).

    Where its files come from, and the checksum each download must have:

    >>> url, checksum = data.DATA_HUB["train-images-idx3-ubyte.gz"]
    >>> url
    'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz'
    >>> checksum
    'md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d'
    """
    X_train, y_train, X_test, y_test = fashion_mnist_arrays(cache_dir)
    return (ArrayLoader((X_train, y_train), batch_size, shuffle=True),
            ArrayLoader((X_test, y_test), batch_size, shuffle=False))


def text_labels(labels: Any, names: list[str] = FASHION_MNIST_LABELS) -> list[str]:
    """Class names for integer labels.

    >>> data.text_labels([0, 9, 3])
    ['t-shirt', 'ankle boot', 'dress']
    >>> data.text_labels(mb.array([[7, 1]]), data.DIGITS_LABELS)     # tensors of any shape too
    ['7', '1']
    """
    return [names[int(i)] for i in np.asarray(labels).reshape(-1)]


def load_sample_image(name: str = "china.jpg") -> np.ndarray:
    """A real photo that ships with scikit-learn (offline): ``"china.jpg"`` (a pagoda by a
    lake) or ``"flower.jpg"`` (a dahlia), both 427 x 640 pixels, as a (height, width, 3) uint8
    numpy array.

    >>> image = data.load_sample_image("flower.jpg")
    >>> image.shape, image.dtype
    ((427, 640, 3), dtype('uint8'))
    >>> data.load_sample_image("dog.jpg")
    Traceback (most recent call last):
    ValueError: load_sample_image: unknown image 'dog.jpg'; choose one of ('china.jpg', 'flower.jpg')
    """
    from sklearn.datasets import load_sample_image as _load
    names = ("china.jpg", "flower.jpg")
    if name not in names:
        raise ValueError(f"load_sample_image: unknown image {name!r}; choose one of {names}")
    return np.asarray(_load(name))
