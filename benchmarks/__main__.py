"""``python -m benchmarks`` (``make bench``): run every section, print the table, write results.json.

    python -m benchmarks                      # the full run (~10 min on 2 cores), writes benchmarks/results.json
    python -m benchmarks --quick --out F.json # tiny sizes, for the smoke test
    python -m benchmarks --only retrieve      # one section (others are skipped, not reported)
    python -m benchmarks --profile batch      # also write a pyinstrument profile of that section

Exit status: 0 when every section ran, 1 when one broke (a time never fails the run).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .common import RESULTS, ROOT, Params, machine_facts, rnd, setup_env
from .report import HEADLINE, table, verdicts

SECTIONS = ("ingest", "retrieve", "batch", "cli", "local", "first_run")
PROFILE_DIR = ROOT / "benchmarks" / "out"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the machinery, numbers mean little")
    p.add_argument("--out", type=Path, default=None,
                   help=f"results file (default {RESULTS.relative_to(ROOT)}; with --quick benchmarks/out/results-quick.json)")
    p.add_argument("--only", action="append", choices=SECTIONS, help="run only this section (repeatable)")
    p.add_argument("--articles", type=int, default=None, help="size of the generated corpus (default 1000; quick 30)")
    p.add_argument("--profile", action="append", choices=SECTIONS, default=[],
                   help="profile this section with pyinstrument into benchmarks/out/ (repeatable)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    return p.parse_args(argv)


def _section(name: str, fn, results: dict, details: dict, errors: dict, profile: bool) -> None:
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    try:
        out = fn()
    except Exception as e:  # one broken section must not hide the others' numbers
        errors[name] = f"{type(e).__name__}: {e}"
        traceback.print_exc()
        out = {}
    finally:
        if profiler is not None:
            profiler.stop()
            PROFILE_DIR.mkdir(parents=True, exist_ok=True)
            (PROFILE_DIR / f"profile-{name}.txt").write_text(profiler.output_text(unicode=True, show_all=False))
            (PROFILE_DIR / f"profile-{name}.html").write_text(profiler.output_html())
            print(f"[bench] profile: {PROFILE_DIR / f'profile-{name}.txt'}", file=sys.stderr)
    for key, value in out.items():
        if key.startswith("_"):
            continue
        (details if key.endswith("_details") or isinstance(value, (dict, list)) else results)[key] = value
    details.setdefault("section_s", {})[name] = rnd(time.perf_counter() - t0, 1)
    print(f"[bench] {name} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    results.setdefault("_internal", {}).update({k: v for k, v in out.items() if k.startswith("_")})


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    params = Params.quick_params() if args.quick else Params()
    if args.articles:
        params.articles = args.articles
    params.sections = list(args.only or SECTIONS)
    out_path = args.out or (PROFILE_DIR / "results-quick.json" if args.quick else RESULTS)

    t_start = time.perf_counter()
    facts = machine_facts()
    tmp = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    env = setup_env(tmp)  # COACH_DATA_DIR -> tmp: the user's store is never touched
    sys.path.insert(0, str(ROOT))

    results: dict = {}
    details: dict = {}
    errors: dict = {}
    try:
        from coach.embedding import embed
        from coach.corpus.ingest import ingest
        from coach.corpus.store import Store

        t0 = time.perf_counter()
        embed.encode(["load the embedding model"])
        details["model_load_s"] = rnd(time.perf_counter() - t0)
        facts["embed_backend_query"] = embed.backend_for(1)  # the numpy forward pass: torch stays unloaded
        t0 = time.perf_counter()
        rep = ingest(ROOT / "corpus", Store())  # the real corpus: what retrieve, batch and the CLI use
        if rep.errors:
            raise RuntimeError(f"the real corpus did not ingest: {rep.errors}")
        details["real_corpus"] = {"passages": Store().count(), "ingest_s": rnd(time.perf_counter() - t0)}

        wanted = set(params.sections)
        prof = set(args.profile)
        # ingest and retrieval are timed against floors that embed the very same texts: coach.embedding.embed's
        # in-memory memo would hand the second of the two its vectors for free
        embed.MEMO = False
        if "ingest" in wanted:
            from . import ingest_bench

            _section("ingest", lambda: ingest_bench.run(params, tmp), results, details, errors, "ingest" in prof)
        if "retrieve" in wanted:
            from . import retrieve_bench

            synth_store = results.get("_internal", {}).get("_synth_store_path")
            _section("retrieve", lambda: retrieve_bench.run(params, synth_store), results, details, errors,
                     "retrieve" in prof)
        embed.MEMO = True
        embed._memo.clear()
        if "batch" in wanted:
            from . import batch_bench

            _section("batch", lambda: batch_bench.run(params, tmp, env), results, details, errors, "batch" in prof)
        if "cli" in wanted:
            from . import cli_bench

            _section("cli", lambda: cli_bench.run(params, env), results, details, errors, "cli" in prof)
        if "local" in wanted:
            from . import local_bench

            _section("local", lambda: local_bench.run(params), results, details, errors, "local" in prof)
        if "first_run" in wanted:  # minutes: a fresh clone's `make run` and a plain pip install (skipped by --quick)
            from . import first_run_bench

            _section("first_run", lambda: first_run_bench.run(params, tmp), results, details, errors,
                     "first_run" in prof)
    except Exception as e:
        errors["setup"] = f"{type(e).__name__}: {e}"
        traceback.print_exc()
    finally:
        if args.keep:
            print(f"[bench] kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    results.pop("_internal", None)
    ordered = {k: results[k] for k in HEADLINE if k in results}
    ordered.update({k: v for k, v in results.items() if k not in ordered})
    md = table(ordered)
    doc = {
        **ordered,
        "targets": {k: {"target": t, "sense": s} for k, (_l, _u, t, s) in HEADLINE.items() if t is not None},
        "met": verdicts(ordered),
        "params": params.to_dict(),
        "machine": facts,
        "total_s": rnd(time.perf_counter() - t_start, 1),
        "errors": errors,
        "details": details,
        "table_markdown": md,
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    size = f"{params.articles} generated articles, {params.queries} queries, batch N={params.batch_n} " \
           f"C={params.batch_c} and {params.batch_c_second} L={params.batch_latency_s}s" + (" (quick)" if params.quick else "")
    print(md)
    print(f"\n{size}; {facts['cores']} cores, Python {facts['python']}; total {doc['total_s']} s; wrote {out_path}")
    for name, msg in errors.items():
        print(f"benchmarks: error: {name}: {msg}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
