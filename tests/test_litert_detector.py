"""The SSD detector rewritten as a LiteRT model: same detections as OpenCV's network.

The default detector converts the wheel's TensorFlow graph at load time
(`recognizers.litert_graph`) and re-implements the graph's post-processing. These tests
hold it to OpenCV's own run of the same graph on real footage, and check the pieces
(the text-graph reader, the flatbuffer writer, the post-processing) on inputs whose
answer is known.
"""

from __future__ import annotations

import re
from pathlib import Path

import av
import numpy as np
import pytest

from videobuild import photo
from videolabels.recognizers import RecognizerError, load
from videolabels.recognizers.coco_ssd import DetectionOutput
from videolabels.recognizers.litert_graph import FlatModel, parse_text_proto, text_graph_nodes, winograd_pays

DATA = Path(__file__).parent / "data"


def clip_frames(name: str, every: int, limit: int) -> list[np.ndarray]:
    frames = []
    with av.open(str(DATA / name)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i % every == 0:
                frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == limit:
                break
    return frames


@pytest.fixture(scope="module")
def detectors():
    return load("coco"), load("coco", backend="opencv")


def test_litert_detector_matches_opencv_on_real_footage(detectors):
    litert, opencv = detectors
    assert (litert.backend, opencv.backend) == ("litert", "opencv")
    frames = [photo("astronaut"), photo("chelsea"), photo("coffee")]
    for name in ("vtest_20s.avi", "bikes.mp4", "carphone_pristine.mp4", "bigbuckbunny.mp4"):
        frames += clip_frames(name, every=50, limit=3)
    ours, theirs = litert.recognize(frames), opencv.recognize(frames)
    assert ours.shape == theirs.shape == (len(frames), len(litert.classes))
    # float32 convolutions summed in another order: scores agree to ~1e-5
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    assert (theirs > 0.5).sum() >= 10  # the frames do hold confident detections

    def confident(boxes):
        kept = boxes[boxes[:, 2] > 0.1]
        return kept[np.lexsort((-kept[:, 2], kept[:, 1], kept[:, 0]))]

    a, b = confident(litert.last_boxes), confident(opencv.last_boxes)
    assert len(a) == len(b) > 0
    np.testing.assert_allclose(a, b, atol=1e-3)  # the same boxes, after the same suppression


def test_unknown_detector_backend_is_a_clear_error():
    with pytest.raises(RecognizerError, match="unknown detector backend 'onnx'"):
        load("coco", backend="onnx")


def test_text_proto_reader_handles_nesting_repeats_and_strings():
    text = r'''
    node { name: "a{b}" op: "Conv2D" input: "x" input: "w"
      attr { key: "strides" value { list { i: 1 i: 2 i: 2 i: 1 } } }
      attr { key: "epsilon" value { f: 1e-3 } }
      attr { key: "share" value { b: true } }
      attr { key: "dtype" value { type: DT_FLOAT } } }
    node { name: "say \"hi\"" op: "Identity" }
    '''
    parsed = parse_text_proto(text)
    assert len(parsed["node"]) == 2
    first, second = text_graph_nodes(text)
    assert (first.name, first.op, first.inputs) == ("a{b}", "Conv2D", ["x", "w"])
    assert first.attr("strides", "list")["i"] == [1, 2, 2, 1]
    assert first.attr("epsilon", "f") == pytest.approx(1e-3)
    assert first.attr("share", "b") is True
    assert first.attrs["dtype"]["type"] == ["DT_FLOAT"]
    assert second.name == r"say \"hi\"" and second.inputs == []
    with pytest.raises(RecognizerError, match="no 'i' attribute 'keep_top_k'"):
        first.attr("keep_top_k", "i")
    with pytest.raises(RecognizerError, match="unmatched closing brace"):
        parse_text_proto("node { name: 'x' } }")
    with pytest.raises(RecognizerError, match="ends inside"):
        parse_text_proto("node { name: ")


def _same_padding_conv(x: np.ndarray, weights: np.ndarray, bias: np.ndarray, stride: int, depthwise: bool) -> np.ndarray:
    """TensorFlow's SAME convolution written out in numpy (x: HWC, weights as OpenCV's)."""
    h, w, _ = x.shape
    k = weights.shape[2]
    out_h, out_w = -(-h // stride), -(-w // stride)
    pad_h = max((out_h - 1) * stride + k - h, 0)
    pad_w = max((out_w - 1) * stride + k - w, 0)
    padded = np.pad(x, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    out = np.zeros((out_h, out_w, weights.shape[0]), dtype=np.float64)
    for i in range(out_h):
        for j in range(out_w):
            patch = padded[i * stride : i * stride + k, j * stride : j * stride + k]  # (k, k, c)
            if depthwise:
                out[i, j] = np.einsum("abc,cab->c", patch, weights[:, 0])
            else:
                out[i, j] = np.einsum("abc,ocab->o", patch, weights)
    return out + bias


def test_flat_model_runs_convolutions_as_tensorflow_defines_them():
    """A small network the test builds: stride-2 SAME padding, depthwise, ReLU6, a residual add."""
    from ai_edge_litert.interpreter import Interpreter

    rng = np.random.default_rng(7)
    image = photo("coffee")[::40, ::40].astype(np.float32) / 64.0  # a real picture, 10 x 15
    first = rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32)
    depth = rng.normal(0, 0.3, (8, 1, 3, 3)).astype(np.float32)
    b1, b2 = rng.normal(0, 0.1, 8).astype(np.float32), rng.normal(0, 0.1, 8).astype(np.float32)

    model = FlatModel("test")
    model.input("x", image.shape)
    model.conv("x", "c1", first, b1, stride=2, relu6=True)
    model.conv("c1", "d1", depth, b2, stride=1, relu6=False, depthwise=True)
    model.add("c1", "d1", "sum")
    model.alias("out", "sum")
    assert model.shapes["out"] == (5, 8, 8)
    model.inputs, model.outputs = ["x"], ["out"]
    interpreter = Interpreter(model_content=model.build(), num_threads=1)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image[None])
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0]

    c1 = np.clip(_same_padding_conv(image, first, b1, 2, depthwise=False), 0, 6)
    expected = c1 + _same_padding_conv(c1, depth, b2, 1, depthwise=True)
    np.testing.assert_allclose(got, expected, atol=1e-4)


