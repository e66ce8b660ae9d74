"""Human faces with OpenCV's frontal-face Haar cascade.

"human face" is Video Indexer's second most frequent label. The cascade ships inside
opencv-python-headless 4.x (5.0 dropped it, hence the pin) and needs no other weights.

A cascade gives no probability, only each detection's final-stage weight. Measured on
real frames (carphone_pristine.mp4, skimage's astronaut, OpenCV's messi5.jpg) true
faces scored 5.3-7.5, while the false hits on a cartoon rabbit, Starry Night and a
street frame scored -0.1-2.7. A logistic centred at 3.5 turns the weight into a score:
5.3 -> 0.97, 2.7 -> 0.17, so the default 0.5 threshold sits between the two groups.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

CASCADE_FILE = "haarcascade_frontalface_default.xml"
WEIGHT_CENTRE = 3.5
WEIGHT_SLOPE = 2.0


def weight_to_score(weight: float) -> float:
    return 1.0 / (1.0 + math.exp(-WEIGHT_SLOPE * (weight - WEIGHT_CENTRE)))


class HaarFrontalFace:
    name = "haar-frontalface"
    namespace = "face"
    exclusive = False
    expensive = True
    classes = ("face",)

    def __init__(self, max_side: int = 640, min_face: int = 20) -> None:
        path = cv2.data.haarcascades + CASCADE_FILE
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            from .base import RecognizerError

            raise RecognizerError(f"OpenCV could not load its face cascade {path}")
        self.max_side = max_side
        self.min_face = min_face

    def recognize(self, images: Sequence[np.ndarray]) -> np.ndarray:
        scores = np.zeros((len(images), 1), dtype=np.float32)
        for i, image in enumerate(images):
            h, w = image.shape[:2]
            scale = self.max_side / max(h, w)
            if scale < 1.0:
                image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
            gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
            boxes, _levels, weights = cv2.CascadeClassifier.detectMultiScale3(
                self._cascade, gray, scaleFactor=1.1, minNeighbors=5,
                minSize=(self.min_face, self.min_face), outputRejectLevels=True,
            )
            if len(boxes):
                scores[i, 0] = weight_to_score(float(np.max(weights)))
        return scores
