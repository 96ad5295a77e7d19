"""The blocks shared by the detection and segmentation sections (``mlbook.vision.blocks``):
shapes, and values against a numpy computation with the layers' own weights, on every
backend."""

from __future__ import annotations

import numpy as np

import mlbook as mb
from mlbook import config, nn, vision
from helpers import check, conv_ref, pool_ref


def test_down_sample_blk_halves_and_computes_its_layers(backend):
    mb.seed(0)
    x = np.random.default_rng(0).normal(size=(2, 3, 8, 6)).astype(np.float32)
    plain = vision.down_sample_blk(5, batch_norm=False)
    y = plain(mb.array(x))
    conv = plain[0]
    expected = pool_ref(np.maximum(conv_ref(x, mb.to_numpy(conv.weight), mb.to_numpy(conv.bias),
                                            (1, 1), (1, 1)), 0), 2, 2, 0, "max")
    check(y, expected, rtol=1e-5, atol=1e-5)
    normed = vision.down_sample_blk(5)
    assert [type(m).__name__ for m in normed] == ["Conv2d", "BatchNorm", "ReLU", "MaxPool2d"]
    assert [type(m).__name__ for m in plain] == ["Conv2d", "ReLU", "MaxPool2d"]
    with config.predict_mode():
        assert mb.shape(normed(mb.array(x))) == (2, 5, 4, 3)


def test_tiny_base_net_takes_64_pixels_to_8_by_8_maps(backend):
    mb.seed(0)
    net = vision.tiny_base_net()
    x = np.random.default_rng(1).uniform(size=(2, 3, 64, 64)).astype(np.float32)
    with config.predict_mode():
        y = net(mb.array(x))
    assert mb.shape(y) == (2, 64, 8, 8)
    # the first two stages by hand: stride-2 convolution, ReLU, then the plain block
    first, block = net[0], net[2]
    h = np.maximum(conv_ref(x, mb.to_numpy(first.weight), mb.to_numpy(first.bias), (2, 2),
                            (1, 1)), 0)
    h = np.maximum(conv_ref(h, mb.to_numpy(block[0].weight), mb.to_numpy(block[0].bias),
                            (1, 1), (1, 1)), 0)
    h = pool_ref(h, 2, 2, 0, "max")
    with config.predict_mode():
        check(nn.Sequential(*net[:3])(mb.array(x)), h, rtol=1e-4, atol=1e-5)
    sizes = {name: mb.shape(p) for name, p in net.named_parameters()}
    assert sum(int(np.prod(s)) for s in sizes.values()) == (
        16 * 3 * 9 + 16 + 32 * 16 * 9 + 32 + 64 * 32 * 9 + 64 + 2 * 64)
    assert isinstance(net[3][1], nn.BatchNorm)