def _run_flat(model: FlatModel, image: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model.build(), num_threads=1)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image[None])
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0]


@pytest.mark.parametrize("size", [(10, 15), (9, 8)])  # even and odd sides: whole and cut tiles
def test_winograd_convolution_matches_the_direct_one(size):
    """F(2x2, 3x3) against TensorFlow's SAME convolution in numpy, on a real picture."""
    rng = np.random.default_rng(11)
    picture = photo("coffee")
    image = np.ascontiguousarray(picture[:: picture.shape[0] // size[0], :: picture.shape[1] // size[1]][: size[0], : size[1]])
    image = np.concatenate([image, image[:, ::-1]], axis=2).astype(np.float32) / 64.0  # 6 channels
    weights = rng.normal(0, 0.3, (16, 6, 3, 3)).astype(np.float32)
    bias = rng.normal(0, 0.5, 16).astype(np.float32)
    expected = _same_padding_conv(image, weights, bias, 1, depthwise=False)
    for relu6 in (False, True):
        model = FlatModel("test")
        model.input("x", image.shape)
        model.conv("x", "y", weights, bias, stride=1, relu6=relu6, winograd=True)
        assert model.shapes["y"] == (*size, 16)
        model.inputs, model.outputs = ["x"], ["y"]
        got = _run_flat(model, image)
        np.testing.assert_allclose(got, np.clip(expected, 0, 6) if relu6 else expected, atol=1e-4)
    assert np.abs(expected).max() > 6  # ReLU6 did clip something


def test_winograd_is_chosen_only_where_it_was_measured_faster():
    assert winograd_pays((10, 10, 1280), (546, 1280, 3, 3), stride=1)  # the SSD's class heads
    assert winograd_pays((19, 19, 576), (273, 576, 3, 3), stride=1)
    assert not winograd_pays((10, 10, 1280), (24, 1280, 3, 3), stride=1)  # a box head: too narrow
    assert not winograd_pays((5, 5, 512), (546, 512, 3, 3), stride=1)  # too few tiles
    assert not winograd_pays((19, 19, 576), (273, 576, 3, 3), stride=2)
    assert not winograd_pays((19, 19, 576), (273, 576, 1, 1), stride=1)
    with pytest.raises(RecognizerError, match="needs 3x3 weights"):
        model = FlatModel("test")
        model.input("x", (8, 8, 4))
        model.conv3x3_winograd("x", "y", np.zeros((8, 4, 1, 1), np.float32), np.zeros(8, np.float32))


def _small_model() -> tuple[FlatModel, np.ndarray]:
    rng = np.random.default_rng(3)
    image = photo("astronaut")[::64, ::64].astype(np.float32) / 64.0  # 8 x 8 x 3, a real picture
    model = FlatModel("test")
    model.input("x", image.shape)
    model.conv("x", "y", rng.normal(0, 0.3, (4, 3, 3, 3)).astype(np.float32), np.zeros(4, np.float32), stride=1, relu6=False)
    model.inputs, model.outputs = ["x"], ["y"]
    return model, image


def _invoke(interpreter, image: np.ndarray) -> np.ndarray:
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image[None])
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).copy()


