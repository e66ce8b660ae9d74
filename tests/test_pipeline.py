"""End to end on videos with a known timeline: the right labels at the right times."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from videobuild import encode_timeline, photo
from videolabels.media import MediaError, SampledFrame, sample_frames
from videolabels.insights import parse_timespan, validate_index
from videolabels.pipeline import IndexOptions, Indexer, Timings, _DecodeAhead, _ModelGate

SAMPLE_PERIOD = 1.0


@pytest.fixture(scope="module")
def indexer():
    return Indexer()


@pytest.fixture(scope="module")
def three_photos(tmp_path_factory):
    """coffee 0-4 s, astronaut 4-8 s, cat 8-12 s, 25 fps H.264."""
    path = tmp_path_factory.mktemp("videos") / "three_photos.mp4"
    return encode_timeline(path, [(photo("coffee"), 4), (photo("astronaut"), 4), (photo("chelsea"), 4)])


def spans_of(doc, name):
    labels = {lb["name"]: lb for lb in doc["videos"][0]["insights"]["labels"]}
    assert name in labels, f"{name!r} missing; labels: {sorted(labels)}"
    return [(parse_timespan(i["start"]), parse_timespan(i["end"]), i["confidence"]) for i in labels[name]["instances"]]


def assert_one_span(doc, name, start, end):
    spans = spans_of(doc, name)
    assert len(spans) == 1, spans
    s, e, conf = spans[0]
    assert abs(s - start) <= SAMPLE_PERIOD and abs(e - end) <= SAMPLE_PERIOD, (name, spans)
    assert 0.5 <= conf <= 1.0


def test_labels_and_times_follow_the_photos(indexer, three_photos):
    doc = indexer.index(three_photos, IndexOptions())
    validate_index(doc)
    assert_one_span(doc, "espresso", 0, 4)
    assert_one_span(doc, "person", 4, 8)
    assert_one_span(doc, "human face", 4, 8)
    assert_one_span(doc, "cat", 8, 12)
    # nothing from one photo leaks into the others' time
    s, e, _ = spans_of(doc, "espresso")[0]
    assert e < 4.5
    assert doc["durationInSeconds"] == 12
    assert doc["videos"][0]["insights"]["duration"] == "0:00:12"


def test_end_is_last_sample_plus_one_frame(indexer, three_photos):
    doc = indexer.index(three_photos, IndexOptions())
    s, e, _ = spans_of(doc, "cat")[0]
    assert s == pytest.approx(8.0) and e == pytest.approx(11.04)


def test_higher_sampling_rate_gives_finer_times(indexer, three_photos):
    doc = indexer.index(three_photos, IndexOptions(fps=2.0))
    s, e, _ = spans_of(doc, "cat")[0]
    # the 11.5 s target takes the frame at 11.48 s (within half a frame), + 0.04
    assert s == pytest.approx(8.0) and e == pytest.approx(11.52)


def test_min_confidence_filters(indexer, three_photos):
    strict = indexer.index(three_photos, IndexOptions(min_confidence=0.9))
    names = {lb["name"] for lb in strict["videos"][0]["insights"]["labels"]}
    assert "cat" in names and "espresso" not in names
    for label in strict["videos"][0]["insights"]["labels"]:
        assert all(i["confidence"] >= 0.9 for i in label["instances"])


def test_static_frames_reuse_scores_without_changing_output(indexer, three_photos):
    fresh = indexer.index(three_photos, IndexOptions(reuse_threshold=0), video_id="x")
    analysed_all = indexer.last_analysis.timings.frames_analyzed
    reused = indexer.index(three_photos, IndexOptions(), video_id="x")
    assert indexer.last_analysis.timings.frames_analyzed < analysed_all
    def spans(d):
        return {lb["name"]: [(i["start"], i["end"], i["confidence"]) for i in lb["instances"]] for lb in d["videos"][0]["insights"]["labels"]}

    a, b = spans(fresh), spans(reused)
    # Clear labels come out the same; a label within a few hundredths of the threshold
    # may flip, since near-identical frames still differ by encoder noise.
    clear = lambda d: {n for n, v in d.items() if min(c for *_, c in v) >= 0.7}
    assert clear(a) == clear(b) and len(clear(a)) >= 4
    for name in clear(a):
        assert [x[:2] for x in a[name]] == [x[:2] for x in b[name]], name
        assert [x[2] for x in a[name]] == pytest.approx([x[2] for x in b[name]], abs=0.1), name


def test_summarized_insights_on_request(indexer, three_photos):
    doc = indexer.index(three_photos, IndexOptions(include_summarized_insights=True))
    validate_index(doc)
    names = [lb["name"] for lb in doc["summarizedInsights"]["labels"]]
    assert "cat" in names
    cat = next(lb for lb in doc["summarizedInsights"]["labels"] if lb["name"] == "cat")
    assert cat["appearances"][0]["startSeconds"] == 8


def test_real_clip_people_and_cars(indexer, data_dir):
    """vtest.avi: a surveillance camera over a path with pedestrians and parked cars."""
    doc = indexer.index(data_dir / "vtest_20s.avi", IndexOptions())
    validate_index(doc)
    person = spans_of(doc, "person")
    assert person[0][0] == 0 and person[-1][1] > 18
    assert spans_of(doc, "car")


def test_real_clip_face_and_tie(indexer, data_dir):
    """carphone_pristine.mp4: a man in a suit and bow tie talking in a car."""
    doc = indexer.index(data_dir / "carphone_pristine.mp4", IndexOptions())
    names = {lb["name"] for lb in doc["videos"][0]["insights"]["labels"]}
    assert {"person", "human face"} <= names
    assert names & {"bow tie", "necktie"}


@pytest.mark.parametrize("clip", ["bikes.mp4", "vtest_20s.avi"])
def test_detector_gating_keeps_the_labels_and_times(indexer, data_dir, clip):
    """Looking with the detectors only where the picture or their answer changed must
    give the instances a look at every sample gives, on a fast-cut clip and a static one."""
    every = indexer.index(
        data_dir / clip, IndexOptions(detector_stride=1, classifier_stride=1, reuse_threshold=0), video_id="x"
    )
    looks_every = indexer.last_analysis.timings.looks["ssd-mobilenet-v2-coco"]
    gated = indexer.index(data_dir / clip, IndexOptions(), video_id="x")
    looks_gated = indexer.last_analysis.timings.looks["ssd-mobilenet-v2-coco"]

    def spans(d):
        return {lb["name"]: [(i["start"], i["end"]) for i in lb["instances"]] for lb in d["videos"][0]["insights"]["labels"]}

    assert spans(gated) == spans(every)
    if clip == "vtest_20s.avi":  # a fixed camera: most looks are saved
        assert looks_gated <= looks_every / 2


def test_skip_static_reuses_scores_inside_unchanging_groups_of_pictures(indexer, tmp_path):
    """Two still photos, 8 s each, keyframe every 2 s: only the GOP with the cut and the
    keyframes need decoding; labels and times stay those of the full run."""
    path = encode_timeline(tmp_path / "stills.mp4", [(photo("coffee"), 8), (photo("chelsea"), 8)], gop=50)
    full = indexer.index(path, IndexOptions(reuse_threshold=0, skip_static_gops=False), video_id="x")
    fast = indexer.index(path, IndexOptions(reuse_threshold=0), video_id="x")  # skipping is the default
    assert indexer.last_analysis.timings.frames_analyzed < indexer.last_analysis.timings.frames_sampled

    def spans(d):
        return {lb["name"]: [(i["start"], i["end"]) for i in lb["instances"]] for lb in d["videos"][0]["insights"]["labels"]}

    assert spans(fast)["cat"] == spans(full)["cat"]
    assert spans(fast)["espresso"] == spans(full)["espresso"]


def test_a_label_holds_between_matching_keyframes_only_if_it_holds_at_both(indexer, tmp_path):
    """Estimated samples (inside a GOP whose keyframes match, not decoded) get, per label,
    the lower of the two keyframes' scores: nothing between them was looked at, so a
    detection at one keyframe alone is not stretched over the samples after it. Fed to `analyze` as frames: a coffee keyframe, two estimated samples, and
    a cat keyframe at the other end."""
    coffee, cat = photo("coffee"), photo("chelsea")
    path = encode_timeline(tmp_path / "two.mp4", [(coffee, 2.0), (cat, 2.0)])
    frames = [
        SampledFrame(index=0, time=0.0, image=coffee),
        SampledFrame(index=1, time=1.0, image=coffee.copy(), estimated=True, source_time=0.0, bracket=(0.0, 3.0)),
        SampledFrame(index=2, time=2.0, image=cat.copy(), estimated=True, source_time=3.0, bracket=(0.0, 3.0)),
        SampledFrame(index=3, time=3.0, image=cat),
    ]
    analysis = indexer.analyze(path, IndexOptions(classifier_stride=1, detector_stride=1), frames=frames)
    espresso, tabby = analysis.label_scores["espresso"], analysis.label_scores["egyptian_cat"]
    assert espresso[0] > 0.5 and tabby[3] > 0.2
    for s in (1, 2):
        assert espresso[s] == pytest.approx(min(espresso[0], espresso[3]))
        assert tabby[s] == pytest.approx(min(tabby[0], tabby[3]))
    assert analysis.timings.frames_analyzed == 2  # the estimated samples show keyframes already seen


def test_analysis_from_given_frames_equals_the_decoded_one(indexer, data_dir):
    """`analyze(frames=...)` (how `bench` times the models alone) changes nothing else."""
    path = data_dir / "bikes.mp4"
    options = IndexOptions()
    decoded = indexer.analyze(path, options)
    given = indexer.analyze(path, options, frames=list(sample_frames(path, **options.sampling())))
    assert given.times == decoded.times
    for key, scores in decoded.label_scores.items():
        assert np.allclose(given.label_scores[key], scores), key


def test_classifier_labels_the_detector_can_check_are_weighed_down_when_it_disagrees(indexer):
    """A dog breed whose frame shows no dog to the detector counts for less."""
    keys = indexer.label_keys
    cls_cols, det_cols = indexer._agreement
    pairs = {(keys[c], keys[d]) for c, d in zip(cls_cols, det_cols)}
    assert ("labrador_retriever", "dog") in pairs
    assert all(keys[c] != keys[d] for c, d in zip(cls_cols, det_cols))
    # labels the detector names itself are never checked against themselves
    assert "person" not in {keys[c] for c in cls_cols}


def test_scenes_bridge_longer_gaps_than_objects(indexer, data_dir):
    """A scene lasts the shot while the objects that show it come and go: four unseen
    samples split a dog's instance but not an "outdoor" one (up to `scene_gap_s`)."""
    import dataclasses

    from videolabels.media import probe
    from videolabels.pipeline import Analysis, Timings

    times = [float(t) for t in range(20)]
    pattern = np.array([0.9] * 8 + [0.0] * 4 + [0.9] * 8, dtype=np.float32)
    zeros = np.zeros(20, dtype=np.float32)
    scores = {key: zeros for key in indexer.label_keys}
    scores = {**scores, "outdoor": pattern, "dog": pattern}
    info = dataclasses.replace(probe(data_dir / "bikes.mp4"), duration=20.0)
    analysis = Analysis(info=info, times=times, label_scores=scores, timings=Timings())
    tracks = {t.name: t for t in indexer.tracks(analysis, IndexOptions())}
    assert [(i.start, i.end) for i in tracks["outdoor"].instances] == [(0.0, pytest.approx(19.04))]
    assert len(tracks["dog"].instances) == 2
    short = {t.name: t for t in indexer.tracks(analysis, IndexOptions(scene_gap_s=2.0))}
    assert len(short["outdoor"].instances) == 2


