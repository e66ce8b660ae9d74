"""Wires the layers together: media -> recognizers -> vocabulary -> timeline -> insights.

The CLI, the HTTP service and the benchmarks all call `Indexer`, so a video gives the
same document whichever way it was submitted.

Decoding and inference overlap: a decode thread (started before the probe) fills a
small bounded queue with sampled frames, the calling thread batches them, and a
classifier thread and a detector thread each work through the batches. PyAV and the
model runtimes release the GIL, so the threads share the cores; while the models wait
for the decoder, `_ModelGate` keeps them to one core between them so that the decoder
has the other, the detector's looks first. The queue bound and at most two batches in
flight (three at the very end, see `flush`) keep memory flat however long the video is.
"""

from __future__ import annotations

import queue
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait as wait_futures
import threading
import time
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .cores import usable_cores
from .insights import Instance, LabelTrack, build_index
from .media import (
    DEFAULT_MAX_STATIC_SPAN,
    MediaError,
    SampledFrame,
    VideoInfo,
    probe,
    sample_frames,
    samples_after,
    thumbnail,
    thumbnail_difference,
)
from .recognizers import Recognizer, default_recognizers
from .timeline import find_instances
from .vocabulary import Vocabulary, expand_scores

#: Default label threshold on our score scale (see README "Choosing the threshold").
DEFAULT_MIN_CONFIDENCE = 0.5

ProgressCallback = Callable[[float, float], None]
"""Called with (seconds of video done, total seconds) as sampling advances."""


@dataclass
class IndexOptions:
    fps: float = 1.0
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    include_summarized_insights: bool = False
    language: str = "en-US"
    #: Longest side of the frames handed to recognizers; all models work well below it.
    max_side: int = 640
    batch_size: int = 8
    #: Frames whose 32x18 grey thumbnail differs from the last analysed frame by less
    #: than this mean absolute difference (0-255) reuse its scores: static footage needs
    #: one look, not one per second. 0 disables reuse.
    reuse_threshold: float = 1.5
    #: The face detector only runs on frames where the person detector scores at least
    #: this; faces without a detectable person are rare and the cascade is the costliest
    #: model on large frames.
    face_gate: float = 0.2
    #: Expensive models (the detectors) look at every n-th sample, and at the samples in
    #: between only where their answer or the picture changed; 1: every sample. Every
    #: 8th / 4th sample gives the accuracy benchmark's instances of every 4th / 2nd with
    #: half the looks (benchmarks/README.md).
    detector_stride: int = 8
    #: The same for the classifier, which gives the finer labels.
    classifier_stride: int = 4
    #: Skip decoding inside a group of pictures (at most `max_static_span` seconds long)
    #: whose two keyframes look the same (`VISUAL_CHANGE`): its samples are known from
    #: the keyframes' pictures, and a label holds there only where it holds at both. 1.7x
    #: faster on fixed-camera footage (vtest720: 41 frames decoded for 80 samples, not 80
    #: with their reference chains); what it can miss is something that
    #: enters and leaves between two matching keyframes (`--no-skip-static` to decode).
    skip_static_gops: bool = True
    max_static_span: float = DEFAULT_MAX_STATIC_SPAN
    #: Threads FFmpeg decodes with (0: its own choice). One: the models keep the second
    #: core busy, and FFmpeg's frame threads cost 5-30 % more CPU for the same frames.
    decoder_threads: int = 1
    #: Samples a label may miss inside one instance.
    max_gap: int = 1
    #: Seconds a scene ("outdoor", "street") may go unseen inside one instance: a place
    #: lasts the whole shot while the objects that show it come and go. Measured on the
    #: accuracy benchmark: 1 sample -> 4 of 17 scene instances correct, 6 s -> 7 of 16,
    #: 10 s -> 7 of 14 (fewer fragments, none more found); 6 s risks less merging across
    #: a cut to another place and back.
    scene_gap_s: float = 6.0
    #: How far below the threshold a score may fall and still continue an instance.
    hysteresis: float = 0.1

    def validate(self) -> None:
        if not self.fps > 0:
            raise ValueError(f"--fps must be > 0, got {self.fps}")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"--min-confidence must be between 0 and 1, got {self.min_confidence}")
        from .localize import resolve_language

        # Canonical code ("he" -> "he-IL"); an unknown one is an UnknownLanguageError
        # naming the closest supported codes, raised before any work is done.
        self.language = resolve_language(self.language)

    def sampling(self) -> dict:
        """Keyword arguments of `media.sample_frames` that sample as `Indexer.analyze` does."""
        return {
            "fps": self.fps,
            "max_side": self.max_side,
            "skip_static": self.skip_static_gops,
            "static_threshold": VISUAL_CHANGE,
            "max_static_span": self.max_static_span,
            "decoder_threads": self.decoder_threads,
        }


