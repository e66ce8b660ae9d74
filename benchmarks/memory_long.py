"""Memory of `videolabels index` on a 2-hour 1080p video: peak RSS and RSS over time.

    python benchmarks/memory_long.py [--hours 2] [--json benchmarks/results/memory_long.json]

Memory must not grow with video length (target: peak under 600 MB). Encoding two hours
of 1080p would take hours, so ~60 s of real footage is encoded once by `make_clip.py`
at a low bitrate (crf 35) and its packets are copied N times, timestamps shifted, into
one MP4 (stream copy: seconds, not hours). Every copy starts on an IDR frame, so the
file decodes as one continuous 2-hour video.

The file is then indexed by the real command (`python -m videolabels index FILE -o
OUT`) in a child process, whose RSS (with any children of its own) is sampled with
psutil every 0.5 s. Reported: peak RSS, and RSS over the first 10 % and the last 10 %
of the run (flat memory: the two are about equal). The long file is deleted afterwards
unless --keep is given.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import av  # noqa: E402

from make_clip import make_clip  # noqa: E402
from videolabels.bench import RssSampler, machine_description  # noqa: E402


def loop_remux(source: Path, out: Path, copies: int) -> dict:
    """``copies`` back-to-back copies of ``source``'s video packets in one MP4, no re-encoding."""
    with av.open(str(source)) as src:
        stream = src.streams.video[0]
        packets = [(p.pts, p.dts, p.duration, p.is_keyframe) for p in src.demux(stream) if p.size]
    first_pts = min(p[0] for p in packets)
    end_pts = max(p[0] + (p[2] or 0) for p in packets)
    offset = end_pts - first_pts  # one copy's length, in the stream's time base
    with av.open(str(source)) as src, av.open(str(out), "w") as dst:
        in_stream = src.streams.video[0]
        out_stream = dst.add_stream_from_template(in_stream)
        tb = in_stream.time_base
        for i in range(copies):
            src.seek(0, stream=in_stream)
            for packet in src.demux(in_stream):
                if not packet.size:
                    continue
                shift = i * offset
                packet.pts = packet.pts + shift if packet.pts is not None else None
                packet.dts = packet.dts + shift if packet.dts is not None else None
                packet.time_base = tb
                packet.stream = out_stream
                dst.mux(packet)
    return {"copies": copies, "copy_seconds": float(offset * tb), "packets": len(packets) * copies}


def rss_window(samples: list[tuple[float, float]], lo: float, hi: float) -> dict:
    """Mean and max MB of the samples between fractions ``lo`` and ``hi`` of the run."""
    end = samples[-1][0] if samples else 0.0
    window = [mb for t, mb in samples if lo * end <= t <= hi * end]
    if not window:
        return {"mean_mb": None, "max_mb": None, "samples": 0}
    return {"mean_mb": round(statistics.fmean(window), 1), "max_mb": round(max(window), 1), "samples": len(window)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--clip-seconds", type=float, default=60.0)
    parser.add_argument("--source", type=Path, action="append", help="footage for the clip (default: make_clip's)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--keep", action="store_true", help="keep the long file")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()

    clip = args.workdir / f"memory_clip{args.height}_crf35.mp4"
    long_file = args.workdir / f"memory_long{args.height}_{args.hours:g}h.mp4"
    output = args.workdir / "memory_long.index.json"
    if not clip.exists():
        t0 = time.perf_counter()
        make_clip(clip, height=args.height, seconds=args.clip_seconds, sources=args.source, crf=35)
        print(f"encoded {clip} in {time.perf_counter() - t0:.0f} s", flush=True)
    copies = max(1, round(args.hours * 3600 / args.clip_seconds))
    t0 = time.perf_counter()
    remux = loop_remux(clip, long_file, copies)
    remux["seconds"] = round(time.perf_counter() - t0, 1)
    remux["size_mb"] = round(long_file.stat().st_size / 2**20, 1)
    print(f"remuxed {copies} copies into {long_file} ({remux['size_mb']} MB) in {remux['seconds']} s", flush=True)

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, "-m", "videolabels", "index", str(long_file), "-o", str(output)]
    try:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        with RssSampler(interval=args.interval, pid=child.pid, pss=False) as rss:
            _, stderr = child.communicate()
        wall = time.perf_counter() - started
    finally:
        if not args.keep:
            long_file.unlink(missing_ok=True)
    if child.returncode != 0:
        raise SystemExit(f"indexing failed ({child.returncode}): {stderr.strip()}")
    doc = json.loads(output.read_text())
    samples = [(t, mb) for t, mb in rss.samples if mb > 0]
    duration = float(doc["durationInSeconds"])
    report = {
        "machine": machine_description(),
        "load_average_end": os.getloadavg(),
        "video": {"height": args.height, "duration_s": duration, **remux},
        "command": " ".join(["videolabels", *command[3:]]),
        "wall_s": round(wall, 1),
        "realtime_factor": round(duration / wall, 1),
        "peak_rss_mb": round(max(mb for _, mb in samples), 1),
        "first_10pct": rss_window(samples, 0.0, 0.1),
        "last_10pct": rss_window(samples, 0.9, 1.0),
        # RSS at every 5 % of the run, to plot or eyeball.
        "rss_every_5pct_mb": [rss_window(samples, k / 20, (k + 1) / 20)["max_mb"] for k in range(20)],
        "labels": len(doc["videos"][0]["insights"]["labels"]),
        "samples": len(samples),
        "interval_s": args.interval,
    }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