def test_samples_between_two_agreeing_looks_are_interpolated(indexer, tmp_path):
    """The classifier looks at every 4th sample (and the first): a slow pan (2 px a
    frame) over a real photo (coffee, espresso all along) gets looks at samples 0, 3 and
    7 only, and the samples between take scores on the straight line between the two
    looks, not the lower of the two (which pulled labels hovering near the threshold
    under it in between)."""
    coffee = photo("coffee")
    h, w = coffee.shape[:2]
    crops = [np.ascontiguousarray(coffee[:, 2 * i : w - 16 + 2 * i]) for i in range(8)]
    path = encode_timeline(tmp_path / "pan.mp4", [(crop, 1.0) for crop in crops])
    frames = [SampledFrame(index=i, time=float(i), image=crop) for i, crop in enumerate(crops)]
    analysis = indexer.analyze(path, IndexOptions(reuse_threshold=0), frames=frames)
    assert IndexOptions().classifier_stride == 4
    assert analysis.timings.looks["efficientnet-lite3-int8"] == 3  # 0, 3, 7: the looks agreed
    espresso = analysis.label_scores["espresso"]
    assert espresso.min() > 0.5
    assert len(set(np.round(espresso[[0, 3, 7]], 4))) == 3  # the pan moves the scores a little
    for i, (lo, hi) in {1: (0, 3), 2: (0, 3), 4: (3, 7), 5: (3, 7), 6: (3, 7)}.items():
        share = (i - lo) / (hi - lo)
        assert espresso[i] == pytest.approx(espresso[lo] * (1 - share) + espresso[hi] * share, abs=1e-5)


