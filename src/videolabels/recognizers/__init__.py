"""Recognition models: a batch of frames in, per-class scores out (see `base`)."""

from __future__ import annotations

from .base import Recognizer, RecognizerError

#: name -> factory, in the order the pipeline runs them. Each factory takes the number of
#: threads the model may use.
AVAILABLE: dict[str, str] = {
    "imagenet": "videolabels.recognizers.imagenet_efficientnet:EfficientNetLite3",
    "coco": "videolabels.recognizers.coco_ssd:SsdMobileNetCoco",
    "face": "videolabels.recognizers.haar_face:HaarFrontalFace",
}


def load(namespace: str, **kwargs: object) -> Recognizer:
    """Import and build one recognizer by namespace, so unused models cost nothing."""
    import importlib

    try:
        target = AVAILABLE[namespace]
    except KeyError:
        raise RecognizerError(f"unknown recognizer {namespace!r}; known: {', '.join(AVAILABLE)}") from None
    module_name, _, cls_name = target.partition(":")
    return getattr(importlib.import_module(module_name), cls_name)(**kwargs)


def default_recognizers(num_threads: int = 1) -> list[Recognizer]:
    # The detector is loaded first: writing its LiteRT model is the loading's memory peak
    # (~380 MB while OpenCV's network is still held), 30 MB lower with nothing else loaded yet.
    detector = load("coco", num_threads=num_threads)
    return [load("imagenet", num_threads=num_threads), detector, load("face")]


__all__ = ["AVAILABLE", "Recognizer", "RecognizerError", "default_recognizers", "load"]
