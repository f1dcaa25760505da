"""What the run reports: the headline keys, their targets, and the table (Markdown, for the README)."""
from __future__ import annotations

# key: (label, unit, target, "max" = lower is better / "min" = higher is better / None = no target)
HEADLINE: dict[str, tuple[str, str, float | None, str | None]] = {
    "retrieve_p50_ms": ("retrieve, p50", "ms", None, None),
    "retrieve_p95_ms": ("retrieve, p95", "ms", None, None),
    "retrieve_floor_p50_ms": ("floor: encode + Chroma query, p50", "ms", None, None),
    "retrieve_overhead_ratio": ("retrieve / floor (p50)", "×", 1.1, "max"),
    "retrieve_large_p50_ms": ("retrieve on the generated store, p50", "ms", None, None),
    "retrieve_large_overhead_ratio": ("… / its floor (p50)", "×", 1.1, "max"),
    "ingest_passages_per_s": ("first ingest", "passages/s", None, None),
    "encode_floor_passages_per_s": ("floor: raw encode of the same texts", "passages/s", None, None),
    "ingest_ratio": ("ingest time / encode floor time", "×", 1.1, "max"),
    "reingest_unchanged_s_per_1k_docs": ("unchanged re-ingest", "s per 1,000 articles", 0.5, "max"),
    "batch_ratio_to_ideal": ("batch (T_N − T_1) / ideal, C=8 in a full run (the issue's setting)", "×", 1.15, "max"),
    "batch_ratio_to_bound": ("batch (T_N − T_1) / max(ideal, embed floor)", "×", 1.1, "max"),
    "batch_transport_ratio": ("floor: the same requests alone (no retrieval, no verification), same formula", "×",
                              None, None),
    "batch_ratio_to_ideal_c16": ("batch (T_N − T_1) / ideal at C=16", "×", 1.15, "max"),
    "batch_transport_ratio_c16": ("floor: the same requests alone at C=16", "×", None, None),
    "ttft_overhead_ms": ("server's first token → CLI stdout", "ms", 50.0, "max"),
    "cli_help_s": ("`coach --help`", "s", 0.5, "max"),
    "reflect_cold_s": ("cold `coach reflect` (extractive)", "s", None, None),
    "reflect_cold_floor_s": ("floor: fresh `python -c \"import chromadb\"`", "s", None, None),
    "reflect_cold_ratio": ("cold `coach reflect` / its floor (medians)", "×", 2.0, "max"),
    "page_first_answer_s": ("page: fresh process → first answer (AppTest)", "s", None, None),
    "local_tokens_per_s": ("local model (smollm2) generation", "tokens/s", None, None),
    "first_run_ratio": ("fresh clone `make run` → healthy page / plain pip install", "×", 1.3, "max"),
    "first_run_floor_pip_install_s": ("floor: pip install of the runtime requirements", "s", None, None),
}

# the keys issue 8 requires in results.json (the smoke test checks these)
REQUIRED = [
    "retrieve_p50_ms", "retrieve_p95_ms", "retrieve_floor_p50_ms", "retrieve_overhead_ratio",
    "ingest_passages_per_s", "encode_floor_passages_per_s", "ingest_ratio", "reingest_unchanged_s_per_1k_docs",
    "batch_ratio_to_ideal", "ttft_overhead_ms", "cli_help_s", "reflect_cold_s", "local_tokens_per_s",
    "reflect_cold_ratio", "page_first_answer_s",
]


def verdicts(results: dict) -> dict[str, bool | None]:
    out: dict[str, bool | None] = {}
    for key, (_label, _unit, target, sense) in HEADLINE.items():
        v = results.get(key)
        if target is None or not isinstance(v, (int, float)):
            continue
        out[key] = v <= target if sense == "max" else v >= target
    return out


def _fmt(v) -> str:
    if not isinstance(v, (int, float)):
        return "—"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}" if abs(v) >= 1 else f"{v:.3f}"


def table(results: dict) -> str:
    """The headline numbers as a Markdown table (also readable as plain text)."""
    met = verdicts(results)
    rows = ["| measure | value | unit | target | met |", "| --- | ---: | --- | ---: | :---: |"]
    for key, (label, unit, target, sense) in HEADLINE.items():
        if key not in results:
            continue
        tgt = "" if target is None else ("≤ " if sense == "max" else "≥ ") + _fmt(target)
        ok = "" if key not in met else ("yes" if met[key] else "**no**")
        rows.append(f"| {label} | {_fmt(results[key])} | {unit} | {tgt} | {ok} |")
    return "\n".join(rows)