def _enters(gate, held: threading.Event, first: bool = False, order: list | None = None) -> threading.Event:
    """Starts a thread that enters `gate` and holds it until `held` is set."""
    entered = threading.Event()

    def look() -> None:
        with gate.look(first=first):
            if order is not None:
                order.append(first)
            entered.set()
            held.wait(10)

    threading.Thread(target=look, daemon=True).start()
    return entered


def test_model_looks_leave_a_core_to_a_decoder_they_wait_for(data_dir):
    """On two cores, while the decoder is behind (few frames queued, more to come) one
    model look runs at a time; once frames pile up, or decoding is done, two do."""
    frames = list(sample_frames(data_dir / "bikes.mp4", fps=1.0, max_side=160))[:5]
    go_on = threading.Event()

    def decoder(pause_after: int):
        yield from frames[:pause_after]
        go_on.wait(10)
        yield from frames[pause_after:]

    # Behind: one frame decoded, the decoder busy on the next.
    decoding = _DecodeAhead(decoder(1), depth=8, timings=Timings())
    gate = _ModelGate(2, decoding, ahead=3)
    first_held, second_held = threading.Event(), threading.Event()
    assert _enters(gate, first_held).wait(5)
    second = _enters(gate, second_held)
    assert not second.wait(0.3), "a second look ran beside the first while the decoder was behind"
    first_held.set()
    assert second.wait(5)
    second_held.set()
    # Done: every frame decoded and taken.
    go_on.set()
    assert len(list(decoding)) == len(frames)
    both_held = threading.Event()
    assert _enters(gate, both_held).wait(5) and _enters(gate, both_held).wait(5)
    both_held.set()

    # Ahead: four frames wait in the queue (>= 3), so the models are the slower stage.
    go_on.clear()
    decoding = _DecodeAhead(decoder(4), depth=8, timings=Timings())
    gate = _ModelGate(2, decoding, ahead=3)
    for _ in range(100):
        if decoding.queued >= 4:
            break
        threading.Event().wait(0.05)
    held = threading.Event()
    assert _enters(gate, held).wait(5) and _enters(gate, held).wait(5)
    held.set()
    go_on.set()
    decoding.close()


