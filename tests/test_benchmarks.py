"""Smoke test of the benchmark machinery (`make bench`): every section runs at a tiny size and
results.json carries every key of issue 8 with a number. No assertion is made on any time:
benchmarks report, they never fail on speed."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REQUIRED = [
    "retrieve_p50_ms", "retrieve_p95_ms", "retrieve_floor_p50_ms", "retrieve_overhead_ratio",
    "ingest_passages_per_s", "encode_floor_passages_per_s", "ingest_ratio", "reingest_unchanged_s_per_1k_docs",
    "batch_ratio_to_ideal", "ttft_overhead_ms", "cli_help_s", "reflect_cold_s", "local_tokens_per_s",
    "reflect_cold_ratio", "page_first_answer_s",
]


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def test_quick_benchmark_writes_every_key(tmp_path):
    out = tmp_path / "results.json"
    user_store = tmp_path / "user-store"  # what a user's COACH_DATA_DIR would be: must stay untouched
    env = dict(os.environ, COACH_DATA_DIR=str(user_store))
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)], cwd=str(ROOT),
                          env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"benchmarks failed:\n{proc.stderr[-3000:]}"
    doc = json.loads(out.read_text())
    assert doc["errors"] == {}
    bad = {k: doc.get(k) for k in REQUIRED if not _number(doc.get(k))}
    assert not bad, f"keys missing or not numbers: {bad}"
    # the facts and parameters that make a number traceable
    assert doc["params"]["quick"] is True
    for k in ("articles", "batch_n", "batch_c", "batch_latency_s", "queries"):
        assert _number(doc["params"][k]), k
    for k in ("cores", "python", "date"):
        assert doc["machine"][k], k
    # the details say what the overheads are made of
    assert set(doc["details"]["retrieve_details"]["breakdown_ms_per_query"]) >= {"encode", "chroma_query", "total"}
    assert doc["details"]["ingest_details"]["passages"] > doc["params"]["articles"]
    # a cold reflection imports neither torch nor litellm (the numpy embedder), nor chromadb: the first,
    # untimed reflection left the store's read snapshot (coach/store.py)
    imports = doc["details"]["cli_details"]["reflect_import_s"]
    assert imports["chromadb"] == 0 and imports["torch"] == 0 and imports["litellm"] == 0
    assert imports["numpy"] > 0 and imports["coach"] > 0  # the measurement saw the run
    assert doc["details"]["cli_details"]["page_heavy_modules"] == []
    # the table printed on stdout is the one stored for docs/performance.md
    assert doc["table_markdown"].splitlines()[0] in proc.stdout
    assert not user_store.exists(), "the benchmark touched the user's store"
    # the committed results file is never overwritten by a quick run
    committed = ROOT / "benchmarks" / "results.json"
    if committed.exists():
        assert json.loads(committed.read_text())["params"]["quick"] is False


def test_helpers():
    from benchmarks.cli_bench import parse_importtime
    from benchmarks.common import pct
    from benchmarks.report import table, verdicts

    assert pct([1, 2, 3, 4], 50) == 2.5 and pct([5], 95) == 5 and pct([1, 2, 3, 4, 5], 100) == 5
    stderr = ("import time: self [us] | cumulative | imported package\n"
              "import time:      1000 |       1000 |     torch._C\n"
              "import time:    500000 |     501000 |   torch\n"
              "import time:    250000 |     250000 | chromadb\n"
              "import time:      2000 |       2000 | json\n"
              "coach: something else on stderr\n")
    s = parse_importtime(stderr)
    assert s["torch"] == 0.501 and s["chromadb"] == 0.25 and s["other"] == 0.002 and s["total"] == 0.753
    res = {"retrieve_overhead_ratio": 1.3, "cli_help_s": 0.2, "ingest_passages_per_s": 40.0}
    assert verdicts(res) == {"retrieve_overhead_ratio": False, "cli_help_s": True}
    md = table(res)
    assert "| retrieve / floor (p50) | 1.30 | × | ≤ 1.10 | **no** |" in md and "| yes |" in md
