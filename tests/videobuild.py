"""Test videos with an exact, known timeline, encoded from real photos with PyAV."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import av
import cv2
import numpy as np

OPENCV_PHOTOS = Path(__file__).parent / "data" / "photos"


def photo(name: str) -> np.ndarray:
    """An RGB photo: skimage's samples by name ("coffee"), or a file in tests/data/photos."""
    path = OPENCV_PHOTOS / name
    if path.exists():
        return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    import skimage.data

    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3])


def fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Letterbox a photo into the frame so nothing in it is cropped or distorted."""
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(2, int(w * scale)), max(2, int(h * scale))
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    y, x = (height - nh) // 2, (width - nw) // 2
    canvas[y : y + nh, x : x + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    return canvas


def encode_timeline(
    path: Path,
    segments: Sequence[tuple[np.ndarray, float]],
    *,
    fps: int = 25,
    size: tuple[int, int] = (640, 360),
    codec: str = "libx264",
    gop: int | None = None,
) -> Path:
    """Write `segments` ([(photo, seconds), ...]) back to back; returns the path."""
    width, height = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "tune": "stillimage"}
        if gop:
            stream.codec_context.gop_size = gop
        index = 0
        for image, seconds in segments:
            frame_image = fit(image, width, height)
            for _ in range(round(seconds * fps)):
                frame = av.VideoFrame.from_ndarray(frame_image, format="rgb24")
                frame.pts = index
                index += 1
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def audio_only(path: Path, codec: str = "aac") -> Path:
    """A one-second 440 Hz tone with no video stream: a file videolabels must refuse."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=44100)
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(44100) / 44100)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(tone[None], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 44100, 0
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