def test_a_waiting_detector_look_goes_before_a_waiting_classifier_look(data_dir):
    """One look at a time (the decoder is behind): of the two waiting, the detector's
    enters first though the classifier's waited longer; then the classifier's."""
    frames = list(sample_frames(data_dir / "bikes.mp4", fps=1.0, max_side=160))[:3]
    go_on = threading.Event()

    def decoder():
        yield frames[0]
        go_on.wait(10)
        yield from frames[1:]

    decoding = _DecodeAhead(decoder(), depth=8, timings=Timings())
    gate = _ModelGate(2, decoding, ahead=3)
    running = threading.Event()
    assert _enters(gate, running).wait(5)
    order: list[bool] = []
    classifier_held, detector_held = threading.Event(), threading.Event()
    classifier = _enters(gate, classifier_held, first=False, order=order)
    assert not classifier.wait(0.2)
    detector = _enters(gate, detector_held, first=True, order=order)
    assert not detector.wait(0.2)
    running.set()  # the running look ends: one of the two may go
    assert detector.wait(5)
    assert not classifier.wait(0.3), "the classifier's look ran beside the detector's"
    detector_held.set()
    assert classifier.wait(5)
    classifier_held.set()
    assert order == [True, False]
    go_on.set()
    decoding.close()


class _Logged:
    """A real recognizer whose looks are written to a shared log (which frames, when)."""

    def __init__(self, inner, log: list, frames: list[SampledFrame]) -> None:
        self._inner, self._log, self._ids = inner, log, {id(f.image): f.index for f in frames}
        self.name, self.namespace, self.classes = inner.name, inner.namespace, inner.classes
        self.exclusive, self.expensive = inner.exclusive, inner.expensive
        self.first_look = threading.Event()

    @property
    def last_boxes(self):
        return self._inner.last_boxes

    def recognize(self, images):
        self._log.append((self.name, [self._ids.get(id(image)) for image in images]))
        scores = self._inner.recognize(images)
        self.first_look.set()
        return scores


