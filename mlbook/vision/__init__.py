"""Computer vision helpers: image augmentation (``mlbook.vision.augment``), bounding boxes and
anchor boxes (``mlbook.vision.boxes``), region-of-interest pooling (``mlbook.vision.roi``),
segmentation scores (``mlbook.vision.segmentation``) and the blocks of the detection and
segmentation networks (``mlbook.vision.blocks``)."""

from .augment import (CenterCrop, ColorJitter, Compose, Normalize, RandomCrop,
                      RandomHorizontalFlip, RandomResizedCrop, RandomVerticalFlip, Resize,
                      adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation,
                      crop_resize, hsv_to_rgb, resample_matrix, resize, rgb_to_grayscale,
                      rgb_to_hsv, to_image, to_tensor)
from .boxes import (assign_anchor_to_bbox, box_area, box_center_to_corner,
                    box_corner_to_center, box_iou, multibox_detection, multibox_loss,
                    multibox_prior, multibox_target, nms, offset_boxes, offset_inverse)
from .blocks import down_sample_blk, tiny_base_net
from .roi import roi_bins, roi_pool
from .segmentation import confusion_matrix, segmentation_scores

__all__ = ["to_tensor", "to_image", "resample_matrix", "resize", "crop_resize",
           "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb", "Compose", "RandomHorizontalFlip",
           "RandomVerticalFlip", "Resize", "CenterCrop", "RandomCrop", "RandomResizedCrop",
           "ColorJitter", "Normalize",
           "box_corner_to_center", "box_center_to_corner", "box_area", "box_iou",
           "multibox_prior", "assign_anchor_to_bbox", "offset_boxes", "offset_inverse",
           "multibox_target", "nms", "multibox_detection", "multibox_loss", "roi_pool", "roi_bins",
           "confusion_matrix", "segmentation_scores", "down_sample_blk", "tiny_base_net"]
