"""media/: probing and sampling real clips and videos encoded here from real photos.

Videos made by these tests have a known timeline (which photo or which crop is shown at
which pts), so sampled times and pixels can be checked against the source.
"""

from __future__ import annotations

import inspect
import pickle
import tracemalloc
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from videobuild import audio_only
import skimage.data

import videolabels.media.sampler as sampler_module
from videobuild import encode_timeline
from videobuild import fit as letterbox
from videobuild import photo as source_photo
from videolabels.media import MediaError, SampledFrame, VideoInfo, probe, sample_frames, samples_after
from videolabels.media.opening import open_video
from videolabels.media.sampler import _as_fraction, _Sampler
from videolabels.media.timestamps import container_start

# ---------------------------------------------------------------------------- helpers


def photo(name: str, width: int, height: int) -> np.ndarray:
    """A real photo from scikit-image, resized (not cropped) to width x height."""
    image = getattr(skimage.data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(cv2.resize(image[..., :3], (width, height), interpolation=cv2.INTER_AREA))


def encode(
    path: Path,
    images: Sequence[np.ndarray],
    *,
    pts: Sequence[int] | None = None,
    codec: str = "libx264",
    rate: int = 25,
    time_base: Fraction | None = None,
    options: dict[str, str] | None = None,
    pix_fmt: str = "yuv420p",
    rotation: int | None = None,
    sample_aspect_ratio: Fraction | None = None,
    container_options: dict[str, str] | None = None,
    fmt: str | None = None,
) -> Path:
    """Encode ``images`` (RGB) with PyAV; frame i gets ``pts[i]`` (default i) in ``time_base``."""
    height, width = images[0].shape[:2]
    with av.open(str(path), "w", format=fmt, options=container_options or {}) as container:
        stream = container.add_stream(codec, rate=rate, options=options or {})
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if time_base is not None:
            stream.codec_context.time_base = time_base
            stream.time_base = time_base
        if rotation is not None:
            stream.set_display_rotation(rotation)
        if sample_aspect_ratio is not None:
            stream.codec_context.sample_aspect_ratio = sample_aspect_ratio
        for i, image in enumerate(images):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = pts[i] if pts is not None else i
            if time_base is not None:
                frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def all_frame_times(path: Path) -> list[Fraction]:
    """Every frame's pts in seconds from the container start: a plain PyAV decode."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        start = container_start(container)
        return [Fraction(f.pts) * stream.time_base - start for f in container.decode(stream)]


def grid_pick(times: Sequence[Fraction], fps: Fraction, frame_duration: Fraction) -> list[Fraction]:
    """The sampling rule, written out plainly: first frame >= k/fps - half a frame, once."""
    picked, k = [], 0
    for t in times:
        if t >= k / fps - frame_duration / 2:
            picked.append(t)
            while k / fps - frame_duration / 2 <= t:
                k += 1
    return picked


def times_of(frames: Sequence[SampledFrame]) -> list[float]:
    return [f.time for f in frames]


# ---------------------------------------------------------------------------- videos


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    return {"coffee": photo("coffee", 320, 240), "astronaut": photo("astronaut", 320, 240)}


@pytest.fixture(scope="module")
def two_photos(tmp_path_factory, photos) -> Path:
    """25 fps, 10 s: coffee for 0-4 s, astronaut for 4-10 s; GOP 50 with B-frames."""
    images = [photos["coffee"]] * 100 + [photos["astronaut"]] * 150
    path = tmp_path_factory.mktemp("media") / "two_photos.mp4"
    return encode(path, images, options={"preset": "veryfast", "g": "50", "crf": "18"})


def panning(total: int, width: int = 160, height: int = 120) -> list[np.ndarray]:
    """Crops of a photo moving 3 px per frame: every frame is different and identifiable."""
    big = photo("astronaut", width + 3 * total, height + 40)
    return [np.ascontiguousarray(big[20 : 20 + height, 3 * i : 3 * i + width]) for i in range(total)]


@pytest.fixture(scope="module")
def open_gop(tmp_path_factory, photos) -> Path:
    """x264 open GOP with scene cuts (photo changes every 1.6 s): leading B-frames refer back."""
    names = ["coffee", "astronaut"]
    images = []
    for i in range(250):
        base = photos[names[(i // 40) % 2]]
        images.append(np.roll(base, 2 * (i % 40), axis=1))
    path = tmp_path_factory.mktemp("media") / "open_gop.mkv"
    params = "open-gop=1:keyint=30:bframes=3:b-pyramid=normal"
    return encode(path, images, options={"preset": "veryfast", "x264-params": params})


# ---------------------------------------------------------------------------- probe


def test_probe_real_clip(data_dir):
    info = probe(data_dir / "bikes.mp4")
    assert isinstance(info, VideoInfo)
    assert (info.container, info.codec, info.width, info.height, info.rotation) == ("mp4", "h264", 640, 272, 0)
    assert info.fps == 25.0 and info.frame_duration == 0.04
    assert info.duration == pytest.approx(10.0) and info.start_time == 0.0
    assert info.frame_count == 250
    # keyframes at 0, 1.2, 3.04, 5.48, 7.48, 9.68 s (scene cuts): 9.68 / 5 apart on average
    assert info.keyframe_interval == pytest.approx(9.68 / 5)


def test_probe_single_keyframe_has_no_interval(data_dir):
    info = probe(data_dir / "bigbuckbunny.mp4")
    assert (info.width, info.height) == (1280, 720)
    assert info.keyframe_interval is None  # one keyframe in the whole file


def test_city_starts_at_054_and_times_are_relative_to_it(data_dir):
    path = data_dir / "cityCC0_head.mpg"
    info = probe(path)
    assert info.start_time == pytest.approx(0.54)
    assert (info.container, info.codec, info.width, info.height) == ("mpeg", "mpeg2video", 720, 405)
    with av.open(str(path)) as container:
        first_pts_seconds = next(container.decode(video=0)).time
    assert first_pts_seconds == pytest.approx(0.54)  # what FFmpeg reports, absolute

    frames = list(sample_frames(path, fps=1.0))
    assert times_of(frames)[0] == 0.0
    assert times_of(frames) == pytest.approx([0.0, 1.0, 2.0], abs=1e-9)  # 2.9 s of it here
    assert [f.index for f in frames] == [0, 1, 2]


# ---------------------------------------------------------------------------- the grid


def test_one_fps_shows_the_right_photo(two_photos, photos):
    frames = list(sample_frames(two_photos, fps=1.0, max_side=None))
    assert times_of(frames) == [float(k) for k in range(10)]
    for f in frames:
        assert f.image.shape == (240, 320, 3) and f.image.dtype == np.uint8
        shown, other = ("coffee", "astronaut") if f.time < 4 else ("astronaut", "coffee")
        assert mae(f.image, photos[shown]) < 6, (f.time, shown)
        assert mae(f.image, photos[other]) > 40


def test_two_fps_grid(two_photos, photos):
    frames = list(sample_frames(two_photos, fps=2.0, max_side=None))
    # Targets k/2; frames every 0.04 s; a target takes the first frame at or after
    # target - 0.02 s, so 0.5 s (exactly between 0.48 and 0.52) takes 0.48.
    expected = [k / 2 - (0.02 if k % 2 else 0.0) for k in range(20)]
    assert times_of(frames) == pytest.approx(expected, abs=1e-9)
    for f in frames:
        assert mae(f.image, photos["coffee" if f.time < 4 else "astronaut"]) < 6


def test_half_fps_grid(two_photos):
    assert times_of(list(sample_frames(two_photos, fps=0.5))) == [0.0, 2.0, 4.0, 6.0, 8.0]


def test_grid_matches_the_rule_on_odd_rates(two_photos):
    times = all_frame_times(two_photos)
    for fps in (3.0, 0.3, 7.3):
        expected = grid_pick(times, _as_fraction(fps), Fraction(1, 25))
        assert times_of(list(sample_frames(two_photos, fps=fps, max_side=64))) == [float(t) for t in expected]


@pytest.mark.parametrize("fps", [1.0, 2.0, 0.5, 3.0])
def test_samples_after_counts_the_samples_still_to_come(two_photos, fps):
    """What the pipeline reads to know the end is near agrees with the frames the
    sampler picks; past the stated end it turns negative."""
    info = probe(two_photos)
    frames = list(sample_frames(two_photos, fps=fps, max_side=64))
    left = [samples_after(f.time, info.duration, fps, info.frame_duration) for f in frames]
    assert left == list(range(len(frames) - 1, -1, -1))
    assert samples_after(info.duration + 1.0, info.duration, fps, info.frame_duration) < 0


def test_variable_frame_rate(tmp_path):
    rng = np.random.default_rng(7)
    gaps = rng.choice([20, 33, 40, 40, 80, 120, 250], size=159)
    pts = [0, *np.cumsum(gaps).tolist()]  # milliseconds
    images = panning(len(pts))
    path = encode(
        tmp_path / "vfr.mkv", images, pts=pts, time_base=Fraction(1, 1000), options={"preset": "veryfast", "g": "30"}
    )
    info = probe(path)
    for fps in (2.0, 5.0):
        frames = list(sample_frames(path, fps=fps, max_side=None))
        expected = grid_pick([Fraction(p, 1000) for p in pts], _as_fraction(fps), Fraction(1) / Fraction(info.fps))
        assert times_of(frames) == [float(t) for t in expected]
        for f in frames:
            shown = pts.index(round(f.time * 1000))
            errors = [mae(f.image, image) for image in images]
            assert int(np.argmin(errors)) == shown


def test_sparse_avi_yields_what_exists(data_dir):
    path = data_dir / "tree.avi"  # 68 frames over 29.6 s
    times = all_frame_times(path)
    assert len(times) == 68
    info = probe(path)
    one = list(sample_frames(path, fps=1.0))
    assert times_of(one) == [float(t) for t in grid_pick(times, Fraction(1), Fraction(1) / Fraction(info.fps))]
    assert len(one) == 30 and times_of(one)[:3] == pytest.approx([0.0, 1.133339, 2.066678])
    many = list(sample_frames(path, fps=3.0))  # 89 targets, 68 frames: each frame once
    assert times_of(many) == [float(t) for t in times]
    assert [f.index for f in many] == list(range(68))


# ------------------------------------------------------------------- images: size, rotation


def test_max_side_keeps_aspect_and_never_enlarges(data_dir):
    path = data_dir / "bikes.mp4"
    shape = lambda **kw: next(iter(sample_frames(path, **kw))).image.shape  # noqa: E731
    assert shape(max_side=320) == (136, 320, 3)
    assert shape() == (272, 640, 3)  # default 640
    assert shape(max_side=None) == (272, 640, 3)
    assert shape(max_side=0) == (272, 640, 3)
    assert shape(max_side=1000) == (272, 640, 3)


@pytest.mark.parametrize("ext, ccw", [("mp4", 90), ("mp4", 180), ("mp4", 270), ("mkv", 90), ("mov", 270)])
def test_rotated_video_comes_out_upright(tmp_path, photos, ext, ccw):
    upright = photos["coffee"]  # 320 x 240
    # Stored turned clockwise by ccw; the display matrix turns it back counter-clockwise.
    stored = np.ascontiguousarray(np.rot90(upright, k=-(ccw // 90)))
    path = encode(tmp_path / f"rotated.{ext}", [stored] * 5, rotation=ccw, options={"preset": "veryfast"})
    info = probe(path)
    assert (info.width, info.height) == (320, 240)
    assert info.rotation == (-ccw) % 360  # clockwise, like the old `rotate` tag
    frame = next(iter(sample_frames(path, max_side=None)))
    assert frame.image.shape == (240, 320, 3) and frame.image.flags.c_contiguous
    assert mae(frame.image, upright) < 6
    small = next(iter(sample_frames(path, max_side=160))).image
    assert small.shape == (120, 160, 3)
    assert mae(small, cv2.resize(upright, (160, 120), interpolation=cv2.INTER_AREA)) < 8


def test_non_square_pixels_are_shown_stretched(tmp_path, photos):
    shown = photos["astronaut"]  # 320 x 240 as displayed
    stored = cv2.resize(shown, (240, 240), interpolation=cv2.INTER_AREA)  # 4:3 pixels
    path = encode(tmp_path / "anamorphic.mp4", [stored] * 3, sample_aspect_ratio=Fraction(4, 3))
    info = probe(path)
    assert (info.width, info.height) == (320, 240)
    image = next(iter(sample_frames(path, max_side=None))).image
    assert image.shape == (240, 320, 3)
    assert mae(image, shown) < 8


def test_images_are_private_copies(data_dir):
    frames = sample_frames(data_dir / "tree.avi", fps=1.0, max_side=None)  # rgb24 straight from the decoder
    first = next(frames)
    assert first.image.flags.owndata and first.image.flags.writeable
    before = next(frames).image.copy()
    first.image[:] = 0  # must not reach the decoder's reference pictures
    rest = list(frames)
    again = list(sample_frames(data_dir / "tree.avi", fps=1.0, max_side=None))
    assert np.array_equal(again[1].image, before)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(rest, again[2:]))


# ----------------------------------------------------------------- codecs and containers

CODECS = [
    ("libx264", "mp4", "yuv420p", {"preset": "veryfast"}, "h264"),
    ("libx265", "mkv", "yuv420p", {"preset": "ultrafast", "x265-params": "log-level=error"}, "hevc"),
    ("libvpx-vp9", "webm", "yuv420p", {"deadline": "realtime", "cpu-used": "8"}, "vp9"),
    ("libsvtav1", "mkv", "yuv420p", {"preset": "12"}, "av1"),
    ("mpeg2video", "mpg", "yuv420p", {"bf": "2", "g": "6"}, "mpeg2video"),
    ("mpeg4", "avi", "yuv420p", {"g": "6"}, "mpeg4"),
    ("mjpeg", "mov", "yuvj420p", {}, "mjpeg"),
]


@pytest.mark.parametrize("codec, ext, pix_fmt, options, name", CODECS, ids=[c[4] for c in CODECS])
def test_codecs_and_containers(tmp_path, codec, ext, pix_fmt, options, name):
    a, b = photo("coffee", 160, 128), photo("chelsea", 160, 128)
    fmt = "vob" if ext == "mpg" else None
    images = [a] * 10 + [b] * 10
    path = encode(tmp_path / f"clip.{ext}", images, codec=codec, rate=10, pix_fmt=pix_fmt, options=options, fmt=fmt)
    info = probe(path)
    container = {"mkv": "matroska", "mpg": "mpeg"}.get(ext, ext)
    assert (info.codec, info.container, info.width, info.height) == (name, container, 160, 128)
    frames = list(sample_frames(path, fps=2.0, max_side=None))
    assert times_of(frames) == pytest.approx([0.0, 0.5, 1.0, 1.5], abs=1e-9)
    for f in frames:
        shown, other = (a, b) if f.time < 1 else (b, a)
        assert mae(f.image, shown) < 10 and mae(f.image, other) > 25


# ------------------------------------------------- decoding less gives the same samples


def plan_and_full(path: Path, fps: float) -> tuple[list[SampledFrame], list[SampledFrame], _Sampler, _Sampler]:
    planned = _Sampler(open_video(path), _as_fraction(fps), 96, "plan")
    full = _Sampler(open_video(path), _as_fraction(fps), 96, "full")
    return list(planned.frames()), list(full.frames()), planned, full


@pytest.mark.parametrize("name", ["bikes.mp4", "bigbuckbunny.mp4", "cityCC0_head.mpg", "tree.avi", "open_gop"])
@pytest.mark.parametrize("fps", [0.5, 1.0, 2.0, 3.3])
def test_decoding_less_picks_the_same_frames(data_dir, open_gop, name, fps):
    path = open_gop if name == "open_gop" else data_dir / name
    planned, full, _, _ = plan_and_full(path, fps)
    assert times_of(planned) == times_of(full)
    assert all(np.array_equal(p.image, f.image) for p, f in zip(planned, full))
    # and both follow the rule on a plain PyAV decode of every frame
    info = probe(path)
    rule = grid_pick(all_frame_times(path), _as_fraction(fps), Fraction(1) / Fraction(info.fps))
    assert times_of(full) == [float(t) for t in rule]


def test_decoding_less_really_decodes_less(data_dir, open_gop):
    for path, at_most in [(data_dir / "bikes.mp4", 0.6), (data_dir / "cityCC0_head.mpg", 0.4), (open_gop, 0.6)]:
        _, _, planned, full = plan_and_full(path, 1.0)
        assert full.frames_decoded == len(all_frame_times(path))
        assert planned.frames_decoded <= at_most * full.frames_decoded, path
    # one target in 10 s: the first keyframe is all that is decoded, the rest only demuxed
    _, _, planned, _ = plan_and_full(data_dir / "bikes.mp4", 0.1)
    assert planned.frames_decoded == 1 and planned.packets_dropped > 200


# ------------------------------------------------------------------------ memory


def test_frames_are_streamed_not_kept(tmp_path):
    path = encode(tmp_path / "long.mp4", panning(750, 320, 240), options={"preset": "ultrafast", "g": "50"})
    frames = sample_frames(path, fps=10.0, max_side=None)
    assert inspect.isgenerator(frames)
    frame_bytes = 320 * 240 * 3
    tracemalloc.start()
    try:
        count = 0
        for f in frames:
            count += 1
            assert f.image.nbytes == frame_bytes
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 300  # 300 frames = 69 MB if they were kept
    assert peak < 8 * frame_bytes, peak


# ------------------------------------------------------------------------ bad input


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, data_dir) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.mp4").write_bytes(b"")
    (d / "notes.mp4").write_text("This is a shopping list, not a video.\nmilk\neggs\n" * 40)
    whole = (data_dir / "bikes.mp4").read_bytes()  # index (moov) at the end
    (d / "half.mp4").write_bytes(whole[: len(whole) // 2])
    mdat_start, mdat_size = 40, 506101  # bikes.mp4: ftyp, free, mdat, moov
    noise = np.random.default_rng(0).bytes(mdat_size - 8)
    (d / "noise.mp4").write_bytes(whole[: mdat_start + 8] + noise + whole[mdat_start + mdat_size :])
    return {
        "missing": d / "missing.mp4",
        "directory": d,
        "empty": d / "empty.mp4",
        "text": d / "notes.mp4",
        "m4a": audio_only(d / "tone.m4a", "aac"),
        "mp3": audio_only(d / "tone.mp3", "libmp3lame"),
        "truncated": d / "half.mp4",
        "undecodable": d / "noise.mp4",
        "image": d / "still.png",
    }


BAD = [
    ("missing", "FileNotFound", "does not exist"),
    ("directory", "FileNotFound", "directory"),
    ("empty", "EmptyFile", "empty"),
    ("text", "UnsupportedFileType", "not a video"),
    ("m4a", "NoVideoStream", "no video stream"),
    ("mp3", "NoVideoStream", "no video stream"),
    ("truncated", "CorruptFile", "truncated or damaged"),
    ("undecodable", "CorruptFile", "no frame"),
    ("image", "UnsupportedFileType", "not a video"),
]


@pytest.mark.parametrize("kind, code, words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_media_error(bad_inputs, photos, kind, code, words):
    path = bad_inputs[kind]
    if kind == "image":
        cv2.imwrite(str(path), photos["coffee"])
    for attempt in (lambda: probe(path), lambda: list(sample_frames(path))):
        with pytest.raises(MediaError) as caught:
            attempt()
        error = caught.value
        assert error.code == code
        text = str(error)
        assert "\n" not in text and str(path) in text and words in text.lower()


def test_megamind_bugy_decodes_in_full(data_dir):
    """The damaged OpenCV sample (packed-bitstream DivX) decodes cleanly with FFmpeg 8: its
    first packet yields no picture and its pts run out of order, so frames are timed from
    decode timestamps (FFmpeg's best-effort rule) and the first one is at 1/30 s."""
    path = data_dir / "Megamind_bugy.avi"
    info = probe(path)
    assert (info.codec, info.width, info.height, info.fps, info.duration) == ("mpeg4", 720, 528, 30.0, 9.0)
    frames = list(sample_frames(path, fps=1.0, max_side=240))
    assert times_of(frames) == pytest.approx([1 / 30, 1, 2, 3, 4, 5, 6, 7, 8])
    assert float(frames[0].image.mean()) < 5  # the film fades in from black
    for earlier, later in zip(frames[1:], frames[2:]):
        assert later.image.std() > 20 and mae(earlier.image, later.image) > 3  # pictures, and they move
    dense = times_of(list(sample_frames(path, fps=10.0, max_side=32)))
    assert len(dense) == 90 and all(b > a for a, b in zip(dense, dense[1:]))


def test_damage_mid_file_is_skipped(tmp_path, data_dir):
    whole = bytearray((data_dir / "bikes.mp4").read_bytes())
    a, z = int(len(whole) * 0.4), int(len(whole) * 0.6)
    whole[a:z] = np.random.default_rng(1).bytes(z - a)
    path = tmp_path / "holed.mp4"
    path.write_bytes(bytes(whole))
    times = times_of(list(sample_frames(path, fps=1.0)))
    assert times[:4] == [0.0, 1.0, 2.0, 3.0] and times[-3:] == [7.0, 8.0, 9.0]


def test_truncated_file_with_index_first_gives_its_first_part(tmp_path, photos):
    images = [photos["coffee"]] * 100 + [photos["astronaut"]] * 100
    whole = encode(tmp_path / "fast.mp4", images, container_options={"movflags": "faststart"})
    data = whole.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    info = probe(cut)
    assert info.duration == pytest.approx(8.0)  # what the index says
    times = times_of(list(sample_frames(cut, fps=1.0)))
    assert times[0] == 0.0 and 3 <= len(times) < 8


# ------------------------------------------------------------------------ API details


def test_bad_arguments_are_value_errors(data_dir):
    with pytest.raises(ValueError):
        sample_frames(data_dir / "bikes.mp4", fps=0)
    with pytest.raises(ValueError):
        sample_frames(data_dir / "bikes.mp4", max_side=-1)


def test_open_errors_are_raised_at_the_call(tmp_path):
    with pytest.raises(MediaError):
        sample_frames(tmp_path / "nothing.mp4")


def test_passing_info_changes_nothing(data_dir):
    path = data_dir / "cityCC0_head.mpg"
    with_info = list(sample_frames(path, fps=2.0, max_side=64, info=probe(path)))
    without = list(sample_frames(path, fps=2.0, max_side=64))
    assert times_of(with_info) == times_of(without)


def test_media_error_shape():
    error = MediaError("CorruptFile", 'Video file "x.mp4" is\ndamaged.')
    assert str(error) == 'Video file "x.mp4" is damaged.' and error.code == "CorruptFile"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message) == (error.code, error.message)
    with pytest.raises(ValueError):
        MediaError("Oops", "not a code")


def test_stopping_early_closes_the_file(data_dir):
    frames = sample_frames(data_dir / "bikes.mp4")
    next(frames)
    frames.close()  # the generator's finally closes the container
    assert inspect.getgeneratorstate(frames) == inspect.GEN_CLOSED


# ------------------------------------------------------------- skip_static: still GOPs

CUT_SIZE = (320, 180)


@pytest.fixture(scope="module")
def still_cut(tmp_path_factory) -> Path:
    """25 fps, GOP 50 (keyframes every 2 s, no scene-cut keyframe): a cat for 8.6 s, then
    a rocket for 11.4 s. The cut lies inside the GOP [8 s, 10 s); every other GOP is still."""
    path = tmp_path_factory.mktemp("static") / "still_cut.mp4"
    segments = [(source_photo("chelsea"), 8.6), (source_photo("rocket"), 11.4)]
    return encode_timeline(path, segments, size=CUT_SIZE, gop=50)


def shown(name: str) -> np.ndarray:
    return letterbox(source_photo(name), *CUT_SIZE)


def static_sampler(
    path: Path, fps: float, threshold: float | None = 8.0, max_side: int | None = None, deblock: bool = True
) -> _Sampler:
    """Deblocked keyframes by default: decoded frames are then pixel-identical to the plan's."""
    return _Sampler(open_video(path), _as_fraction(fps), max_side, "plan", threshold, deblock_keyframes=deblock)


def keyframe_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [float(p.pts * stream.time_base) for p in container.demux(stream) if p.size and p.is_keyframe]


def test_skip_static_estimates_inside_still_gops(still_cut):
    assert keyframe_times(still_cut) == [float(t) for t in range(0, 20, 2)]
    plain = list(sample_frames(still_cut, fps=1.0, max_side=None))
    sampler = static_sampler(still_cut, 1.0)
    frames = list(sampler.frames())
    assert times_of(frames) == times_of(plain) == [float(t) for t in range(20)]
    assert [f.index for f in frames] == list(range(20))
    by_time = {f.time: f for f in frames}
    estimated = [f.time for f in frames if f.estimated]
    # odd seconds inside still GOPs; not 9 (its GOP holds the cut) nor 19 (no keyframe after it)
    assert estimated == [1.0, 3.0, 5.0, 7.0, 11.0, 13.0, 15.0, 17.0]
    assert sampler.frames_estimated == 8
    cat, rocket = shown("chelsea"), shown("rocket")
    for f, p in zip(frames, plain):
        if not f.estimated:
            assert f.source_time is None
            assert np.array_equal(f.image, p.image), f.time  # decoded: exactly the plain frame
            continue
        assert f.source_time in (f.time - 1, f.time + 1)  # the nearer keyframe (a tie: the earlier)
        source = by_time[f.source_time]
        assert not source.estimated and np.array_equal(f.image, source.image)
        assert f.image is not source.image  # private copies
        right, wrong = (cat, rocket) if f.time < 8.6 else (rocket, cat)
        assert mae(f.image, right) < 6 and mae(f.image, wrong) > 30
        assert mae(f.image, p.image) < 2  # the same still photo as the frame it stands for
    assert sampler.frames_decoded + sampler.keyframes_decoded < 0.5 * len(all_frame_times(still_cut))


def test_skip_static_decodes_the_gop_with_the_cut(still_cut):
    # keyed by target: 8.5 s takes the frame at 8.48 s (half a frame early is on time)
    plain = {round(f.time * 2) / 2: f for f in sample_frames(still_cut, fps=2.0, max_side=None)}
    frames = {round(f.time * 2) / 2: f for f in static_sampler(still_cut, 2.0).frames()}
    assert [f.time for f in frames.values()] == [f.time for f in plain.values()]
    cat, rocket = shown("chelsea"), shown("rocket")
    for t, photo_shown in [(8.0, cat), (8.5, cat), (9.0, rocket), (9.5, rocket)]:
        f = frames[t]
        assert not f.estimated and f.source_time is None
        assert np.array_equal(f.image, plain[t].image)
        assert mae(f.image, photo_shown) < 6
    # the sample right after the cut shows the new photo, decoded
    assert mae(frames[9.0].image, rocket) < mae(frames[9.0].image, cat) - 30
    assert frames[7.5].estimated and frames[10.5].estimated and frames[19.5].estimated is False


def test_undeblocked_keyframes_are_the_same_pictures(data_dir):
    """By default the keyframes decoded on their own skip H.264's deblocking filter: the
    times are unchanged and the pictures all but identical to a full decode's, but not
    byte for byte (the filter really is skipped)."""
    path = data_dir / "bikes.mp4"
    plain = {f.time: f for f in sample_frames(path, fps=1.0, max_side=None)}
    sampler = static_sampler(path, 1.0, 255.0, deblock=False)
    frames = list(sampler.frames())
    assert times_of(frames) == sorted(plain) and sampler.keyframes_decoded > 0
    from_keyframes = [f for f in frames if not f.estimated and not np.array_equal(f.image, plain[f.time].image)]
    assert from_keyframes, "no keyframe differed: the loop filter was not skipped"
    for f in from_keyframes:
        assert mae(f.image, plain[f.time].image) < 1.0


@pytest.mark.parametrize("name", ["bikes.mp4", "vtest_20s.avi", "bigbuckbunny.mp4", "cityCC0_head.mpg", "open_gop"])
@pytest.mark.parametrize("fps", [0.5, 1.0, 2.0, 3.3])
def test_skip_static_keeps_the_plain_times(data_dir, open_gop, name, fps):
    """Whatever is skipped, the times are those the plain plan picks, and decoded frames
    are its frames; a threshold of 255 skips every GOP that has anything to skip."""
    path = open_gop if name == "open_gop" else data_dir / name
    plain = list(sample_frames(path, fps=fps, max_side=96))
    for threshold in (8.0, 255.0):
        sampler = static_sampler(path, fps, threshold, max_side=96)
        frames = list(sampler.frames())
        assert times_of(frames) == times_of(plain)
        assert [f.index for f in frames] == list(range(len(plain)))
        for f, p in zip(frames, plain):
            if f.estimated:
                assert f.source_time is not None and abs(f.source_time - f.time) < 2.5
            else:
                assert f.source_time is None and np.array_equal(f.image, p.image)
        if threshold == 255.0 and name in ("bikes.mp4", "cityCC0_head.mpg", "open_gop") and fps >= 1:
            assert sampler.frames_estimated > 0
        if name in ("vtest_20s.avi", "bigbuckbunny.mp4"):  # one keyframe: nothing to compare with
            assert sampler.frames_estimated == 0 and sampler.keyframes_decoded == 0


def test_skip_static_off_changes_nothing(data_dir, two_photos):
    for path in (data_dir / "bikes.mp4", two_photos):
        default = list(sample_frames(path, fps=2.0, max_side=96))
        off = list(sample_frames(path, fps=2.0, max_side=96, skip_static=False))
        full = list(_Sampler(open_video(path), _as_fraction(2.0), 96, "full").frames())
        assert times_of(default) == times_of(off) == times_of(full)
        for a, b, c in zip(default, off, full):
            assert not a.estimated and a.source_time is None and not b.estimated
            assert np.array_equal(a.image, b.image) and np.array_equal(a.image, c.image)


def test_skip_static_public_api(still_cut, photos, two_photos):
    frames = list(sample_frames(still_cut, fps=1.0, max_side=160, skip_static=True))
    assert [f.estimated for f in frames].count(True) == 8
    assert all(f.image.shape == (90, 160, 3) for f in frames)
    # a threshold of 0 only skips GOPs whose keyframes look exactly alike
    strict = list(sample_frames(two_photos, fps=1.0, max_side=None, skip_static=True, static_threshold=0.0))
    assert times_of(strict) == [float(k) for k in range(10)]
    for f in strict:
        assert mae(f.image, photos["coffee" if f.time < 4 else "astronaut"]) < 6
    with pytest.raises(ValueError):
        sample_frames(still_cut, skip_static=True, static_threshold=-1)


def test_skip_static_estimates_only_gops_up_to_the_longest_span(tmp_path):
    """A 5 s GOP (longer than the 4 s default span) is decoded even though its keyframes
    match: an event inside it could not be seen. A longer allowed span skips it."""
    path = encode_timeline(tmp_path / "long_gop.mp4", [(source_photo("chelsea"), 15.0)], size=CUT_SIZE, gop=125)
    assert keyframe_times(path) == [0.0, 5.0, 10.0]
    default = list(sample_frames(path, fps=1.0, max_side=None, skip_static=True))
    assert not any(f.estimated for f in default)
    longer = list(sample_frames(path, fps=1.0, max_side=None, skip_static=True, max_static_span=5.0))
    assert times_of(longer) == times_of(default)
    estimated = [f for f in longer if f.estimated]
    assert [f.time for f in estimated] == [1.0, 2.0, 3.0, 4.0, 6.0, 7.0, 8.0, 9.0]
    # each knows the two keyframes around it: all that is known of its picture
    assert {f.bracket for f in estimated} == {(0.0, 5.0), (5.0, 10.0)}
    assert all(f.bracket is None for f in longer if not f.estimated)
    with pytest.raises(ValueError):
        sample_frames(path, skip_static=True, max_static_span=-1)


def test_single_threaded_decoding_gives_the_same_frames(data_dir, still_cut):
    for path, skip in ((data_dir / "bikes.mp4", False), (still_cut, True)):
        auto = list(sample_frames(path, fps=2.0, max_side=None, skip_static=skip))
        one = list(sample_frames(path, fps=2.0, max_side=None, skip_static=skip, decoder_threads=1))
        assert times_of(one) == times_of(auto)
        assert all(np.array_equal(a.image, b.image) for a, b in zip(auto, one))
    with pytest.raises(ValueError):
        sample_frames(still_cut, decoder_threads=-1)


def test_skip_static_lookahead_is_bounded(still_cut, monkeypatch):
    """A GOP longer than the lookahead bound is decoded as the plan does it."""
    plain = list(sample_frames(still_cut, fps=1.0, max_side=None))
    monkeypatch.setattr(sampler_module, "_LOOKAHEAD_PACKETS", 30)  # GOPs here are 50 packets
    sampler = static_sampler(still_cut, 1.0)
    frames = list(sampler.frames())
    assert sampler.frames_estimated == 0 and sampler.keyframes_decoded == 0
    assert times_of(frames) == times_of(plain)
    assert all(np.array_equal(f.image, p.image) for f, p in zip(frames, plain))


def test_skip_static_falls_back_without_a_second_decoder(still_cut, monkeypatch):
    plain = list(sample_frames(still_cut, fps=1.0, max_side=None))

    def cannot_reopen(opened, abspath=None):
        raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")

    monkeypatch.setattr(sampler_module, "reopen", cannot_reopen)
    sampler = static_sampler(still_cut, 1.0)
    frames = list(sampler.frames())
    assert sampler.frames_estimated == 0
    assert times_of(frames) == times_of(plain)
    assert all(np.array_equal(f.image, p.image) for f, p in zip(frames, plain))
    monkeypatch.undo()

    # a keyframe that does not decode on its own: its GOPs are decoded
    monkeypatch.setattr(sampler_module._Keyframes, "_decode", lambda self, packet: None)
    sampler = static_sampler(still_cut, 1.0)
    frames = list(sampler.frames())
    assert sampler.frames_estimated == 0 and times_of(frames) == times_of(plain)


def test_skip_static_leaves_full_decoding_alone(data_dir):
    path = data_dir / "Megamind_bugy.avi"  # AVI + MPEG-4 with B-frames: decoded in full
    sampler = static_sampler(path, 1.0, max_side=96)
    frames = list(sampler.frames())
    assert sampler.keyframes_decoded == 0 and sampler.frames_estimated == 0
    assert times_of(frames) == times_of(list(sample_frames(path, fps=1.0, max_side=96)))


def test_skip_static_rotated_video_stays_upright(tmp_path, photos):
    """The second decoder must see the display matrix too: keyframes it decodes are yielded."""
    upright = photos["coffee"]  # 320 x 240
    stored = np.ascontiguousarray(np.rot90(upright, k=-1))
    options = {"preset": "veryfast", "g": "25"}
    path = encode(tmp_path / "rotated_still.mp4", [stored] * 100, rotation=90, options=options)
    plain = list(sample_frames(path, fps=2.0, max_side=None))
    sampler = static_sampler(path, 2.0)
    frames = list(sampler.frames())
    assert sampler.frames_estimated > 0 and times_of(frames) == times_of(plain)
    for f, p in zip(frames, plain):
        assert f.image.shape == (240, 320, 3)
        assert mae(f.image, upright) < 6
        if not f.estimated:
            assert np.array_equal(f.image, p.image)


def test_skip_static_streams_with_flat_memory(tmp_path):
    path = encode_timeline(tmp_path / "still.mp4", [(source_photo("coffee"), 30.0)], size=(320, 180), gop=50)
    frames = sample_frames(path, fps=4.0, max_side=None, skip_static=True)
    frame_bytes = 320 * 180 * 3
    tracemalloc.start()
    try:
        count = estimated = 0
        for f in frames:
            count += 1
            estimated += f.estimated
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 120 and estimated > 80
    assert peak < 8 * frame_bytes, peak


def test_thumbnail_difference_tells_a_cut_from_a_still(photos):
    from videolabels.media import thumbnail, thumbnail_difference

    coffee, astronaut = thumbnail(photos["coffee"]), thumbnail(photos["astronaut"])
    assert coffee.shape == (18, 32) and coffee.dtype == np.float32
    assert thumbnail_difference(coffee, coffee) == 0.0
    noise = np.random.default_rng(0).integers(-8, 9, photos["coffee"].shape)
    noisy = np.clip(photos["coffee"].astype(np.int16) + noise, 0, 255).astype(np.uint8)
    assert thumbnail_difference(coffee, thumbnail(noisy)) < 1
    assert thumbnail_difference(coffee, astronaut) > 20
