"""The one interface every recognition model implements.

A recognizer sees a batch of upright RGB frames and answers, for each frame, a score in
[0, 1] for each of its classes. It knows nothing about labels, time or documents: the
vocabulary layer turns its class keys into labels, the timeline layer turns scores over
time into instances. Adding a model means adding one module here and nothing elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np


class RecognizerError(RuntimeError):
    """A model could not be loaded or run (missing weights, broken runtime)."""


@runtime_checkable
class Recognizer(Protocol):
    #: Short stable identifier, shown in benchmarks and logs.
    name: str
    #: Vocabulary namespace the class keys live in ("imagenet", "coco", "face").
    namespace: str
    #: Class keys in output column order.
    classes: Sequence[str]
    #: True when scores are one softmax over mutually exclusive classes: the scores of
    #: classes that share a label then add up. False for detectors, where the best
    #: detection of any class that maps to the label wins.
    exclusive: bool
    #: True for models costly enough that the pipeline runs them only where the picture
    #: may have changed their answer (see `pipeline.Indexer._run_gated`).
    expensive: bool

    def recognize(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Scores of shape (len(images), len(classes)), float32 in [0, 1]."""
        ...


def read_class_list(filename: str) -> list[str]:
    """Class lists ship inside the package so that nothing is read from outside it."""
    from importlib.resources import files

    text = files("videolabels.recognizers").joinpath("data", filename).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


_quiet_lock = threading.Lock()
_quiet = {"depth": 0, "fd": -1, "saved": -1}  # how many are inside; the fd silenced; its copy


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence C++ runtimes that log to file descriptor 2 while a model loads.

    LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate" straight to fd 2,
    which would land in the middle of CLI output. Python-level stderr is untouched.
    The descriptor is one for the whole process, and the service's workers load their
    models at the same time: the first to enter saves it and the last to leave puts it
    back. (Each saving and restoring on its own, a worker that entered second saved
    /dev/null and, leaving last, "restored" it: the server's log went nowhere from then on.)
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    with _quiet_lock:
        if _quiet["depth"] == 0:
            sys.stderr.flush()
            saved = os.dup(fd)
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(devnull, fd)
                finally:
                    os.close(devnull)
            except OSError:
                os.close(saved)
                raise
            _quiet["fd"], _quiet["saved"] = fd, saved
        _quiet["depth"] += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet["depth"] -= 1
            if _quiet["depth"] == 0:
                os.dup2(_quiet["saved"], _quiet["fd"])
                os.close(_quiet["saved"])
                _quiet["fd"] = _quiet["saved"] = -1