@dataclass
class Timings:
    """Wall time spent per stage (seconds); what `videolabels bench` reports."""

    probe: float = 0.0
    decode_wait: float = 0.0
    decode_busy: float = 0.0
    inference: dict[str, float] = field(default_factory=dict)
    timeline: float = 0.0
    document: float = 0.0
    total: float = 0.0
    frames_sampled: int = 0
    frames_analyzed: int = 0
    #: Frames (or face crops) each model was run on.
    looks: dict[str, int] = field(default_factory=dict)


@dataclass
class Analysis:
    """Scores of every label at every sampled time, before thresholds are applied."""

    info: VideoInfo
    times: list[float]
    label_scores: dict[str, np.ndarray]
    timings: Timings


class _LabelMap:
    """Column groups turning one recognizer's class scores into label scores."""

    def __init__(self, recognizer: Recognizer, vocabulary: Vocabulary) -> None:
        groups: dict[str, list[int]] = {}
        for column, class_key in enumerate(recognizer.classes):
            key = vocabulary.label_key(recognizer.namespace, class_key)
            if key is not None:
                groups.setdefault(key, []).append(column)
        self.keys = list(groups)
        self.columns = [np.asarray(cols) for cols in groups.values()]
        self.exclusive = recognizer.exclusive
        # One gather (the first class of each label), then a numpy call only for the few
        # labels made of several classes, instead of one per label: ~1000 calls per batch
        # were 5 % of the models' CPU. (Not a matrix product with a 0/1 class-to-label
        # matrix: BLAS threads spinning beside the models cost 40 % more CPU in all.)
        self._first = np.asarray([cols[0] for cols in self.columns], dtype=np.intp)
        self._multi = [(j, cols) for j, cols in enumerate(self.columns) if len(cols) > 1]

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """(n, classes) -> (n, labels): synonyms of a softmax add up, detections take the max."""
        scores = np.asarray(scores, dtype=np.float32)
        out = scores[:, self._first]
        for j, cols in self._multi:
            part = scores[:, cols]
            out[:, j] = part.sum(axis=1) if self.exclusive else part.max(axis=1)
        if self.exclusive:
            np.minimum(out, 1.0, out=out)
        return out


_DONE = object()


