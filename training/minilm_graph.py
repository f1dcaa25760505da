"""Writes ``coach/embedding/minilm.onnx``: all-MiniLM-L6-v2's forward pass as an ONNX graph without weights.

    python -m training.minilm_graph     # needs the dev extra's ``onnx``

The runtime (``coach.embedding.minilm``) feeds the packaged safetensors weights into this graph by
name (``coach.embedding.graph.weight_names``); the graph itself is a few KB and reproducible.
"""
from __future__ import annotations

from pathlib import Path

from coach.embedding.graph import GRAPH, OPSET, OUTPUT, weight_names


def build(cfg: dict, shapes: dict[str, tuple[int, ...]]):
    """The graph as an ``onnx.ModelProto``; ``shapes`` gives each weight's shape (from the safetensors header)."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    H = int(cfg["hidden_size"])
    heads = int(cfg["num_attention_heads"])
    layers = int(cfg["num_hidden_layers"])
    eps = float(cfg.get("layer_norm_eps", 1e-12))
    hd = H // heads
    nodes: list = []
    consts: list = []

    def const(name: str, value) -> str:
        consts.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(kind: str, inputs: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))
        return out

    const("zero_i", np.array([0], np.int64))
    const("axis0", np.array([0], np.int64))
    const("axis1", np.array([1], np.int64))
    const("axes12", np.array([1, 2], np.int64))
    const("axis_last", np.array([-1], np.int64))
    const("rows_h", np.array([-1, H], np.int64))
    const("heads_hd", np.array([heads, hd], np.int64))
    const("scale", np.array(1.0 / np.sqrt(hd), np.float32))
    const("masked", np.array(-1e9, np.float32))  # padding keys, as transformers does with finfo.min
    const("f_zero", np.array(0.0, np.float32))
    const("f_one", np.array(1.0, np.float32))
    const("f_half", np.array(0.5, np.float32))
    const("inv_sqrt2", np.array(0.7071067811865476, np.float32))
    const("tiny", np.array(1e-9, np.float32))

    # embeddings: word rows (given) + position rows [0, T) + token type 0, then LayerNorm
    op("Shape", ["word_vectors"], "bt", start=0, end=2)
    op("Shape", ["word_vectors"], "t", start=1, end=2)
    op("Slice", ["embeddings.position_embeddings.weight", "zero_i", "t", "axis0"], "pos_rows")
    op("Gather", ["embeddings.token_type_embeddings.weight", "zero_i"], "type_row", axis=0)
    op("Add", ["word_vectors", "pos_rows"], "emb0")
    op("Add", ["emb0", "type_row"], "emb1")
    op("LayerNormalization", ["emb1", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"], "emb",
       axis=-1, epsilon=eps)
    x = op("Reshape", ["emb", "rows_h"], "x_in")                       # (B*T, H) throughout
    op("Concat", ["bt", "heads_hd"], "shape_btnd", axis=0)             # (B, T, heads, hd)
    op("Unsqueeze", ["mask", "axes12"], "mask4")                       # (B, 1, 1, T)
    op("Equal", ["mask4", "f_zero"], "pad")
    op("Where", ["pad", "masked", "f_zero"], "key_bias")

    def dense(inp: str, name: str, out: str) -> str:  # x @ W.T + b, W as stored (out, in)
        return op("Gemm", [inp, name + ".weight", name + ".bias"], out, transB=1)

    for i in range(layers):
        p = f"encoder.layer.{i}."
        a = f"l{i}_"
        heads_of = {}
        for part, perm in (("query", [0, 2, 1, 3]), ("key", [0, 2, 3, 1]), ("value", [0, 2, 1, 3])):
            flat = dense(x, p + "attention.self." + part, a + part)
            split = op("Reshape", [flat, "shape_btnd"], a + part + "_btnd")
            heads_of[part] = op("Transpose", [split], a + part + "_heads", perm=perm)
        s = op("MatMul", [heads_of["query"], heads_of["key"]], a + "scores0")
        s = op("Mul", [s, "scale"], a + "scores1")
        s = op("Add", [s, "key_bias"], a + "scores")
        pr = op("Softmax", [s], a + "probs", axis=-1)
        ctx = op("MatMul", [pr, heads_of["value"]], a + "ctx_heads")
        ctx = op("Transpose", [ctx], a + "ctx_bthd", perm=[0, 2, 1, 3])
        ctx = op("Reshape", [ctx, "rows_h"], a + "ctx")
        att = dense(ctx, p + "attention.output.dense", a + "att")
        att = op("Add", [att, x], a + "att_res")
        x1 = op("LayerNormalization", [att, p + "attention.output.LayerNorm.weight",
                                       p + "attention.output.LayerNorm.bias"], a + "x1", axis=-1, epsilon=eps)
        h = dense(x1, p + "intermediate.dense", a + "h")
        g = op("Mul", [h, "inv_sqrt2"], a + "g0")                        # exact (erf) GELU, as BERT
        g = op("Erf", [g], a + "g1")
        g = op("Add", [g, "f_one"], a + "g2")
        g = op("Mul", [h, g], a + "g3")
        g = op("Mul", [g, "f_half"], a + "gelu")
        f = dense(g, p + "output.dense", a + "ffn")
        f = op("Add", [f, x1], a + "ffn_res")
        x = op("LayerNormalization", [f, p + "output.LayerNorm.weight", p + "output.LayerNorm.bias"], a + "out",
               axis=-1, epsilon=eps)

    op("Concat", ["bt", "axis_last"], "shape_bth", axis=0)
    op("Reshape", [x, "shape_bth"], "last")                            # (B, T, H) again, for the pooling
    op("Unsqueeze", ["mask", "axis_last"], "mask3")
    op("Mul", ["last", "mask3"], "masked_last")
    op("ReduceSum", ["masked_last", "axis1"], "summed", keepdims=0)
    op("ReduceSum", ["mask3", "axis1"], "count0", keepdims=0)
    op("Max", ["count0", "tiny"], "count")
    op("Div", ["summed", "count"], OUTPUT)

    weights = []
    for name in weight_names(layers):  # declared, not stored: the caller supplies them at load
        proto = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=list(shapes[name]))
        proto.data_location = TensorProto.EXTERNAL
        for k, v in (("location", "model.safetensors"), ("offset", "0"), ("length", "0")):
            entry = proto.external_data.add()
            entry.key, entry.value = k, v
        weights.append(proto)
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2",
        [helper.make_tensor_value_info("word_vectors", TensorProto.FLOAT, ["B", "T", H]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["B", "T"])],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["B", H])],
        consts + weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="training.minilm_graph")
    model.ir_version = 8
    return model


def graph_bytes(model_path: Path | None = None) -> bytes:
    """What ``coach/minilm.onnx`` should hold for the packaged model."""
    import json

    from coach.embedding.files import model_dir, safetensors_shapes

    path = Path(model_path) if model_path else model_dir()
    cfg = json.loads((path / "config.json").read_text())
    return build(cfg, safetensors_shapes(path / "model.safetensors")).SerializeToString()


def main() -> None:
    GRAPH.write_bytes(graph_bytes())
    print(f"wrote {GRAPH} ({GRAPH.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
