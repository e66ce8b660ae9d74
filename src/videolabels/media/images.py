"""Decoded frames to upright RGB arrays of the size the recognizers get.

Colour conversion and scaling run in FFmpeg (swscale, one pass from the decoder's YUV to
RGB at the final size): doing either in numpy would cost a full-size RGB copy per frame.
Only the quarter turns of a rotated phone video are done in numpy, on the already small
image, as part of the one copy that every returned image gets.

Two corrections turn stored pixels into what a player shows:
- rotation: the display matrix (side data FFmpeg attaches to every decoded frame, read
  from an MP4 ``tkhd`` matrix or a Matroska projection; older files' ``rotate`` tag is a
  fallback);
- sample aspect ratio: PAL/NTSC and some phone files store non-square pixels
  (balle-jbart.mp4 is 720x576 with 16:15 pixels, shown 768x576). Like ffmpeg's display
  size, the width is stretched and the height kept.

``thumbnail``/``thumbnail_difference`` are the one measure of how much two pictures differ
(the sampler's static-GOP test; meant for the pipeline's score reuse too).
"""

from __future__ import annotations

from fractions import Fraction

import av.video.frame
import av.video.stream
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter


def stream_rotation_tag(stream: av.video.stream.VideoStream) -> int:
    """Clockwise degrees from a legacy ``rotate`` metadata tag, 0 without one."""
    value = stream.metadata.get("rotate") if stream.metadata else None
    try:
        return _quarter_turns(float(value)) if value is not None else 0
    except ValueError:
        return 0


def frame_rotation(frame: av.video.frame.VideoFrame, fallback: int = 0) -> int:
    """Clockwise degrees (0, 90, 180 or 270) to turn the stored frame to show it upright.

    Clockwise is the convention of the ``rotate`` tag phones used to write (a portrait
    phone video is stored landscape with ``rotate=90``); FFmpeg's display matrix angle
    (``frame.rotation``) is counter-clockwise, hence the sign change.
    """
    ccw = frame.rotation
    if ccw == 0:
        return fallback
    return _quarter_turns(-ccw)


def _quarter_turns(degrees: float) -> int:
    return int(round(degrees / 90.0)) % 4 * 90


def sample_aspect_ratio(stream: av.video.stream.VideoStream) -> Fraction:
    """Pixel aspect ratio, 1 when the file does not say (FFmpeg reports 0/1 or None)."""
    sar = stream.sample_aspect_ratio
    if sar is None or sar <= 0:
        return Fraction(1)
    return Fraction(sar)


def upright_size(width: int, height: int, sar: Fraction, rotation: int) -> tuple[int, int]:
    """Display width and height of a stored ``width`` x ``height`` picture."""
    display_width = max(1, round(width * sar)) if sar != 1 else width
    if rotation in (90, 270):
        return height, display_width
    return display_width, height


def fit_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """``width`` x ``height`` shrunk (never enlarged) so the longer side is at most ``max_side``."""
    if not max_side or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, min(max_side, round(width * scale))), max(1, min(max_side, round(height * scale)))


class RgbConverter:
    """Turns decoded frames into upright, C-contiguous HxWx3 uint8 RGB arrays.

    One swscale context is kept for the whole video: PyAV's ``frame.to_ndarray(width=...)``
    builds a new one per call, which costs 5.7 ms at 720p against 1.1 ms reused (more than
    the decoding of a frame). ``AREA`` filtering shrinks without aliasing at the speed of
    bilinear (0.7 ms vs 0.8 ms, 1280x720 to 640x360).
    """

    def __init__(self, sar: Fraction, max_side: int | None, rotation_fallback: int = 0) -> None:
        self.sar = sar
        self.max_side = max_side
        self.rotation_fallback = rotation_fallback
        self._reformatter = VideoReformatter()

    def __call__(self, frame: av.video.frame.VideoFrame) -> np.ndarray:
        rotation = frame_rotation(frame, self.rotation_fallback)
        out_w, out_h = fit_size(*upright_size(frame.width, frame.height, self.sar, rotation), self.max_side)
        # Size before the quarter turn: a 90/270 degree turn swaps the sides.
        w, h = (out_h, out_w) if rotation in (90, 270) else (out_w, out_h)
        rgb = self._reformatter.reformat(frame, width=w, height=h, format="rgb24", interpolation="AREA")
        image = rgb.to_ndarray()
        # The array is a view of the frame's buffer; without scaling that buffer can be
        # the decoder's own reference picture. Copying (0.1 ms at 640x360) gives the
        # caller a private, writable array that pins no FFmpeg memory.
        if rotation:
            return np.ascontiguousarray(np.rot90(image, k=-(rotation // 90)))
        return image.copy()


#: Width and height of ``thumbnail``: small enough that noise, compression and a
#: person walking a few steps change little, large enough that a cut changes a lot.
THUMBNAIL_SIZE = (32, 18)


def thumbnail(image: np.ndarray) -> np.ndarray:
    """A 32x18 grey float32 thumbnail (0-255) of an HxWx3 RGB image, area-averaged."""
    small = cv2.resize(image, THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)


def thumbnail_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference (0-255) of two ``thumbnail`` results.

    Measured on real footage (640 px frames): one-second samples of a fixed camera with
    people walking differ by 2-6, keyframes 2 s apart in it by 2.6-7.3; cuts by 12-83.
    """
    return float(np.mean(np.abs(a - b)))
