"""all-MiniLM-L6-v2's forward pass as an ONNX graph without its weights: ``coach/minilm.onnx``.

Why a graph: the numpy forward pass (coach/minilm.py) runs some 150 numpy operations per layer
stack from Python, and holds the GIL between them. In `coach batch` that is the CPU worker
competing with the event loop that sends and reads the model's answers. onnxruntime runs the same
arithmetic in one C++ call that releases the GIL, with about half the CPU (benchmarks/ingest_bench.py
and benchmarks/batch_bench.py report both).

Why without weights: exporting the model needs torch (and downloading an exported one is not
possible offline). This graph is written from the model's config alone, with the `onnx` package
(a dev dependency), and checked in (about 26 KB). Its weights are declared external: at load,
coach/minilm.py hands onnxruntime the arrays of the packaged safetensors file under these same
names, so nothing is exported, fetched or duplicated on disk, and a store written by any backend
stays valid (tests/test_embed.py checks the vectors against sentence-transformers).

Regenerate after changing this file: ``python -m training.minilm_graph`` (tests/test_embed.py checks
that the checked-in file is exactly what this builds).
"""
from __future__ import annotations

from pathlib import Path

GRAPH = Path(__file__).with_name("minilm.onnx")
# the ONNX opset the graph declares: the newest every onnxruntime >= 1.17 (pyproject's floor) runs
OPSET = 18
INPUTS = ("word_vectors", "mask")  # (B, T, H) float32 rows of the word table (gathered by the caller), (B, T) float32
OUTPUT = "pooled"                  # (B, H): mean of the last layer over the mask, not normalised


def weight_names(layers: int) -> list[str]:
    """The safetensors names (without 'bert.') the graph reads, in the order it declares them."""
    names = ["embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight",
             "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for dense in ("attention.self.query", "attention.self.key", "attention.self.value",
                      "attention.output.dense", "intermediate.dense", "output.dense"):
            names += [p + dense + ".weight", p + dense + ".bias"]
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            names += [p + norm + ".weight", p + norm + ".bias"]
    return names