def _mapped_model_resident_kb() -> list[tuple[int, int]]:
    """(size, resident) in kB of each mapping of a model file `mapped_interpreter` wrote."""
    found, current = [], None
    with open("/proc/self/smaps", encoding="utf-8") as smaps:
        for line in smaps:
            fields = line.split()
            if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):  # a mapping's header line
                current = None
                if "/videolabels-" in line and ".tflite" in line:
                    current = [0, 0]
                    found.append(current)
            elif current is not None and fields[0] in ("Size:", "Rss:"):
                current[0 if fields[0] == "Size:" else 1] = int(fields[1])
    return [tuple(m) for m in found]


def test_mapped_interpreter_runs_the_model_from_a_file_it_leaves_behind(tmp_path):
    from ai_edge_litert.interpreter import Interpreter
    from videolabels.recognizers.litert_graph import mapped_interpreter

    model, image = _small_model()
    reference = Interpreter(model_content=model.build(), num_threads=1)
    reference.allocate_tensors()
    expected = _invoke(reference, image)

    model, _ = _small_model()
    mapped = mapped_interpreter(model, num_threads=1, directory=str(tmp_path))
    assert list(tmp_path.iterdir()) == []  # unlinked at once: the mapping keeps the file
    np.testing.assert_array_equal(_invoke(mapped, image), expected)
    np.testing.assert_array_equal(_invoke(mapped, image), expected)
    with pytest.raises(RecognizerError, match="already packed"):
        model.build()

    # Where no file can be written the model is handed over in memory.
    model, _ = _small_model()
    in_memory = mapped_interpreter(model, num_threads=1, directory=str(tmp_path / "missing"))
    np.testing.assert_array_equal(_invoke(in_memory, image), expected)


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads Linux's /proc/self/smaps")
def test_the_detectors_model_file_is_not_resident_once_xnnpack_packed_it(detectors):
    """XNNPACK runs the SSD from its own packed weights: the model's 93 MB, mapped from a
    file, are dropped from memory after loading and stay out while it detects."""
    from videolabels.recognizers.litert_graph import model_file_directory

    if model_file_directory() is None:
        pytest.skip("the temporary folders are all in memory: the model is handed over as bytes")
    litert, _ = detectors
    litert.recognize([photo("astronaut"), photo("coffee")])
    mappings = _mapped_model_resident_kb()
    assert mappings, "the detector's model is not a mapped file"
    big = [(size, rss) for size, rss in mappings if size > 80_000]
    assert big, mappings
    for size, rss in big:
        assert rss < 1024, f"{rss} kB of the {size} kB model file are resident"


def test_flat_model_refuses_weights_that_do_not_fit():
    model = FlatModel("test")
    model.input("x", (4, 4, 3))
    with pytest.raises(RecognizerError, match="for 3 input channels"):
        model.conv("x", "y", np.zeros((2, 5, 1, 1), np.float32), np.zeros(2, np.float32), 1, False)
    with pytest.raises(RecognizerError, match="needs inputs and outputs"):
        model.build()