def test_the_first_frame_is_looked_at_before_its_batch_is_full(indexer, data_dir):
    """The models look at the video's first frame as soon as it arrives, instead of
    idling until the decoder has filled the first batch, and take no second look at it
    when the batch is full."""
    frames = list(sample_frames(data_dir / "bikes.mp4", fps=1.0, max_side=320))[:10]
    assert len(frames) == 10
    log: list = []
    models = [_Logged(r, log, frames) for r in indexer.recognizers if r.namespace != "face"]
    logged = Indexer(recognizers=models, vocabulary=indexer.vocabulary)

    def slow_decoder():
        for frame in frames:
            if frame.index == 2:  # both models have looked at frame 0 by now
                assert all(m.first_look.wait(10) for m in models), "no look before the first batch was full"
                log.append(("decoder", [2]))
            yield frame

    logged.analyze(data_dir / "bikes.mp4", IndexOptions(reuse_threshold=0), frames=slow_decoder())
    decoder_at = log.index(("decoder", [2]))
    for m in models:
        looks = [ids for name, ids in log if name == m.name]
        assert looks[0] == [0] and log.index((m.name, [0])) < decoder_at
        assert sum(ids.count(0) for ids in looks) == 1, looks  # frame 0 once, not again with its batch


@pytest.mark.parametrize("last", ["coffee", "astronaut"])
def test_the_detectors_last_batch_waits_for_the_last_frames(indexer, tmp_path, last):
    """Nine frames (a slow pan over a real photo): the detector's batch of eight waits
    for the ninth and last, and looks at it alone when it agrees with the first, instead
    of at the eighth and then the ninth, both after the last frame is decoded. Where the
    last frame shows something else (a person), the skipped eighth is the first look
    between them, and each frame keeps its own batch's scores. The classifier's batches
    are as ever."""
    coffee = photo("coffee")
    h, w = coffee.shape[:2]
    crops = [np.ascontiguousarray(coffee[:, 2 * i : w - 16 + 2 * i]) for i in range(9)]
    if last == "astronaut":
        crops[8] = cv2.resize(photo("astronaut"), (crops[0].shape[1], crops[0].shape[0]))
    path = encode_timeline(tmp_path / "pan.mp4", [(crop, 1.0) for crop in crops])
    frames = [SampledFrame(index=i, time=float(i), image=crop) for i, crop in enumerate(crops)]
    log: list = []
    models = [_Logged(r, log, frames) for r in indexer.recognizers if r.namespace != "face"]
    logged = Indexer(recognizers=models, vocabulary=indexer.vocabulary)
    analysis = logged.analyze(path, IndexOptions(reuse_threshold=0), frames=frames)
    looks = {m.name: [ids for name, ids in log if name == m.name] for m in models}
    detector = next(r for r in indexer.recognizers if r.namespace == "coco")
    assert IndexOptions().detector_stride == 8 and IndexOptions().batch_size == 8
    assert looks["efficientnet-lite3-int8"] == [[0], [3, 7], [8]]
    person = analysis.label_scores["person"]
    seen = detector.recognize([crops[8]])[0, list(detector.classes).index("person")]
    if last == "coffee":
        assert looks[detector.name] == [[0], [8]]
        assert person.max() < 0.2
    else:
        assert looks[detector.name] == [[0], [8], [7]]
        assert person[8] == pytest.approx(seen) and seen > 0.5
        assert person[:8].max() < 0.2


