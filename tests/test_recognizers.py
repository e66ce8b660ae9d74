"""The default recognizers on real photos: right classes, shapes, score ranges."""

import numpy as np
import pytest

from videobuild import photo
from videolabels.recognizers import Recognizer, RecognizerError, load


@pytest.fixture(scope="module")
def imagenet():
    return load("imagenet")


@pytest.fixture(scope="module")
def coco():
    return load("coco")


@pytest.fixture(scope="module")
def face():
    return load("face")


def top(recognizer, image):
    scores = recognizer.recognize([image])
    assert scores.shape == (1, len(recognizer.classes))
    assert scores.dtype == np.float32 and 0.0 <= scores.min() and scores.max() <= 1.0
    i = int(scores[0].argmax())
    return recognizer.classes[i], float(scores[0, i])


def test_all_follow_the_protocol(imagenet, coco, face):
    for r in (imagenet, coco, face):
        assert isinstance(r, Recognizer)
        assert r.recognize([]).shape == (0, len(r.classes))


def test_imagenet_sees_espresso_in_the_coffee_photo(imagenet):
    key, score = top(imagenet, photo("coffee"))
    assert key == "n07920052" and score > 0.6  # espresso


def test_imagenet_scores_are_a_distribution(imagenet):
    scores = imagenet.recognize([photo("chelsea"), photo("coffee")])
    # int8 softmax: the many tiny probabilities round to 0, so the sum falls a bit short
    assert np.all(scores.sum(axis=1) > 0.7) and np.all(scores.sum(axis=1) <= 1.01)
    assert not np.allclose(scores[0], scores[1])


def test_detector_finds_the_person_and_the_cat(coco):
    assert top(coco, photo("astronaut"))[0] == "person"
    key, score = top(coco, photo("chelsea"))
    assert key == "cat" and score > 0.8


def test_detector_batches_keep_frames_apart(coco):
    scores = coco.recognize([photo("chelsea"), photo("coffee"), photo("chelsea")])
    cat, cup = coco.classes.index("cat"), coco.classes.index("cup")
    assert scores[0, cat] > 0.8 and scores[2, cat] > 0.8 and scores[1, cat] < 0.2
    assert scores[1, cup] > 0.8 and scores[0, cup] < 0.2


def test_face_found_on_a_portrait_and_not_on_a_cup(face):
    assert top(face, photo("astronaut"))[1] > 0.9
    assert top(face, photo("coffee"))[1] < 0.1


def test_unknown_recognizer_is_a_clear_error():
    with pytest.raises(RecognizerError, match="unknown recognizer"):
        load("places365")


def test_loads_in_two_threads_at_once_give_stderr_back():
    """The service's workers load their models at the same time; fd 2 is silenced while
    either loads and is the process's own again once both are done, whichever ends first."""
    import os
    import sys
    import threading

    from videolabels.recognizers.base import quiet_native_stderr

    def identity(fd: int) -> tuple[int, int, int]:
        st = os.fstat(fd)
        return st.st_dev, st.st_ino, st.st_rdev

    fd = sys.stderr.fileno()  # 2 outside pytest's capture
    original = identity(fd)
    null_fd = os.open(os.devnull, os.O_RDONLY)
    null = identity(null_fd)
    os.close(null_fd)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, tuple[int, int, int]] = {}

    def first() -> None:
        with quiet_native_stderr():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with quiet_native_stderr():
            second_in.set()
            first_out.wait(5)
            seen["after the first left"] = identity(fd)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen["after the first left"] == null
    assert identity(fd) == original