def _output(boxes: int, **overrides) -> DetectionOutput:
    # priors: a row of unit-spaced squares; codes of zero decode to the priors themselves
    priors = np.array([[0.1 * i, 0.0, 0.1 * i + 0.2, 0.2] for i in range(boxes)], dtype=np.float32)
    settings = dict(confidence=0.01, nms=0.6, top_k=100, keep_top_k=100, background=0)
    settings.update(overrides)
    return DetectionOutput(priors=priors, variances=np.full((boxes, 4), 0.1, np.float32), **settings)


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def test_detection_output_suppresses_overlaps_per_class_only():
    output = _output(4)
    logits = np.full((4, 3), -20.0, dtype=np.float32)
    logits[:, 0] = 10.0  # background: never a detection
    logits[0, 1], logits[1, 1] = logit(0.9), logit(0.8)  # IoU 1/3: both kept at 0.6
    logits[2, 1] = logit(0.7)  # overlaps box 1 by 1/3 too: kept
    logits[0, 2] = logit(0.6)  # another class on box 0: not suppressed by class 1
    det = output(np.zeros((4, 4), np.float32), logits)
    assert sorted(map(tuple, det[:, :2].round(3))) == [(1, 0.7), (1, 0.8), (1, 0.9), (2, 0.6)]
    np.testing.assert_allclose(det[det[:, 1] > 0.85, 2:], [[0.0, 0.0, 0.2, 0.2]], atol=1e-6)

    strict = _output(4, nms=0.3)  # now IoU 1/3 suppresses: boxes 0 and 2 survive, 1 goes
    det = strict(np.zeros((4, 4), np.float32), logits)
    assert sorted(map(tuple, det[det[:, 0] == 1, :2].round(3))) == [(1, 0.7), (1, 0.9)]


def test_detection_output_keeps_thresholds_and_limits():
    logits = np.full((30, 2), -20.0, dtype=np.float32)
    logits[:, 1] = [logit(0.0105 + 0.001 * i) for i in range(30)]
    far_apart = DetectionOutput(
        priors=np.array([[i, i, i + 0.5, i + 0.5] for i in range(30)], dtype=np.float32),
        variances=np.full((30, 4), 0.1, np.float32),
        confidence=0.02, nms=0.6, top_k=12, keep_top_k=5, background=0,
    )
    det = far_apart(np.zeros((30, 4), np.float32), logits)
    # 20 boxes pass 0.02, the class keeps its best 12, and the frame its best 5
    np.testing.assert_allclose(np.sort(det[:, 1])[::-1], [0.0395, 0.0385, 0.0375, 0.0365, 0.0355], atol=1e-6)
    none = far_apart(np.zeros((30, 4), np.float32), np.full((30, 2), -20.0, np.float32))
    assert none.shape == (0, 6)


_MOUNTS = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 27 0:27 / /tmp rw,relatime shared:5 - tmpfs tmpfs rw,size=1024k
31 27 0:28 / /var rw,relatime - xfs /dev/vdb rw
32 27 0:29 / /variable rw,relatime - tmpfs tmpfs rw
33 31 0:30 / /var/my\\040tmp rw,relatime - tmpfs tmpfs rw
34 27 0:31 / /tmp rw,relatime - btrfs /dev/vdc rw
"""


def test_file_system_type_reads_the_innermost_last_mount(tmp_path):
    from videolabels.recognizers.litert_graph import file_system_type

    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(_MOUNTS)
    kind = lambda path: file_system_type(path, str(mountinfo))  # noqa: E731
    assert kind("/") == "ext4"
    assert kind("/home/user") == "ext4"
    assert kind("/tmp") == "btrfs"  # mounted over the tmpfs at the same point
    assert kind("/var/tmp") == "xfs"
    assert kind("/variable/x") == "tmpfs"  # not inside /var
    assert kind("/var/my tmp/model") == "tmpfs"  # mountinfo writes the space as \040
    assert file_system_type("/", str(tmp_path / "missing")) is None
    if Path("/proc/self/mountinfo").exists():  # and this machine's own table
        assert file_system_type("/proc") == "proc"


def test_the_model_file_goes_where_it_is_not_kept_in_memory(tmp_path):
    """A model file on tmpfs is memory itself: the next folder is taken, and where every
    folder is in memory the model is handed over as bytes."""
    from videolabels.recognizers.litert_graph import model_file_directory

    in_memory, on_disk = tmp_path / "ram", tmp_path / "disk"
    in_memory.mkdir()
    on_disk.mkdir()
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        f"27 1 254:0 / / rw - ext4 /dev/vda rw\n"
        f"40 27 0:40 / {in_memory} rw - tmpfs tmpfs rw\n"
    )
    assert model_file_directory((str(in_memory), str(on_disk)), str(mountinfo)) == str(on_disk)
    assert model_file_directory((str(tmp_path / "gone"), str(on_disk)), str(mountinfo)) == str(on_disk)
    assert model_file_directory((str(in_memory),), str(mountinfo)) is None
    assert model_file_directory((str(on_disk),), str(tmp_path / "unreadable")) == str(on_disk)
