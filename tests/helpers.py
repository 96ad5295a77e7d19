"""Assertions shared by the tests."""

from __future__ import annotations

import os
import pathlib
from typing import Any, Callable

import numpy as np

import mlbook as mb


def check(actual: Any, expected: Any, rtol: float = 1e-6, atol: float = 1e-6,
          dtype: bool = True) -> None:
    """``actual`` (a tensor of the active backend) equals the numpy ``expected``: same shape,
    same dtype (unless ``dtype=False``) and values within ``rtol``/``atol``."""
    expected = np.asarray(expected)
    assert mb.is_tensor(actual), f"expected a {mb.backend()} tensor, got {type(actual)}"
    got = mb.to_numpy(actual)
    assert got.shape == expected.shape, f"shape {got.shape} != expected {expected.shape}"
    if dtype:
        assert got.dtype == expected.dtype, f"dtype {got.dtype} != expected {expected.dtype}"
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, expected)


def numerical_grad(f: Callable[..., float], args: list[np.ndarray], argnum: int,
                   eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar ``f(*args)`` w.r.t. ``args[argnum]`` (float64)."""
    args = [np.array(a, dtype=np.float64) if a.dtype.kind == "f" else a for a in args]
    x = args[argnum]
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        hi = f(*args)
        x[i] = old - eps
        lo = f(*args)
        x[i] = old
        g[i] = (hi - lo) / (2 * eps)
    return g


def conv_transpose_ref(x: np.ndarray, w: np.ndarray, stride: tuple[int, int],
                       padding: tuple[int, int]) -> np.ndarray:
    """Naive NCHW transposed convolution in float64, by its definition: each input element adds
    its value times the kernel at stride s into a full-size output, then the padding is cut
    from each border."""
    n, c, h, wd = x.shape
    _, o, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    full = np.zeros((n, o, (h - 1) * sh + kh, (wd - 1) * sw + kw))
    for i in range(h):
        for j in range(wd):
            full[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.einsum(
                "nc,cokl->nokl", x[:, :, i, j].astype("float64"), w)
    return full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]


def conv_ref(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, int],
             padding: tuple[int, int]) -> np.ndarray:
    """Naive NCHW cross-correlation in float64."""
    x = np.pad(x.astype("float64"), ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = (h - kh) // stride[0] + 1, (wd - kw) // stride[1] + 1
    out = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = x[:, :, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return (out + (0 if b is None else b[None, :, None, None])).astype("float32")


def pool_ref(x: np.ndarray, k: int, s: int, p: int, kind: str) -> np.ndarray:
    """Naive NCHW max or average pooling (padding counted in the average) in float64."""
    fill = -np.inf if kind == "max" else 0.0
    x = np.pad(x.astype("float64"), ((0, 0), (0, 0), (p,) * 2, (p,) * 2), constant_values=fill)
    n, c, h, w = x.shape
    ho, wo = (h - k) // s + 1, (w - k) // s + 1
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            win = x[:, :, i * s:i * s + k, j * s:j * s + k]
            out[:, :, i, j] = win.max((2, 3)) if kind == "max" else win.mean((2, 3))
    return out.astype("float32")


def framework_gpus(backend: str) -> int:
    """The GPUs the framework itself sees, asked through its own API."""
    if backend == "numpy":
        return 0
    from mlbook import backends
    backends.load(backend)                   # MXNet needs mlbook's numpy.bool alias first
    if backend == "torch":
        import torch
        return torch.cuda.device_count()
    if backend == "tensorflow":
        import tensorflow as tf
        return len(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax
        return sum(d.platform == "gpu" for d in jax.devices())
    if backend == "mxnet":
        import mxnet as mx
        return mx.context.num_gpus()
    raise AssertionError(f"no GPU count for {backend}")


#: The data folder CI points ``MLBOOK_DATA_DIR`` at (``../shared/data`` beside the checkout).
SHARED_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"


def use_data_file(file: str, monkeypatch: Any, what: str = "this test") -> pathlib.Path:
    """Point ``MLBOOK_DATA_DIR`` at the folder holding the real ``file`` (``MLBOOK_DATA_DIR``,
    else :data:`SHARED_DATA`) and return it; without the file, skip locally and fail in CI."""
    import pytest

    from conftest import in_ci
    folder = pathlib.Path(os.environ.get("MLBOOK_DATA_DIR") or SHARED_DATA)
    if not (folder / file).exists():
        reason = f"{what} reads {file}, not in {folder}; set MLBOOK_DATA_DIR"
        pytest.fail(reason) if in_ci() else pytest.skip(reason)
    monkeypatch.setenv("MLBOOK_DATA_DIR", str(folder))
    return folder
