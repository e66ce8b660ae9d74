"""Instances from per-sample scores: thresholds, bridging, start/end and confidence rules."""

import pytest

from videolabels.timeline import find_instances
from videolabels.timeline.instances import isolated_bar

TIMES = [float(t) for t in range(10)]


def spans(scores, **kw):
    kw.setdefault("threshold", 0.5)
    kw.setdefault("frame_duration", 0.04)
    return [(s.start, round(s.end, 6), round(s.confidence, 6)) for s in find_instances(TIMES[: len(scores)], scores, **kw)]


def test_start_is_first_sample_and_end_is_last_sample_plus_one_frame():
    assert spans([0, 0.9, 0.9, 0.9, 0, 0, 0]) == [(1.0, 3.04, 0.9)]


def test_single_missed_sample_does_not_split_an_instance():
    assert spans([0.9, 0.8, 0.1, 0.7, 0.0, 0.0]) == [(0.0, 3.04, 0.8)]


def test_two_missed_samples_split_it():
    assert spans([0.9, 0.1, 0.1, 0.7, 0.8]) == [(0.0, 0.04, 0.9), (3.0, 4.04, 0.75)]


def test_max_gap_is_configurable():
    assert spans([0.9, 0.1, 0.1, 0.7], max_gap=2) == [(0.0, 3.04, 0.8)]
    assert spans([0.9, 0.1, 0.7], max_gap=0) == [(0.0, 0.04, 0.9)]


def test_below_threshold_never_appears():
    assert spans([0.49, 0.3, 0.2]) == []
    assert spans([0.49, 0.3, 0.2], threshold=0.25) == [(0.0, 1.04, pytest.approx(0.395))]


def test_a_lone_sample_needs_a_higher_bar():
    assert isolated_bar(0.5) == pytest.approx(0.8)
    assert spans([0.0, 0.79, 0.0, 0.0]) == []
    assert spans([0.0, 0.81, 0.0, 0.0]) == [(1.0, 1.04, 0.81)]
    # two samples in a row are confirmation enough at the plain threshold
    assert spans([0.0, 0.55, 0.52, 0.0]) == [(1.0, 2.04, pytest.approx(0.535))]
    assert spans([0.0, 0.6, 0.0, 0.0], isolated_threshold=0.5) == [(1.0, 1.04, 0.6)]


def test_confidence_is_the_mean_of_holding_samples_only():
    # the bridged 0.1 does not drag the mean down
    assert spans([1.0, 0.1, 0.6]) == [(0.0, 2.04, 0.8)]


def test_uneven_sample_times_are_used_as_given():
    found = find_instances([0.54, 1.54, 2.54], [0.9, 0.9, 0.0], threshold=0.5, frame_duration=0.04)
    assert [(s.start, round(s.end, 6)) for s in found] == [(0.54, 1.58)]


def test_lengths_must_match():
    with pytest.raises(ValueError):
        find_instances([0.0, 1.0], [0.9], threshold=0.5, frame_duration=0.04)


def test_hysteresis_keeps_a_wavering_label_in_one_instance():
    wavering = [0.52, 0.46, 0.47, 0.55, 0.44, 0.51, 0.2, 0.2, 0.2]
    # without hysteresis: the lone 0.52 is dropped and the rest starts late
    assert spans(wavering, hysteresis=0.0) == [(3.0, 5.04, pytest.approx(0.53))]
    one = spans(wavering, hysteresis=0.1)
    assert one == [(0.0, 5.04, pytest.approx((0.52 + 0.55 + 0.51) / 3))]


def test_weak_samples_alone_never_start_an_instance():
    assert spans([0.45, 0.48, 0.49, 0.3], hysteresis=0.1) == []


def test_weak_samples_lead_into_an_instance():
    assert spans([0.1, 0.45, 0.7, 0.6, 0.1], hysteresis=0.1) == [(1.0, 3.04, pytest.approx(0.65))]
