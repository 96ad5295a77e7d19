"""Computer vision helpers: bounding boxes and anchor boxes (``mlbook.vision.boxes``)."""

from .boxes import (assign_anchor_to_bbox, box_area, box_center_to_corner,
                    box_corner_to_center, box_iou, multibox_detection, multibox_prior,
                    multibox_target, nms, offset_boxes, offset_inverse)

__all__ = ["box_corner_to_center", "box_center_to_corner", "box_area", "box_iou",
           "multibox_prior", "assign_anchor_to_bbox", "offset_boxes", "offset_inverse",
           "multibox_target", "nms", "multibox_detection"]
