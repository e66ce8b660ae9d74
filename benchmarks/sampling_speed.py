"""Frame sampling alone: frames decoded, wall clock and real-time factor per strategy.

The numbers in ``videolabels.media.sampler``'s docstring come from this script:

    python benchmarks/make_clip.py --height 720 --seconds 80 \
        --source ../shared/data/media/vtest.avi -o /tmp/vtest720.mp4
    python benchmarks/make_clip.py --height 720 --seconds 120 -o /tmp/montage720.mp4
    python benchmarks/sampling_speed.py /tmp/vtest720.mp4 /tmp/montage720.mp4

Each configuration runs ``--repeat`` times, interleaved with the others so that a burst
of load on a shared machine does not land on one of them only; min and median are shown.
It reads private names of the library (``media.sampler._Sampler``) for the counters.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from videolabels.media import probe  # noqa: E402
from videolabels.media.opening import open_video  # noqa: E402
from videolabels.media.sampler import DEFAULT_STATIC_THRESHOLD, _Sampler  # noqa: E402


def run(path: str, fps: float, strategy: str, threshold: float | None, max_side: int) -> tuple[float, _Sampler, int]:
    started = time.perf_counter()
    sampler = _Sampler(open_video(path), Fraction(repr(float(fps))), max_side, strategy, threshold)
    count = sum(1 for _ in sampler.frames())
    return time.perf_counter() - started, sampler, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--fps", type=float, action="append", help="sampling rate (repeatable; default 1)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_STATIC_THRESHOLD, help="static_threshold")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-side", type=int, default=640)
    args = parser.parse_args()
    configs = [("full", None), ("plan", None), ("plan", args.threshold)]
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for path in args.paths:
        duration = probe(path).duration
        for fps in args.fps or [1.0]:
            walls: dict[int, list[float]] = {i: [] for i in range(len(configs))}
            last: dict[int, tuple[_Sampler, int]] = {}
            for _ in range(args.repeat):
                for i, (strategy, threshold) in enumerate(configs):
                    wall, sampler, count = run(path, fps, strategy, threshold, args.max_side)
                    walls[i].append(wall)
                    last[i] = (sampler, count)
            for i, (strategy, threshold) in enumerate(configs):
                sampler, count = last[i]
                name = strategy if threshold is None else f"{strategy}+skip_static({threshold:g})"
                low, mid = min(walls[i]), statistics.median(walls[i])
                print(
                    f"{Path(path).name} {fps:g} fps {name:<26} samples {count:4d} "
                    f"decoded {sampler.frames_decoded:5d} + keyframes {sampler.keyframes_decoded:3d} "
                    f"estimated {sampler.frames_estimated:4d}  wall {low:.2f}-{mid:.2f} s (min-median)  "
                    f"real-time {duration / mid:.0f}x-{duration / low:.0f}x"
                )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
