"""Build a benchmark clip of a given size and length from real footage.

`videolabels bench` needs long H.264 files at 720p and 1080p; shipping them would bloat
the repository, so they are made on demand by re-encoding the real clips that the
repository already carries (samples/, tests/data/), looped to the wanted duration.
The encoding imitates camera/web footage: H.264 High, x264 `veryfast`, B-frames, a
keyframe every 2 s (GOP 50 at 25 fps), yuv420p.

    python benchmarks/make_clip.py --height 720 --seconds 120 -o /tmp/bench720.mp4
"""

from __future__ import annotations

import argparse
import itertools
from fractions import Fraction
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES = [
    ROOT / "samples" / "bikes.mp4",
    ROOT / "tests" / "data" / "carphone_pristine.mp4",
    ROOT / "tests" / "data" / "vtest_20s.avi",
    ROOT / "tests" / "data" / "realshort.mp4",
]


def source_frames(paths: list[Path], width: int, height: int):
    """Frames of the sources, scaled to fill width x height, forever (looped)."""
    for path in itertools.cycle(paths):
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                yield frame.reformat(width=width, height=height, format="yuv420p")


def make_clip(out: Path, *, height: int = 720, seconds: float = 120.0, fps: int = 25, sources: list[Path] | None = None, preset: str = "veryfast", crf: int = 23) -> Path:
    paths = [p for p in (sources or DEFAULT_SOURCES) if p.exists()]
    if not paths:
        raise SystemExit("no source clips found; pass --source FILE")
    width = int(round(height * 16 / 9 / 2) * 2)
    total = int(seconds * fps)
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = 2 * fps
        stream.options = {"preset": preset, "crf": str(crf), "bf": "3"}
        stream.time_base = Fraction(1, fps)
        for index, frame in enumerate(itertools.islice(source_frames(paths, width, height), total)):
            frame.pts, frame.time_base = index, Fraction(1, fps)
            frame.pict_type = av.video.frame.PictureType.NONE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--source", type=Path, action="append", help="source clip (repeatable)")
    parser.add_argument("--crf", type=int, default=23, help="x264 quality (higher: smaller file; 35 for long test files)")
    args = parser.parse_args()
    make_clip(args.output, height=args.height, seconds=args.seconds, fps=args.fps, sources=args.source, crf=args.crf)
    print(args.output)


if __name__ == "__main__":
    main()
