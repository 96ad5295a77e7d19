"""Network blocks that several sections build on: SSD's down-sampling block and the small base
network that the detection (SSD) and segmentation (FCN) sections share.

The base network takes a 64 × 64 image to an 8 × 8 map of 64 channels.  Its first layer is a
convolution with stride 2, and its first block has no batch normalisation: the large early
maps dominate the cost on a CPU (d2l's TinySSD works on 256 × 256 images, on a GPU).
"""

from __future__ import annotations

from .. import nn

__all__ = ["down_sample_blk", "tiny_base_net"]


def down_sample_blk(out_channels: int, batch_norm: bool = True) -> nn.Sequential:
    """Halve the height and width: a 3 × 3 convolution (input channels inferred), batch
    normalisation (unless ``batch_norm=False``), ReLU and 2 × 2 max pooling.

    >>> mb.seed(0)
    >>> blk = vision.down_sample_blk(8)
    >>> mb.shape(blk(mb.zeros((2, 3, 16, 16))))      # 3 -> 8 channels, 16 x 16 -> 8 x 8
    (2, 8, 8, 8)
    """
    layers = [nn.Conv2d(None, out_channels, 3, padding=1)]
    layers += [nn.BatchNorm(out_channels)] if batch_norm else []
    return nn.Sequential(*layers, nn.ReLU(), nn.MaxPool2d(2))


def tiny_base_net() -> nn.Sequential:
    """64 × 64 RGB images to 8 × 8 maps of 64 channels: a stride-2 convolution and two
    down-sampling blocks.

    >>> mb.seed(0)
    >>> net = vision.tiny_base_net()
    >>> mb.shape(net(mb.zeros((1, 3, 64, 64))))
    (1, 64, 8, 8)
    """
    return nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),   # 64 -> 32
                         down_sample_blk(32, batch_norm=False),                   # -> 16
                         down_sample_blk(64))                                     # -> 8