class _DecodeAhead:
    """Runs the frame iterator in a thread, up to `depth` frames ahead of the consumer.

    The thread starts at construction, so decoding overlaps whatever the caller does
    before it takes the first frame (the probe: 25-60 ms of 720p/1080p H.264 that the
    models would otherwise wait for). `close` stops it; iterating to the end, or
    leaving the loop early, closes it too.
    """

    def __init__(self, frames: Iterator[SampledFrame], depth: int, timings: Timings) -> None:
        self._frames = frames
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._timings = timings
        self.done = False
        self._thread = threading.Thread(target=self._produce, name="videolabels-decode", daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        """Queue `item` unless the consumer has stopped (then False); waits while full."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        timings = self._timings
        try:
            started = time.perf_counter()
            for frame in self._frames:
                timings.decode_busy += time.perf_counter() - started
                if not self._put(frame):
                    return
                started = time.perf_counter()
            timings.decode_busy += time.perf_counter() - started
            self.done = True  # before the last put, which may wait: the gate opens now
            self._put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)
        finally:
            self.done = True
            close = getattr(self._frames, "close", None)
            if close is not None:  # the sampler's generator closes its file
                close()

    def __iter__(self) -> Iterator[SampledFrame]:
        try:
            while True:
                waited = time.perf_counter()
                item = self._queue.get()
                self._timings.decode_wait += time.perf_counter() - waited
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.close()

    @property
    def queued(self) -> int:
        """Frames decoded and not yet taken."""
        return self._queue.qsize()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class _ModelGate:
    """How many model looks may run at once: all cores' worth, or one fewer while the
    decoder is what the models wait for; and which goes first.

    Three busy threads (decoder, classifier, detector) on two cores slow the decoder by
    10-25 %, and where decoding is the slower stage (fixed-camera 1080p) that is the
    whole pipeline's loss. So while decoding goes on and fewer than `ahead` frames wait
    in its queue, a look waits until no other look runs; once frames pile up (the models
    are the slower stage: fast cuts) or decoding is done, both model threads run.

    Detector looks (`first=True`) go before classifier looks: the detector's looks are
    the pipeline's longest chain at the end of a video (a look per batch, each needing
    its batch's last frame, one after the other in one thread), while the classifier's
    short looks fill the other core once decoding is done. A waiting detector look goes
    first, and so, while one look runs at a time, does one about to come: a batch
    handed to the detector thread (`submit`) holds a place for its first look, as the
    classifier's thread would otherwise reach the gate first. Letting the classifier
    go first left two detector looks for after the last frame on vtest720 (0.07 s of
    one core, 14 % of the run).
    """

    def __init__(self, cores: int, decoding: _DecodeAhead | None, ahead: int) -> None:
        self._cores = max(1, cores)
        self._decoding = decoding
        self._ahead = ahead
        self._running = 0
        self._first_waiting = 0
        self._reserved = 0
        self._holder = threading.local()  # whether this thread's job still holds a place
        self._cond = threading.Condition()

    def _allowed(self) -> int:
        d = self._decoding
        if d is None or d.done or d.queued >= self._ahead:
            return self._cores
        return max(1, self._cores - 1)

    def _may_enter(self, first: bool) -> bool:
        allowed = self._allowed()
        if self._running >= allowed:
            return False
        if first:
            return True
        ahead = self._first_waiting + (self._reserved if allowed < self._cores else 0)
        return self._running + ahead < allowed

    @contextmanager
    def look(self, first: bool = False) -> Iterator[None]:
        with self._cond:
            if first and getattr(self._holder, "place", False):
                self._holder.place = False  # the held place becomes this waiting look
                self._reserved -= 1
            self._first_waiting += first
            try:
                while not self._may_enter(first):
                    self._cond.wait(timeout=0.005)
            finally:
                self._first_waiting -= first
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def submit(self, pool: ThreadPoolExecutor, job: Callable[..., object], *args: object) -> Future:
        """Run `job` (whose looks are detector looks) in `pool`, its first look's place held."""
        with self._cond:
            self._reserved += 1

        def holding() -> object:
            self._holder.place = True
            try:
                return job(*args)
            finally:
                with self._cond:
                    if self._holder.place:  # the job made no look
                        self._holder.place = False
                        self._reserved -= 1
                    self._cond.notify_all()

        return pool.submit(holding)


def face_regions(images: Sequence[np.ndarray], boxes: np.ndarray, min_score: float) -> tuple[list[np.ndarray], np.ndarray]:
    """Head-and-shoulders crops of the detected people, and the frame each came from.

    Faces are searched for only where the person detector saw someone: the top half of
    each person box (more of it for close-ups), widened a little. This is both far cheaper than running the cascade
    over whole frames (a few small crops instead of ~20 scales of 640 px) and more
    precise (no "faces" in brickwork or foliage). People too small for a face the
    cascade could find (box under 20 % of the frame height) are skipped; small crops are
    enlarged so a face in them is at least the cascade's 20 px window.
    """
    crops: list[np.ndarray] = []
    owners: list[int] = []
    for frame_index, _cls, score, x1, y1, x2, y2 in boxes:
        if score < min_score or (y2 - y1) < 0.2:
            continue
        image = images[int(frame_index)]
        h, w = image.shape[:2]
        bw, bh = x2 - x1, y2 - y1
        left, right = max(0, int((x1 - 0.1 * bw) * w)), min(w, int((x2 + 0.1 * bw) * w))
        # A close-up's box is mostly face: keep at least a square's worth below the top.
        keep = max(0.6 * bh, min(bh, bw * w / h))
        top, bottom = max(0, int((y1 - 0.05 * bh) * h)), min(h, int((y1 + keep) * h))
        if right - left < 8 or bottom - top < 8:
            continue
        crop = image[top:bottom, left:right]
        if crop.shape[1] < 160:
            scale = 160 / crop.shape[1]
            crop = cv2.resize(crop, (160, max(8, round(crop.shape[0] * scale))), interpolation=cv2.INTER_LINEAR)
        crops.append(crop)
        owners.append(int(frame_index))
    return crops, np.asarray(owners, dtype=int)


#: Score difference below which a label crossing the threshold is not taken as a change.
CHANGE_MARGIN = 0.15


def _labels_changed(a: np.ndarray, b: np.ndarray, threshold: float) -> bool:
    """Whether some label holds on one side and clearly not on the other.

    A label hovering at the threshold (0.49 then 0.52) is not a change worth looking
    between for: the frames in between get the lower score either way.
    """
    flipped = (a >= threshold) != (b >= threshold)
    return bool(np.any(flipped & (np.abs(a - b) > CHANGE_MARGIN)))


#: Cross-model agreement. Where the classifier names something whose category the
#: detector also knows (a bird species, a cat breed), but the detector sees no such thing
#: in the frame (below `AGREEMENT_FLOOR`), the classifier's score is weighed down: in the
#: accuracy benchmark most confident errors were of this kind (birds in foliage, cats and
#: dogs for other mammals).
AGREEMENT_FLOOR = 0.2
UNCONFIRMED_WEIGHT = 0.6

#: Mean absolute difference (0-255) of 32x18 grey thumbnails above which two frames are
#: taken to show different pictures (a cut, a pan, something large moving in). Measured:
#: one-second samples of a fixed camera with people walking differ by 2-6, cuts by 12-66.
VISUAL_CHANGE = 8.0


class Indexer:
    """Loads the models once; indexes any number of videos, one at a time."""

    def __init__(
        self,
        recognizers: Sequence[Recognizer] | None = None,
        vocabulary: Vocabulary | None = None,
        threads: int = 1,
    ) -> None:
        self.recognizers = list(recognizers) if recognizers is not None else default_recognizers(threads)
        self.vocabulary = vocabulary or Vocabulary.load()
        self._maps = [_LabelMap(r, self.vocabulary) for r in self.recognizers]
        keys: dict[str, None] = {}
        for m in self._maps:
            keys.update(dict.fromkeys(m.keys))
        self.label_keys = list(keys)
        self._label_index = {k: i for i, k in enumerate(self.label_keys)}
        pairs = list(zip(self.recognizers, self._maps))
        self._cheap = [(r, m) for r, m in pairs if not getattr(r, "expensive", False)]
        self._expensive = [(r, m) for r, m in pairs if getattr(r, "expensive", False)]
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="videolabels-detect")
        self._classify_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="videolabels-classify")
        self._gate = _ModelGate(usable_cores(), None, 0)
        self._agreement = self._agreement_columns()
        coco = [r for r in self.recognizers if r.namespace == "coco"]
        self._person_class = list(coco[0].classes).index("person") if coco else -1

    def _agreement_columns(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(classifier label column, detector label column) pairs for cross-checking.

        A classifier label whose category the detector also knows ("tabby cat" under
        "cat", a bird species under "bird") is checked against the detector: see
        `UNCONFIRMED_WEIGHT`.
        """
        detector_keys = {k for _, m in self._expensive for k in m.keys}
        pairs = []
        for _, m in self._cheap:
            for key in m.keys:
                if key in detector_keys:
                    continue
                ancestor = next((p for p in self.vocabulary.parents(key) if p in detector_keys), None)
                if ancestor is not None:
                    pairs.append((self._label_index[key], self._label_index[ancestor]))
        if not pairs:
            return None
        cls_cols, det_cols = zip(*pairs)
        return np.asarray(cls_cols), np.asarray(det_cols)

    # -- analysis -------------------------------------------------------------------
    def _run(self, models: list[tuple[Recognizer, _LabelMap]], images: list[np.ndarray], options: IndexOptions, timings: Timings) -> np.ndarray:
        """Label scores of `images` from `models`; faces are looked for in person crops."""
        label_rows = np.zeros((len(images), len(self.label_keys)), dtype=np.float32)
        person_boxes: np.ndarray | None = None
        for r, m in models:
            t0 = time.perf_counter()
            if r.namespace == "face" and person_boxes is not None:
                crops, owners = face_regions(images, person_boxes, options.face_gate)
                scores = np.zeros((len(images), len(r.classes)), dtype=np.float32)
                if crops:
                    with self._gate.look(first=True):
                        found = r.recognize(crops)
                    np.maximum.at(scores, owners, found)
                looked = len(crops)
            else:
                with self._gate.look(first=getattr(r, "expensive", False)):
                    scores = r.recognize(images)
                looked = len(images)
            timings.looks[r.name] = timings.looks.get(r.name, 0) + looked
            cols = [self._label_index[k] for k in m.keys]
            label_rows[:, cols] = np.maximum(label_rows[:, cols], m.apply(scores))
            if r.namespace == "coco":
                boxes = getattr(r, "last_boxes", None)
                person_boxes = None if boxes is None else boxes[boxes[:, 1] == self._person_class]
            timings.inference[r.name] += time.perf_counter() - t0
        return label_rows

    def _run_gated(
        self,
        models: list[tuple[Recognizer, _LabelMap]],
        stride: int,
        images: list[np.ndarray],
        thumbs: list[np.ndarray],
        anchor: tuple[np.ndarray, np.ndarray] | None,
        options: IndexOptions,
        timings: Timings,
        first_row: np.ndarray | None = None,
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Scores of `models` at every frame, computing them only where they can change.

        The models look at every `stride`-th frame (and at the video's first). Between
        two looks that agree on which labels hold, the frames in between take scores
        interpolated linearly between the two: the looks agree, so only the confidence
        changes in between. (The lower of the two, used before, pulled labels that hover
        near the threshold on both sides under it in between: a derived "outdoor" on
        vtest fell apart into pieces once the detector looked at every 8th sample instead
        of every 4th.) Where two looks disagree, something entered or left: the middle
        frame is looked at and each half is treated the same way, so every change is
        still placed on its exact sample at the cost of a couple of looks. Agreement
        alone is not trusted across a cut: if a frame in between looks unlike both ends
        (its thumbnail differs from each by more than `VISUAL_CHANGE`), the gap is
        bisected too. What this can miss is a label
        that appears, in an unchanged shot, between two agreeing looks and is gone again.
        `anchor` is the (scores, thumbnail) of the previous batch's last frame;
        `first_row`, the models' scores of the video's first frame if already looked at.
        """
        n = len(images)
        stride = max(1, stride)
        out = np.zeros((n, len(self.label_keys)), dtype=np.float32)

        def look(indices: list[int]) -> None:
            out[indices] = self._run(models, [images[i] for i in indices], options, timings)

        def same_shot(lo: int, lo_thumb: np.ndarray, hi: int) -> bool:
            return all(
                min(thumbnail_difference(thumbs[i], lo_thumb), thumbnail_difference(thumbs[i], thumbs[hi])) <= VISUAL_CHANGE
                for i in range(lo + 1, hi)
            )

        coarse = list(range(stride - 1, n, stride))
        skipped = -1
        if not coarse or coarse[-1] != n - 1:
            # The batch's last frame is always looked at (the next batch's anchor). A
            # stride point less than half a stride before it is looked at only if the
            # gap it lies in must be bisected (it is that gap's first middle): where the
            # two ends agree it would settle next to nothing, and a video's last
            # detector batch of 9 frames took two looks one sample apart.
            if coarse and n - 1 - coarse[-1] < stride / 2:
                skipped = coarse.pop()
            coarse.append(n - 1)
        if anchor is None and coarse[0] != 0:
            # The video's first frame: a look there gives the first gap two ends to agree
            # on, instead of bisecting down to it (4 looks for a batch of 8).
            coarse.insert(0, 0)
        known = 1 if anchor is None and first_row is not None else 0
        if known:
            out[0] = first_row
        if coarse[known:]:
            look(coarse[known:])
        # Gaps to settle, as (lo, hi): lo == -1 stands for the previous batch's anchor.
        # An explicit stack rather than a recursive closure: a closure that refers to
        # itself is a reference cycle, which kept each batch's frames alive until the
        # cycle collector ran (up to ~120 MB on a 2-hour 1080p file).
        ends = [-1, *coarse]
        stack = [(a, b) for a, b in zip(ends, ends[1:])][::-1]
        while stack:
            lo, hi = stack.pop()
            if hi - lo <= 1:
                continue
            lo_row, lo_thumb = (out[lo], thumbs[lo]) if lo >= 0 else (anchor if anchor is not None else (None, None))
            if (
                lo_row is not None
                and not _labels_changed(lo_row, out[hi], options.min_confidence)
                and same_shot(lo, lo_thumb, hi)
            ):
                share = (np.arange(lo + 1, hi, dtype=np.float32) - lo)[:, None] / (hi - lo)
                out[lo + 1 : hi] = lo_row * (1 - share) + out[hi] * share
                continue
            mid = skipped if lo < skipped < hi else (lo + hi) // 2
            look([mid])
            stack.append((mid, hi))
            stack.append((lo, mid))
        return out, (out[n - 1].copy(), thumbs[n - 1])

    def analyze(
        self,
        path: str | Path,
        options: IndexOptions | None = None,
        progress: ProgressCallback | None = None,
        *,
        frames: Iterable[SampledFrame] | None = None,
    ) -> Analysis:
        """Scores at every sample of `path`.

        `frames` (already sampled from `path` with the same options) replaces decoding:
        `videolabels bench` uses it to time the models on their own.
        """
        options = options or IndexOptions()
        options.validate()
        timings = Timings()
        started = time.perf_counter()
        # Decoding starts before the probe, which it does not need: the two overlap on
        # two cores while the models still wait for their first batch.
        decoding = None if frames is not None else _DecodeAhead(
            sample_frames(path, **options.sampling()), depth=2 * options.batch_size, timings=timings
        )
        try:
            info = probe(path)
        except BaseException:
            if decoding is not None:
                decoding.close()
            raise
        timings.probe = time.perf_counter() - started
        self._gate = _ModelGate(usable_cores(), decoding, ahead=options.batch_size)
        for r in self.recognizers:
            timings.inference.setdefault(r.name, 0.0)

        times: list[float] = []
        rows: list[np.ndarray | None] = []
        copies: dict[int, int] = {}  # sample -> earlier analysed sample whose scores it reuses
        last_thumb: np.ndarray | None = None
        last_analysed = -1
        batch: list[SampledFrame] = []
        batch_rows: list[int] = []

        # (scores, thumbnail) at the last analysed frame, for the classifier and the detectors
        anchors: list[tuple[np.ndarray, np.ndarray] | None] = [None, None]
        batch_thumbs: list[np.ndarray] = []

        # Batches whose looks may still be running: (the detectors' future, the
        # classifier's, the sample rows they fill). Each kind of model works through the
        # batches in a thread of its own, while this thread only takes frames from the
        # decoder and hands batches on: the last frame reaches the models as soon as it is
        # decoded (this thread running the classifier had held it back by a look, 10 ms
        # at the end of vtest720), and neither model waits for the other batch by batch.
        # A detector batch may span two classifier batches: the slice is each one's part.
        in_flight: deque[tuple[Future | None, slice, Future, list[int]]] = deque()

        # The video's first frame is looked at as soon as it is decoded, not when its
        # batch is full: the models would otherwise idle while the decoder fills the
        # first batch (0.1-0.2 s of one core). The looks are the same ones
        # `_run_gated` would take: (the classifier's future, the detectors').
        first_looks: list[Future | None] = [None, None]

        def look_at_first(image: np.ndarray) -> None:
            if self._expensive:
                first_looks[1] = self._gate.submit(self._pool, self._run, self._expensive, [image], options, timings)
            if self._cheap:
                first_looks[0] = self._classify_pool.submit(self._run, self._cheap, [image], options, timings)

        def classify(images: list[np.ndarray], thumbs: list[np.ndarray]) -> np.ndarray:
            # In the classifier thread, as `detect` in the detector thread.
            first = first_looks[0].result()[0] if anchors[0] is None and first_looks[0] is not None else None
            label_rows, anchors[0] = self._run_gated(
                self._cheap, options.classifier_stride, images, thumbs, anchors[0], options, timings, first
            )
            return label_rows

        def detect(images: list[np.ndarray], thumbs: list[np.ndarray]) -> np.ndarray:
            # Runs in the detector thread, one batch after the other: the anchor is the
            # previous batch's last look, read when this batch starts. The first frame's
            # look was queued to this thread before, so it is done.
            first = first_looks[1].result()[0] if anchors[1] is None and first_looks[1] is not None else None
            expensive, anchors[1] = self._run_gated(
                self._expensive, options.detector_stride, images, thumbs, anchors[1], options, timings, first
            )
            return expensive

        def settle(keep: int) -> None:
            while len(in_flight) > keep:
                pending, part, classified, row_indices = in_flight.popleft()
                label_rows = classified.result()
                if pending is not None:
                    expensive = pending.result()[part]
                    if self._agreement is not None:
                        cls_cols, det_cols = self._agreement
                        unconfirmed = expensive[:, det_cols] < AGREEMENT_FLOOR
                        label_rows[:, cls_cols] = np.where(
                            unconfirmed, label_rows[:, cls_cols] * UNCONFIRMED_WEIGHT, label_rows[:, cls_cols]
                        )
                    np.maximum(label_rows, expensive, out=label_rows)
                for row_index, label_row in zip(row_indices, label_rows):
                    rows[row_index] = label_row

        # A batch the classifier has and the detectors do not yet: (images, thumbnails,
        # the classifier's future, its sample rows).
        held: list[tuple[list[np.ndarray], list[np.ndarray], Future, list[int]]] = []

        def flush(near_end: bool) -> None:
            if batch:
                images = [f.image for f in batch]
                thumbs = list(batch_thumbs)
                held.append((images, thumbs, self._classify_pool.submit(classify, images, thumbs), list(batch_rows)))
                timings.frames_analyzed += len(batch)
                batch.clear()
                batch_rows.clear()
                batch_thumbs.clear()
            if not held or (near_end and len(held) == 1):
                return
            images = [image for h in held for image in h[0]]
            pending = self._gate.submit(self._pool, detect, images, [t for h in held for t in h[1]]) if self._expensive else None
            start = 0
            for h_images, _, classified, rows_of in held:
                in_flight.append((pending, slice(start, start + len(h_images)), classified, rows_of))
                start += len(h_images)
            released = len(held)
            held.clear()
            settle(keep=released)

        # The detectors' share of a full batch waits when fewer than half their stride
        # of samples remain: the last frames join it, and their last looks are one
        # batch's (its last frame, gaps bisected) rather than two looks a sample or two
        # apart, both after the last frame is decoded (on vtest720 the look at the 40th
        # frame began 17 ms before the 41st and last was decoded: 60 ms after it). The
        # classifier takes the batch at once, and its looks fill the core the detector
        # leaves free until then.
        end_margin = options.detector_stride / 2 if self._expensive else 0
        frames = iter(frames) if frames is not None else iter(decoding)
        # Pictures the models saw, by the time they were taken: an estimated sample (not
        # decoded, inside a GOP whose keyframes match) shows a keyframe's picture.
        picture_row: dict[float, int] = {}
        brackets: dict[int, tuple[float, float]] = {}
        try:
            for frame in frames:
                timings.frames_sampled += 1
                times.append(frame.time)
                rows.append(None)
                row = len(rows) - 1
                picture_time = frame.time
                if frame.estimated:
                    if frame.bracket is not None:
                        brackets[row] = frame.bracket
                    picture_time = frame.source_time if frame.source_time is not None else frame.time
                    seen = picture_row.get(picture_time)
                    if seen is not None:
                        copies[row] = seen
                        if progress is not None:
                            progress(min(frame.time, info.duration), info.duration)
                        continue
                picture_row.setdefault(picture_time, row)
                thumb = thumbnail(frame.image)
                if last_thumb is not None and thumbnail_difference(thumb, last_thumb) < options.reuse_threshold:
                    copies[row] = last_analysed
                else:
                    batch.append(frame)
                    batch_rows.append(row)
                    batch_thumbs.append(thumb)
                    if row == 0:
                        look_at_first(frame.image)
                    last_thumb, last_analysed = thumb, row
                    if len(batch) >= options.batch_size:
                        flush(near_end=0 <= samples_after(frame.time, info.duration, options.fps, info.frame_duration) < end_margin)
                if progress is not None:
                    progress(min(frame.time, info.duration), info.duration)
            flush(near_end=False)
            settle(keep=0)
        except BaseException:
            # Nor the model threads: their queued looks are dropped and the running ones
            # waited for, so none is left to run into the next video's gate and timings.
            started_jobs = [f for f in first_looks if f is not None]
            started_jobs += [f for entry in in_flight for f in (entry[0], entry[2]) if f is not None]
            started_jobs += [h[2] for h in held]
            for job in started_jobs:
                job.cancel()
            wait_futures(started_jobs)
            raise
        finally:
            if decoding is not None:  # an error above must not leave the decoder running
                decoding.close()
        for row_index, source in copies.items():
            rows[row_index] = rows[source]
        # An estimated sample lies between two keyframes that look alike: a label holds
        # there only if it holds at both, so a one-look detection at a keyframe is not
        # stretched over the samples after it. (Unlike the gating's looks, the two
        # keyframes need not agree on the labels: nothing between them can be looked at.)
        bracketed = {
            row: np.minimum.reduce([rows[picture_row[t]] for t in ends])
            for row, bracket in brackets.items()
            if (ends := [t for t in bracket if t in picture_row])
        }
        for row, scores in bracketed.items():
            rows[row] = scores
        if progress is not None:
            progress(info.duration, info.duration)

        matrix = np.vstack(rows) if rows else np.zeros((0, len(self.label_keys)), dtype=np.float32)
        label_scores = {k: matrix[:, i] for i, k in enumerate(self.label_keys)}
        timings.total = time.perf_counter() - started
        return Analysis(info=info, times=times, label_scores=label_scores, timings=timings)

    # -- documents ------------------------------------------------------------------
    def tracks(self, analysis: Analysis, options: IndexOptions) -> list[LabelTrack]:
        t0 = time.perf_counter()
        tracks: list[LabelTrack] = []
        # Parents ("dog" from the breeds) and scenes/activities, from the whole timeline.
        exclusive = {k for m in self._maps if m.exclusive for k in m.keys} - {
            k for m in self._maps if not m.exclusive for k in m.keys
        }
        label_scores = expand_scores(self.vocabulary, analysis.times, analysis.label_scores, exclusive)
        scene_gap = max(options.max_gap, round(options.scene_gap_s * options.fps))
        # No sample below hysteresis's floor ever belongs to an instance: most labels of
        # a video never reach it, and are skipped here at one comparison each.
        floor = options.min_confidence - options.hysteresis
        for key, scores in label_scores.items():
            if not len(scores) or float(scores.max()) < floor:
                continue
            spans = find_instances(
                analysis.times,
                scores,
                threshold=options.min_confidence,
                frame_duration=analysis.info.frame_duration,
                max_gap=scene_gap if self.vocabulary.kind(key) == "scene" else options.max_gap,
                hysteresis=options.hysteresis,
            )
            if not spans:
                continue
            label = self.vocabulary.labels[key]
            tracks.append(
                LabelTrack(
                    key=key,
                    name=label.name,
                    reference_id=label.reference_id,
                    synset=label.synset,
                    instances=[Instance(start=s.start, end=min(s.end, max(analysis.info.duration, s.start)), confidence=s.confidence) for s in spans],
                    parents=tuple(self.vocabulary.labels[p].name for p in self.vocabulary.parents(key)),
                    categories=self.vocabulary.categories(key),
                    kind=self.vocabulary.kind(key),
                )
            )
        analysis.timings.timeline += time.perf_counter() - t0
        return tracks

    def index(
        self,
        path: str | Path,
        options: IndexOptions | None = None,
        progress: ProgressCallback | None = None,
        *,
        name: str | None = None,
        video_id: str | None = None,
        analysis: Analysis | None = None,
        label_detail: bool = False,
    ) -> dict:
        options = options or IndexOptions()
        analysis = analysis or self.analyze(path, options, progress)
        tracks = self.tracks(analysis, options)
        t0 = time.perf_counter()
        doc = build_index(
            tracks,
            name=name or Path(path).name,
            duration=analysis.info.duration,
            video_id=video_id,
            language=options.language,
            include_summarized_insights=options.include_summarized_insights,
            label_detail=label_detail,
        )
        if not options.language.lower().startswith("en"):
            from .localize import translate_index

            doc = translate_index(doc, options.language)
        analysis.timings.document += time.perf_counter() - t0
        self.last_analysis = analysis
        return doc


__all__ = ["Analysis", "DEFAULT_MIN_CONFIDENCE", "IndexOptions", "Indexer", "MediaError", "Timings"]
