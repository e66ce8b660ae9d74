"""A JPEG for each label instance, referenced from the index by `thumbnailId` (as
Video Indexer does for faces), plus one for the video itself.

Frames come from `media.sample_frames` on the same grid the index was made on: an
instance starts on a sampled frame, so its thumbnail is exactly the picture the
recognizers saw there -- upright, at display aspect, from the same timestamps. The
sampler skips the groups of pictures that hold no target, and seeking (which the media
layer avoids for good reasons) is not needed.

Instances that start at the same moment share one thumbnail.
"""

from __future__ import annotations

import bisect
import uuid
from pathlib import Path

import cv2

from ..insights import parse_timespan
from ..media import sample_frames

JPEG_QUALITY = 85


def _label_instances(doc: dict) -> list[dict]:
    out = []
    for video in doc.get("videos", []):
        for label in (video.get("insights") or {}).get("labels", []):
            out.extend(label.get("instances", []))
    return out


def attach_thumbnails(doc: dict, media_path: Path, out_dir: Path, *, fps: float, max_side: int = 640) -> str | None:
    """Writes `<out_dir>/<thumbnailId>.jpg` files and sets `thumbnailId` on every label
    instance of `doc` (in place) whose frame was found. Returns the id of the video's
    own thumbnail (its middle sampled frame), or None for a video without frames."""
    instances = _label_instances(doc)
    by_time: dict[float, list[dict]] = {}
    for inst in instances:
        by_time.setdefault(parse_timespan(inst["start"]), []).append(inst)
    targets = sorted(by_time)
    half = 0.5 / fps
    out_dir.mkdir(parents=True, exist_ok=True)

    duration = float(doc.get("durationInSeconds") or 0)
    middle = duration / 2
    best_middle: tuple[float, object] | None = None
    done: set[float] = set()

    def write(image) -> str:  # type: ignore[no-untyped-def]
        thumb_id = str(uuid.uuid4())
        ok, data = cv2.imencode(
            ".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
        )
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        (out_dir / f"{thumb_id}.jpg").write_bytes(data.tobytes())
        return thumb_id

    for frame in sample_frames(media_path, fps=fps, max_side=max_side):
        lo = bisect.bisect_left(targets, frame.time - half)
        hi = bisect.bisect_left(targets, frame.time + half)
        hit = [t for t in targets[lo:hi] if t not in done]
        if hit:
            thumb_id = write(frame.image)
            for t in hit:
                done.add(t)
                for inst in by_time[t]:
                    inst["thumbnailId"] = thumb_id
        distance = abs(frame.time - middle)
        if best_middle is None or distance < best_middle[0]:
            best_middle = (distance, frame.image)
    if best_middle is None:
        return None
    return write(best_middle[1])