def test_a_stated_duration_too_short_holds_back_at_most_one_batch(indexer, tmp_path):
    """Frames that go on past the duration the container states: the batch held for
    the last frames joins the next one, and no frame is lost."""
    coffee = photo("coffee")
    h, w = coffee.shape[:2]
    crops = [np.ascontiguousarray(coffee[:, i : w - 16 + i]) for i in range(17)]
    path = encode_timeline(tmp_path / "short.mp4", [(crop, 1.0) for crop in crops[:9]])  # states 9 s
    frames = [SampledFrame(index=i, time=float(i), image=crop) for i, crop in enumerate(crops)]
    log: list = []
    models = [_Logged(r, log, frames) for r in indexer.recognizers if r.namespace == "coco"]
    logged = Indexer(recognizers=models, vocabulary=indexer.vocabulary)
    analysis = logged.analyze(path, IndexOptions(reuse_threshold=0), frames=frames)
    assert [ids for name, ids in log] == [[0], [7, 15], [16]]
    assert analysis.timings.frames_analyzed == 17 and len(analysis.times) == 17
    assert all(np.isfinite(scores).all() and len(scores) == 17 for scores in analysis.label_scores.values())


class _Slow:
    """A real recognizer whose looks take at least `seconds` and are timed."""

    def __init__(self, inner, seconds: float, looks: list) -> None:
        self._inner, self._seconds, self._looks = inner, seconds, looks
        self.name, self.namespace, self.classes = inner.name, inner.namespace, inner.classes
        self.exclusive, self.expensive = inner.exclusive, inner.expensive

    @property
    def last_boxes(self):
        return self._inner.last_boxes

    def recognize(self, images):
        began = time.monotonic()
        scores = self._inner.recognize(images)
        time.sleep(self._seconds)
        self._looks.append((began, time.monotonic()))
        return scores


def test_a_run_that_fails_leaves_no_look_behind(indexer, data_dir):
    """A video that breaks off (a decoding error, a cancelled job) ends once its models
    are idle: no look of it runs on into the next video's gate and timings."""
    frames = list(sample_frames(data_dir / "bikes.mp4", fps=2.0, max_side=320))[:20]
    looks: list = []
    models = [_Slow(r, 0.05, looks) for r in indexer.recognizers if r.namespace != "face"]
    slow = Indexer(recognizers=models, vocabulary=indexer.vocabulary)
    options = IndexOptions(reuse_threshold=0, batch_size=4)

    def breaking_decoder():
        yield from frames[:17]  # four batches handed on, two of them in flight
        raise MediaError("CorruptFile", "the file breaks off here")

    with pytest.raises(MediaError):
        slow.analyze(data_dir / "bikes.mp4", options, frames=breaking_decoder())
    ended = time.monotonic()
    assert looks, "no look ran before the error"
    time.sleep(0.3)
    assert max(end for _, end in looks) <= ended
    # and the indexer goes on to its next video as if nothing had happened
    done = slow.analyze(data_dir / "bikes.mp4", options, frames=iter(frames))
    assert len(done.times) == len(frames)
