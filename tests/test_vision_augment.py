"""Image augmentation (``mlbook.vision.augment``) on every backend: against numpy references,
hand-computed resampling weights, ``colorsys``, PyTorch's antialiased interpolation, and the
same augmented pixels on every backend for the same seed."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest

import mlbook as mb
from mlbook import data, vision
from helpers import check

rng = np.random.default_rng(3)
IMG = rng.uniform(0, 1, (3, 12, 18)).astype("float32")          # (C, H, W)
BATCH = rng.uniform(0, 1, (5, 3, 12, 18)).astype("float32")     # (N, C, H, W)


def close(x, expected, atol=1e-6):
    np.testing.assert_allclose(mb.to_numpy(x), np.asarray(expected), atol=atol, rtol=1e-5)


# --------------------------------------------------------------------------- conversion
def test_to_tensor_and_to_image(backend):
    photo = data.load_sample_image("flower.jpg")                  # (427, 640, 3) uint8
    x = vision.to_tensor(photo)
    check(x, np.moveaxis(photo, -1, 0).astype("float32") / 255)
    np.testing.assert_allclose(vision.to_image(x), photo / 255, atol=1e-6)
    check(vision.to_tensor(photo[None, :4, :5]), np.moveaxis(photo[None, :4, :5], -1, 1)
          .astype("float32") / 255)                                # a batch
    check(vision.to_tensor(photo[:, :, 0]), photo[None, :, :, 0].astype("float32") / 255)
    assert vision.to_image(x[:1]).shape == (427, 640)              # one channel: (H, W)
    with pytest.raises(ValueError, match=r"\(H, W\), \(H, W, C\)"):
        vision.to_tensor(np.zeros(5, "uint8"))


def test_transforms_reject_bad_images(backend):
    photo = data.load_sample_image()
    with pytest.raises(TypeError, match="vision.to_tensor"):
        vision.RandomHorizontalFlip()(photo)                       # uint8, channels last
    with pytest.raises(ValueError, match=r"\(C, H, W\) image or \(N, C, H, W\) batch"):
        vision.resize(mb.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match="float"):
        vision.CenterCrop(2)(mb.zeros((1, 4, 4), dtype="int64"))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        vision.ColorJitter(brightness=0.5)(mb.zeros((4, 5, 5)))
    with pytest.raises(ValueError, match="one per image"):
        vision.adjust_brightness(mb.array(BATCH), [0.5, 1.0])
    with pytest.raises(ValueError, match="one \\(C, H, W\\) image"):
        vision.to_image(mb.array(BATCH))
    with pytest.raises(ValueError, match="resize: size must be positive"):
        vision.resize(mb.array(IMG), 0)
    with pytest.raises(ValueError, match=r"size must be a positive int or \(height, width\)"):
        vision.Resize((4, 5, 6))(mb.array(IMG))
    with pytest.raises(ValueError, match="RandomResizedCrop: ratio must be"):
        vision.RandomResizedCrop(4, ratio=(2, 1))


# --------------------------------------------------------------------------- resampling
def test_resample_matrix_hand_computed():
    # enlarging 2 -> 4: output centres at input positions -0.25, 0.25, 0.75, 1.25 (bilinear,
    # clamped at the borders)
    np.testing.assert_allclose(vision.resample_matrix(4, 2),
                               [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])
    # halving 8 -> 4 with antialiasing: a triangle of half-width 2 input pixels around each
    # output centre: weights 1/8, 3/8, 3/8, 1/8 (the two outer ones cut at the borders)
    m = vision.resample_matrix(4, 8)
    np.testing.assert_allclose(m[1], [0, 1 / 8, 3 / 8, 3 / 8, 1 / 8, 0, 0, 0])
    np.testing.assert_allclose(m[0], [3 / 7, 3 / 7, 1 / 7, 0, 0, 0, 0, 0])
    # without antialiasing, the two pixels nearest to each centre
    np.testing.assert_allclose(vision.resample_matrix(4, 8, antialias=False)[1],
                               [0, 0, 0.5, 0.5, 0, 0, 0, 0])
    # a crop of pixels 2..5 at its own size selects them
    np.testing.assert_allclose(vision.resample_matrix(3, 8, start=2, length=3),
                               np.eye(8)[2:5])
    for out, inp in [(5, 17), (17, 5), (7, 7), (1, 9)]:
        np.testing.assert_allclose(vision.resample_matrix(out, inp).sum(axis=1), 1)
    with pytest.raises(ValueError, match="does not lie in"):
        vision.resample_matrix(3, 8, start=6, length=4)
    with pytest.raises(ValueError, match="must be positive"):
        vision.resample_matrix(0, 8)


def test_resize_matches_references(backend):
    # enlarging: data.resize_images, an independent numpy implementation of the same bilinear rule
    check(vision.resize(mb.array(BATCH), (29, 31)), data.resize_images(BATCH, (29, 31)),
          atol=1e-6)
    # the shorter side becomes the int; the aspect ratio is kept
    assert mb.shape(vision.resize(mb.array(IMG), 6)) == (3, 6, 9)
    assert mb.shape(vision.Resize((4, 5))(mb.array(BATCH))) == (5, 3, 4, 5)
    # shrinking by 2 with antialiasing averages the 4 pixels under each output pixel, weighted
    # 1/8, 3/8, 3/8, 1/8 along each axis
    w = np.array([1, 3, 3, 1]) / 8
    small = mb.to_numpy(vision.resize(mb.array(IMG), (6, 9)))
    pad = np.pad(IMG, ((0, 0), (1, 1), (1, 1)))
    expected = np.einsum("i,j,cij->c", w, w, pad[:, 2:6, 4:8])   # output (1, 2), interior
    np.testing.assert_allclose(small[:, 1, 2], expected, atol=1e-6)


def test_resize_matches_torch_antialiased_interpolation(backend):
    """PyTorch's ``interpolate(mode="bilinear", antialias=True)`` as an outside reference, for
    shrinking (where the rule is antialiased) and enlarging."""
    from conftest import require_backend
    require_backend("torch")
    import torch
    photo = vision.to_tensor(data.load_sample_image())
    for size in [(200, 300), (61, 47), (500, 700)]:
        ref = torch.nn.functional.interpolate(torch.tensor(mb.to_numpy(photo))[None], size=size,
                                              mode="bilinear", align_corners=False,
                                              antialias=True)[0].numpy()
        close(vision.resize(photo, size), ref, atol=5e-5)


def test_crop_resize(backend):
    # an integer crop at its own size is exactly a slice; one box per image of a batch
    boxes = np.array([[0, 0, 12, 18], [2, 3, 5, 7], [1, 1, 5, 7], [7, 11, 5, 7], [0, 5, 5, 7]])
    out = vision.crop_resize(mb.array(BATCH[1:3]), boxes[1:3], (5, 7))
    check(out, np.stack([BATCH[1, :, 2:7, 3:10], BATCH[2, :, 1:6, 1:8]]))
    check(vision.crop_resize(mb.array(IMG), (0, 0, 12, 18), (12, 18)), IMG)
    # a crop resized: the numpy bilinear resize of the numpy crop
    big = vision.crop_resize(mb.array(IMG), (2, 3, 5, 7), (11, 13))
    check(big, data.resize_images(IMG[None, :, 2:7, 3:10], (11, 13))[0], atol=1e-6)
    with pytest.raises(ValueError, match=r"boxes must have shape \(5, 4\)"):
        vision.crop_resize(mb.array(BATCH), boxes[:2], 4)


def test_center_and_random_crop(backend):
    check(vision.CenterCrop((4, 6))(mb.array(IMG)), IMG[:, 4:8, 6:12])
    with pytest.raises(ValueError, match="does not fit"):
        vision.CenterCrop(13)(mb.array(IMG))
    padded = np.pad(BATCH, ((0, 0), (0, 0), (2, 2), (2, 2)))
    mb.seed(1)
    out = mb.to_numpy(vision.RandomCrop((12, 18), padding=2)(mb.array(BATCH)))
    positions = set()
    for i in range(5):                    # each output is one window of its padded image
        found = [(t, l) for t in range(5) for l in range(5)
                 if np.array_equal(out[i], padded[i, :, t:t + 12, l:l + 18])]
        assert len(found) == 1
        positions.add(found[0])
    assert len(positions) > 1             # positions are drawn per image
    with pytest.raises(ValueError, match=r"a 17x23 crop does not fit a 16x22 \(padded\)"):
        vision.RandomCrop((17, 23), padding=2)(mb.array(IMG))
    with pytest.raises(ValueError, match="padding must be >= 0"):
        vision.RandomCrop(4, padding=-1)
    single = vision.RandomCrop(4)(mb.array(IMG))
    s = mb.to_numpy(single)
    assert any(np.array_equal(s, IMG[:, t:t + 4, l:l + 4]) for t in range(9) for l in range(15))


def test_random_resized_crop_boxes_follow_scale_and_ratio(backend):
    aug = vision.RandomResizedCrop((8, 8), scale=(0.2, 0.6), ratio=(0.5, 2))
    mb.seed(0)
    boxes = aug.boxes(200, 300, 500)
    top, left, h, w = boxes.T
    assert np.all(top >= 0) and np.all(left >= 0)
    assert np.all(top + h <= 200) and np.all(left + w <= 300)
    area = h * w / (200 * 300)
    assert area.min() > 0.19 and area.max() < 0.61                 # rounding to whole pixels
    assert (w / h).min() > 0.48 and (w / h).max() < 2.05
    assert area.std() > 0.05 and len(set(map(tuple, boxes))) > 400  # really random
    # impossible ratios: the central crop with the nearest allowed ratio
    wide = vision.RandomResizedCrop(4, scale=(0.9, 1), ratio=(10, 20))
    np.testing.assert_array_equal(wide.boxes(100, 100, 1), [[45, 0, 10, 100]])
    out = aug(mb.array(BATCH))
    assert mb.shape(out) == (5, 3, 8, 8)
    assert 0 <= mb.item(mb.min(out)) and mb.item(mb.max(out)) <= 1 + 1e-6
    with pytest.raises(ValueError, match="scale must be"):
        vision.RandomResizedCrop(4, scale=(0.5, 1.5))


# --------------------------------------------------------------------------- flips
def test_flips(backend):
    x = mb.array(BATCH)
    check(vision.RandomHorizontalFlip(p=1)(x), BATCH[..., ::-1])
    check(vision.RandomVerticalFlip(p=1)(x), BATCH[..., ::-1, :])
    check(vision.RandomHorizontalFlip(p=0)(x), BATCH)
    check(vision.RandomHorizontalFlip(p=1)(mb.array(IMG)), IMG[..., ::-1])
    mb.seed(0)
    tiny = mb.array(np.tile(np.array([0.0, 1.0], "float32"), (2000, 1, 1, 1)))
    flipped = mb.to_numpy(vision.RandomHorizontalFlip(p=0.3)(tiny))[:, 0, 0, 0] == 1.0
    assert 0.27 < flipped.mean() < 0.33                              # per image, p = 0.3
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\]"):
        vision.RandomVerticalFlip(p=1.5)


# --------------------------------------------------------------------------- colour
def _hsv_reference(x):
    flat = np.moveaxis(x, -3, -1).reshape(-1, 3).astype("float64")
    hsv = np.array([colorsys.rgb_to_hsv(*p) for p in flat])
    return np.moveaxis(hsv.reshape(x.shape[:-3] + x.shape[-2:] + (3,)), -1, -3)


def test_rgb_hsv_conversions_match_colorsys(backend):
    special = np.array([[0.5, 1, 0, 0, 1, 0, 0], [0.5, 0, 1, 0, 1, 1, 0],   # gray, red, green,
                        [0.5, 0, 0, 1, 0, 1, 0]], "float32")               # blue, yellow, cyan,
    pixels = np.concatenate([BATCH[0], special[:, None].repeat(12, axis=1)], axis=2)  # black
    close(vision.rgb_to_hsv(mb.array(pixels)), _hsv_reference(pixels), atol=1e-6)
    close(vision.hsv_to_rgb(vision.rgb_to_hsv(mb.array(pixels))), pixels, atol=1e-6)
    hsv = np.stack([rng.uniform(0, 1, (7, 9)) for _ in range(3)]).astype("float32")
    expected = np.moveaxis(np.array([colorsys.hsv_to_rgb(*p) for p in
                                     np.moveaxis(hsv, 0, -1).reshape(-1, 3)]).reshape(7, 9, 3),
                           -1, 0)
    close(vision.hsv_to_rgb(mb.array(hsv)), expected, atol=1e-6)


def test_adjust_colour(backend):
    x = mb.array(BATCH)
    check(vision.adjust_brightness(x, 1.5), np.clip(BATCH * 1.5, 0, 1))
    factors = np.array([0, 0.5, 1, 1.5, 2], "float32")
    check(vision.adjust_brightness(x, factors), np.clip(BATCH * factors[:, None, None, None], 0, 1))
    luma = np.einsum("c,nchw->nhw", np.array([0.299, 0.587, 0.114], "float32"), BATCH)[:, None]
    check(vision.rgb_to_grayscale(x), luma, atol=1e-6)
    check(vision.adjust_saturation(x, 0.0), np.broadcast_to(luma, BATCH.shape), atol=1e-6)
    check(vision.adjust_saturation(x, 1.0), BATCH, atol=1e-6)
    check(vision.adjust_saturation(x, 1.7), np.clip(1.7 * BATCH - 0.7 * luma, 0, 1), atol=1e-6)
    mean = luma.mean(axis=(1, 2, 3), keepdims=True)
    check(vision.adjust_contrast(x, 0.0), np.broadcast_to(mean, BATCH.shape), atol=1e-6)
    check(vision.adjust_contrast(x, 0.6), np.clip(0.6 * BATCH + 0.4 * mean, 0, 1), atol=1e-6)
    # hue: colorsys's hue plus the shift, modulo 1; saturation and value kept
    shifted = mb.to_numpy(vision.adjust_hue(x, 0.3))
    hsv, hsv_shifted = _hsv_reference(BATCH), _hsv_reference(shifted)
    np.testing.assert_allclose(hsv_shifted[:, 1:], hsv[:, 1:], atol=1e-5)
    turn = (hsv_shifted[:, 0] - hsv[:, 0] - 0.3) % 1.0
    assert np.all(np.minimum(turn, 1 - turn) < 1e-4)
    close(vision.adjust_hue(vision.adjust_hue(x, 0.5), 0.5), BATCH, atol=1e-5)
    close(vision.adjust_hue(x, 0.0), BATCH, atol=1e-6)
    one_channel = mb.array(BATCH[:, :1])                 # no colour: hue and saturation keep it
    check(vision.adjust_hue(one_channel, 0.2), BATCH[:, :1])
    check(vision.adjust_saturation(one_channel, 0.0), BATCH[:, :1])
    with pytest.raises(ValueError, match=r"\[-0.5, 0.5\]"):
        vision.adjust_hue(x, 0.7)


def test_color_jitter_draws_factors_per_image(backend):
    x = mb.array(np.full((400, 3, 2, 2), 0.4, "float32"))
    mb.seed(0)
    out = mb.to_numpy(vision.ColorJitter(brightness=0.5)(x))
    factors = out[:, 0, 0, 0] / 0.4
    assert 0.5 <= factors.min() < 0.55 and 1.45 < factors.max() <= 1.5
    assert np.allclose(out, out[:, :1, :1, :1])          # one factor per image
    mb.seed(0)
    same = vision.ColorJitter(brightness=0.5)(x)
    check(same, out)                                     # seeded
    jitter = vision.ColorJitter(0.4, 0.4, 0.4, 0.2)
    y = jitter(mb.array(BATCH))
    assert mb.shape(y) == BATCH.shape and 0 <= mb.item(mb.min(y)) <= mb.item(mb.max(y)) <= 1
    assert "hue=0.2" in repr(jitter)
    with pytest.raises(ValueError, match="contrast must be >= 0"):
        vision.ColorJitter(contrast=-1)
    with pytest.raises(ValueError, match="hue must be at most 0.5"):
        vision.ColorJitter(hue=0.6)


def test_normalize_and_compose(backend):
    norm = vision.Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.5])
    expected = (BATCH - np.array([0.5, 0.4, 0.3], "float32")[:, None, None]) / \
        np.array([0.2, 0.25, 0.5], "float32")[:, None, None]
    check(norm(mb.array(BATCH)), expected, atol=1e-6)
    with pytest.raises(ValueError, match="3 channel statistics for an image of 1"):
        norm(mb.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match="std > 0"):
        vision.Normalize([0.5], [0.0])
    pipeline = vision.Compose([vision.RandomHorizontalFlip(p=1), vision.CenterCrop((4, 6)), norm])
    check(pipeline(mb.array(BATCH)), expected[..., ::-1][:, :, 4:8, 6:12], atol=1e-6)
    assert "CenterCrop" in repr(pipeline)
    with pytest.raises(TypeError, match="Compose takes callables"):
        vision.Compose([vision.CenterCrop(2), 3])


def test_same_seed_same_augmentation_on_every_backend(all_backends):
    """The random choices come from mlbook's generator and the pixels from mlbook's ops, so
    every backend produces the same augmented batch (to float32 rounding)."""
    photo = data.load_sample_image()[::4, ::4]                      # (107, 160, 3)
    augs = vision.Compose([vision.RandomHorizontalFlip(), vision.RandomCrop((100, 150), 4),
                           vision.ColorJitter(0.5, 0.5, 0.5, 0.5),
                           vision.RandomResizedCrop((48, 64), scale=(0.1, 1), ratio=(0.5, 2))])
    results = {}
    for name in all_backends:
        mb.set_backend(name)
        mb.seed(7)
        results[name] = mb.to_numpy(augs(mb.stack([vision.to_tensor(photo)] * 6)))
    reference = results[all_backends[0]]
    for name, value in results.items():
        np.testing.assert_allclose(value, reference, atol=2e-5, err_msg=name)
    assert np.abs(reference[0] - reference[1]).max() > 0.1         # images differ in a batch


def test_array_loader_applies_the_transform_to_inputs(backend):
    X = np.arange(6 * 4, dtype="float32").reshape(6, 1, 2, 2)
    y = np.arange(6)
    loader = data.ArrayLoader((X, y), 4, transform=vision.RandomHorizontalFlip(p=1))
    batches = list(loader)
    check(batches[0][0], X[:4, ..., ::-1])
    check(batches[1][1], y[4:])
    mb.seed(0)
    shifted = data.ArrayLoader((X, y), 6, shuffle=True, transform=vision.RandomCrop(2, 1))
    first, second = (mb.to_numpy(next(iter(shifted))[0]) for _ in range(2))
    assert not np.array_equal(first, second)                       # new variants every pass
    with pytest.raises(TypeError, match="transform must be callable"):
        data.ArrayLoader((X, y), 2, transform="flip")
