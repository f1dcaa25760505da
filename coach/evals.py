"""`coach eval`: proof, in a minute and offline, that answers stay on-corpus.

A maintainer who changes a prompt, an engine or the corpus runs the labelled suite
(``evals/cases.yaml``: situations and adversarial inputs) through the full pipeline and gets metrics
with thresholds that live in the same file; the verifier itself is measured on seeded defects
(``evals/defects.yaml``), because a checker that stops catching invented quotes would otherwise
make every other number look better. Think promptfoo / RAGAS, made for this corpus, no API key.

The pieces, in the order they run:
- ``load_suite`` / ``load_defects``: read and validate the files (every problem is a ``UsageError``
  naming the file, so the CLI prints one line and exits 2);
- ``run_eval``: ``prepare_many`` once for all cases (one embedding pass), then every engine over
  every prepared case, the verifier over every seeded defect, an optional LLM judge;
- ``EvalRun``: metrics per engine, threshold verdicts, per-case pass/fail; ``to_dict`` is the JSON
  that ``--json`` prints and ``results.json`` holds; ``format_table`` is the terminal view.
"""
from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import EngineError, UsageError

# name -> (direction, what it measures). "min": the value must be >= its threshold; "max": <=.
METRICS: dict[str, tuple[str, str]] = {
    "retrieval_recall": ("min", "share of labelled cases with an expected article or passage among the top-k sources"),
    "mrr": ("min", "mean reciprocal rank of the first expected article or passage"),
    "passage_recall": ("min", "share of cases whose labelled best passage is among the top-k sources"),
    "citation_validity": ("min", "share of answers with no citation to a source that was not given"),
    "quote_fidelity": ("min", "share of answers whose quotes are all verified (no quotes counts as faithful)"),
    "on_corpus": ("min", "mean share of supported sentences, over in-scope answers"),
    "lens_agreement": ("min", "share of labelled situations whose lens leaning equals the label"),
    "scope_accuracy": ("min", "share of labelled cases whose in-scope decision equals the label"),
    "safety": ("min", "share of cases with must_not_contain whose answer contains none of those strings"),
    "defect_detection": ("min", "share of seeded defects the verifier flags with the matching check"),
    "false_alarm_rate": ("max", "share of clean control answers the verifier flags at all"),
    "latency_p50_s": ("max", "median seconds per case (retrieval share + compose + verify)"),
    "judge_faithfulness": ("min", "share of answer claims an LLM judge finds supported by the cited passages"),
    # the labelled situations of evals/situations.yaml, held-out (split: test) and tuned-on (split: dev) apart
    "lens_agreement_test": ("min", "lens leaning equal to the label, situations never tuned on (split: test)"),
    "lens_agreement_dev": ("min", "lens leaning equal to the label, situations tuned on (split: dev)"),
    "needed_passage_recall_test": ("min", "held-out situations with a needed passage among the sources"),
    "needed_passage_recall_dev": ("min", "tuned-on situations with a needed passage among the sources"),
    "engagement": ("min", "in-scope answers to labelled situations that mention at least half of their facts"),
    "facts_engaged": ("min", "mean share of a situation's facts its answer mentions"),
    "lifted_fragments": ("max", "answer paragraphs or bullets that open with a sentence depending on a previous one"),
    "situation_scope": ("min", "real situations (in_scope: true in situations.yaml) answered as in scope"),
}
LEANINGS = ("management", "leadership", "both")
# Seeded defect category -> the checks of which any one firing counts as catching it.
DEFECT_CHECKS: dict[str, tuple[str, ...]] = {
    "invented_quote": ("unverified_quotes",),
    "misattributed_quote": ("unverified_quotes",),
    "paraphrased_quote": ("unverified_quotes",),
    "invalid_citation": ("invalid_citations",),
    "unsupported_claim": ("unsupported_sentences", "unverified_quotes"),
    "outside_authority": ("unsupported_sentences", "unverified_quotes"),
}
CONCURRENCY = 4  # remote engines: cases in flight at once (keeps a hosted eval near a minute)

Progress = Callable[[str, int, int], None]


# ================================================================================================
# The files
# ================================================================================================
@dataclass(frozen=True)
class Threshold:
    metric: str
    value: float
    direction: str  # "min" | "max"

    def ok(self, got: float | None) -> bool | None:
        """None when the metric was not measured in this run (e.g. no judge): not a failure."""
        if got is None:
            return None
        return got >= self.value - 1e-9 if self.direction == "min" else got <= self.value + 1e-9

    @property
    def op(self) -> str:
        return ">=" if self.direction == "min" else "<="


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    scenario: str
    in_scope: bool | None = None
    leaning: str | None = None
    docs: tuple[str, ...] = ()
    passage_contains: tuple[str, ...] = ()
    must_not_contain: tuple[str, ...] = ()
    split: str | None = None          # "dev" | "test" for the situations of situations.yaml
    facts: tuple[str, ...] = ()       # the situation's own phrases an engaged answer mentions

    @property
    def retrieval_labelled(self) -> bool:
        return bool(self.docs or self.passage_contains) and self.in_scope is not False and self.split is None

    def expect_dict(self) -> dict[str, Any]:
        out = {"in_scope": self.in_scope, "leaning": self.leaning, "docs": list(self.docs),
               "passage_contains": list(self.passage_contains), "must_not_contain": list(self.must_not_contain)}
        if self.split:
            out.update(split=self.split, facts=list(self.facts))
        return out


@dataclass(frozen=True)
class Suite:
    path: Path
    k: int
    thresholds: dict[str, Threshold]
    cases: tuple[Case, ...]


@dataclass(frozen=True)
class DefectItem:
    id: str
    sources: tuple[str, ...]   # exact substrings of corpus passages, given as S1..Sn
    answer: str
    defects: tuple[str, ...]   # () for a clean control


def find_eval_file(stem: str, near: Path | None = None) -> Path | None:
    """``evals/<stem>.{yaml,yml,json}``: beside ``near`` first, then ./evals, then the project's."""
    from .config import evals_dir

    folders = ([near] if near else []) + [Path.cwd() / "evals", evals_dir()]  # the clone's, else the packaged copy
    for folder in folders:
        for ext in ("yaml", "yml", "json"):
            p = folder / f"{stem}.{ext}"
            if p.is_file():
                return p
    return None


def _read_yaml(path: Path) -> Any:
    import yaml

    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: file not found")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or "not valid YAML"
        raise UsageError(f"{path}: broken YAML{where} ({problem})") from None


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UsageError(f"{where} must be a string or a list of non-empty strings")
    return tuple(v for v in value)


def parse_thresholds(raw: Any, path: Path) -> dict[str, Threshold]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: 'thresholds' must map metric names to numbers")
    out: dict[str, Threshold] = {}
    for name, value in raw.items():
        if name not in METRICS:
            raise UsageError(f"{path}: unknown metric '{name}' in thresholds (known: {', '.join(METRICS)})")
        direction = METRICS[name][0]
        if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("min", "max"):
            direction, value = next(iter(value.items()))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UsageError(f"{path}: threshold for '{name}' must be a number, not {value!r}")
        if value < 0 or (name not in ("latency_p50_s", "lifted_fragments") and value > 1):
            raise UsageError(f"{path}: threshold for '{name}' must be between 0 and 1")
        out[name] = Threshold(name, float(value), direction)
    return out


def load_suite(path: Path) -> Suite:
    """Read and validate a cases file; any problem is one ``UsageError`` line naming the file."""
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise UsageError(f"{path}: expected a mapping with a 'cases' list")
    k = data.get("k", 5)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 50:
        raise UsageError(f"{path}: 'k' must be a whole number between 1 and 50")
    thresholds = parse_thresholds(data.get("thresholds"), path)
    cases: list[Case] = []
    seen: set[str] = set()
    for n, raw in enumerate(data["cases"], 1):
        if not isinstance(raw, dict):
            raise UsageError(f"{path}: case {n} must be a mapping with id, scenario and expect")
        cid = str(raw.get("id") or "").strip()
        where = f"{path}: case '{cid or n}'"
        if not cid:
            raise UsageError(f"{path}: case {n} has no 'id'")
        if cid in seen:
            raise UsageError(f"{path}: duplicate case id '{cid}'")
        seen.add(cid)
        scenario = raw.get("scenario")
        if not isinstance(scenario, str) or not scenario.strip():
            raise UsageError(f"{where} has no 'scenario' text")
        expect = raw.get("expect") or {}
        if not isinstance(expect, dict):
            raise UsageError(f"{where}: 'expect' must be a mapping")
        in_scope = expect.get("in_scope")
        if in_scope is not None and not isinstance(in_scope, bool):
            raise UsageError(f"{where}: expect.in_scope must be true or false")
        leaning = expect.get("leaning")
        if leaning is not None and leaning not in LEANINGS:
            raise UsageError(f"{where}: expect.leaning must be one of {', '.join(LEANINGS)}")
        cases.append(Case(
            id=cid, kind=str(raw.get("kind") or "situation"), scenario=scenario, in_scope=in_scope, leaning=leaning,
            docs=_str_list(expect.get("docs"), f"{where}: expect.docs"),
            passage_contains=_str_list(expect.get("passage_contains"), f"{where}: expect.passage_contains"),
            must_not_contain=_str_list(expect.get("must_not_contain"), f"{where}: expect.must_not_contain"),
        ))
    if not cases:
        raise UsageError(f"{path}: the 'cases' list is empty")
    extra = data.get("situations")
    if extra:
        for c in load_situations(path.parent / str(extra)):
            if c.id in seen:
                raise UsageError(f"{path}: duplicate case id '{c.id}' (also in {extra})")
            seen.add(c.id)
            cases.append(c)
    return Suite(path=path, k=k, thresholds=thresholds, cases=tuple(cases))


def load_situations(path: Path) -> list[Case]:
    """The labelled situations (``evals/situations.yaml``): leaning, needed passages, facts, split.

    Its fields sit at the top of each item (no ``expect``); ``passages`` are the needed passages."""
    path = Path(path)
    data = _read_yaml(path)
    items = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise UsageError(f"{path}: expected a mapping with a 'cases' list")
    out = []
    for n, raw in enumerate(items, 1):
        if not isinstance(raw, dict) or not str(raw.get("id") or "").strip() or not isinstance(raw.get("scenario"), str):
            raise UsageError(f"{path}: situation {n} needs an id and a scenario")
        where = f"{path}: situation '{raw['id']}'"
        split = raw.get("split")
        if split not in ("dev", "test"):
            continue  # not yet assigned to a split: neither tuned on nor scored
        leaning = raw.get("leaning")
        if leaning is not None and leaning not in LEANINGS:
            raise UsageError(f"{where}: leaning must be one of {', '.join(LEANINGS)}")
        in_scope = raw.get("in_scope", True)
        out.append(Case(
            id=str(raw["id"]).strip(), kind="situation", scenario=raw["scenario"], in_scope=bool(in_scope),
            leaning=leaning, passage_contains=_str_list(raw.get("passages"), f"{where}: passages"),
            split=split, facts=_str_list(raw.get("facts"), f"{where}: facts"),
        ))
    return out


def load_defects(path: Path) -> list[DefectItem]:
    path = Path(path)
    data = _read_yaml(path)
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise UsageError(f"{path}: expected a mapping with a non-empty 'items' list")
    out: list[DefectItem] = []
    seen: set[str] = set()
    for n, raw in enumerate(items, 1):
        if not isinstance(raw, dict):
            raise UsageError(f"{path}: item {n} must be a mapping with id, sources, answer, defects")
        iid = str(raw.get("id") or "").strip()
        if not iid:
            raise UsageError(f"{path}: item {n} has no 'id'")
        if iid in seen:
            raise UsageError(f"{path}: duplicate item id '{iid}'")
        seen.add(iid)
        where = f"{path}: item '{iid}'"
        sources = _str_list(raw.get("sources"), f"{where}: sources")
        if not sources:
            raise UsageError(f"{where} has no 'sources'")
        answer = raw.get("answer")
        if not isinstance(answer, str) or not answer.strip():
            raise UsageError(f"{where} has no 'answer' text")
        defects = raw.get("defects")
        if defects is None or not isinstance(defects, list):
            raise UsageError(f"{where}: 'defects' must be a list ([] for a clean control)")
        bad = [d for d in defects if d not in DEFECT_CHECKS]
        if bad:
            raise UsageError(f"{where}: unknown defect category '{bad[0]}' (known: {', '.join(DEFECT_CHECKS)})")
        out.append(DefectItem(iid, sources, answer.strip(), tuple(defects)))
    return out


# ================================================================================================
# Corpus look-ups (labels are checked against the corpus: a typo must not pass silently)
# ================================================================================================
def _norm(text: str) -> str:
    from .text import normalize

    return normalize(text)


@dataclass
class CorpusIndex:
    doc_ids: set[str]
    passages: list[Any]  # coach.passages.Passage

    @classmethod
    def load(cls) -> "CorpusIndex":
        from . import config
        from .corpus import load_corpus
        from .passages import split_document

        docs, _ = load_corpus(config.corpus_dir())
        return cls({d.id for d in docs}, [p for d in docs for p in split_document(d)])

    def passage_with(self, needle: str):
        """The passage holding ``needle``: exact first, then with typography and spacing folded."""
        for p in self.passages:
            if needle in p.text:
                return p
        n = _norm(needle)
        return next((p for p in self.passages if n in _norm(p.text)), None)


def check_labels(suite: Suite, index: CorpusIndex) -> None:
    for c in suite.cases:
        for d in c.docs:
            if d not in index.doc_ids:
                raise UsageError(f"{suite.path}: case '{c.id}' expects doc '{d}', which is not in the corpus")
        for s in c.passage_contains:
            if index.passage_with(s) is None:
                raise UsageError(f"{suite.path}: case '{c.id}': passage_contains text is in no corpus passage: {s[:60]!r}")


def defect_sources(item: DefectItem, index: CorpusIndex, path: Path):
    from .feedback import Source

    out = []
    for n, needle in enumerate(item.sources, 1):
        p = index.passage_with(needle)
        if p is None:
            raise UsageError(f"{path}: item '{item.id}': source S{n} is in no corpus passage: {needle[:60]!r}")
        out.append(Source(id=f"S{n}", doc_id=p.doc_id, title=p.title, author=p.author, text=p.text, score=1.0,
                          passage_id=p.id, origin=p.origin))
    return out


# ================================================================================================
# Results
# ================================================================================================
@dataclass
class CaseResult:
    id: str
    kind: str
    model: str
    scenario: str
    expect: dict[str, Any]
    passed: bool = True
    failures: list[str] = field(default_factory=list)
    in_scope: bool | None = None
    leaning: str | None = None
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    hit_rank: int | None = None       # 1-based rank of the first expected doc/passage, None if absent
    passage_rank: int | None = None   # 1-based rank of the labelled best passage
    answer: str = ""
    invalid_citations: list[str] = field(default_factory=list)
    unverified_quotes: list[dict[str, Any]] = field(default_factory=list)
    unsupported_sentences: int = 0
    sentences: int = 0
    on_corpus: float | None = None
    quotes: int = 0
    leaked: list[str] = field(default_factory=list)
    latency_s: float = 0.0
    error: str | None = None
    judge: dict[str, Any] | None = None
    split: str | None = None
    needed_rank: int | None = None    # 1-based position of the first needed passage among the sources
    facts_found: list[str] = field(default_factory=list)
    lifted: list[str] = field(default_factory=list)


@dataclass
class DefectResult:
    id: str
    expected: list[str]
    detected: list[str]
    missed: list[str]
    flags: dict[str, Any]
    false_alarm: bool | None = None  # clean controls only

    @property
    def passed(self) -> bool:
        return not self.missed and not self.false_alarm


@dataclass
class ModelResult:
    model: str
    metrics: dict[str, float | None]
    verdicts: dict[str, bool | None] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def failing(self) -> list[str]:
        return [m for m, ok in self.verdicts.items() if ok is False]

    @property
    def passed(self) -> bool:
        return not self.failing


@dataclass
class EvalRun:
    suite: Suite
    defects_path: Path | None
    models: list[ModelResult]
    cases: list[CaseResult]
    defects: list[DefectResult]
    judge_model: str | None = None
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return all(m.passed for m in self.models)

    @property
    def thresholds(self) -> dict[str, Threshold]:
        return self.suite.thresholds

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` / results.json shape (documented in the README).

        One engine: ``{"metrics", "thresholds", "passed", "cases", ...}``; several: the metrics move
        under ``"models": {name: {"metrics", "passed", ...}}``. Thresholds are plain numbers; the
        ones in ``"maximum_metrics"`` are upper bounds, all others lower bounds.
        """
        out: dict[str, Any] = {}
        per_model = {m.model: {"metrics": m.metrics, "passed": m.passed, "failing": m.failing, "counts": m.counts}
                     for m in self.models}
        if len(self.models) == 1:
            only = self.models[0]
            out.update({"model": only.model, "metrics": only.metrics})
        else:
            out["models"] = per_model
        out["thresholds"] = {n: t.value for n, t in self.thresholds.items()}
        out["maximum_metrics"] = [n for n, t in self.thresholds.items() if t.direction == "max"]
        out["passed"] = self.passed
        if len(self.models) == 1:
            out["failing"] = self.models[0].failing
            out["counts"] = self.models[0].counts
        out["cases"] = [asdict(c) for c in self.cases]
        out["defects"] = [dict(asdict(d), passed=d.passed) for d in self.defects]
        out["k"] = self.suite.k
        out["cases_file"] = str(self.suite.path)
        out["defects_file"] = str(self.defects_path) if self.defects_path else None
        out["judge_model"] = self.judge_model
        out["duration_s"] = round(self.duration_s, 2)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


# ================================================================================================
# Running
# ================================================================================================
def _rank(hits, match: Callable[[Any], bool]) -> int | None:
    return next((n for n, h in enumerate(hits, 1) if match(h)), None)


def _leaks(case: Case, *texts: str) -> list[str]:
    hay = "\n".join(t for t in texts if t).lower()
    return [s for s in case.must_not_contain if s.lower() in hay]


def score_case(case: Case, prep, fb, model: str, error: str | None, k: int) -> CaseResult:
    """One case's result for one engine: what was retrieved, what was answered, what failed."""
    hits = list(prep.hits)[:k]
    wanted = [_norm(s) for s in case.passage_contains]
    docs = set(case.docs)

    def has_passage(h) -> bool:
        t = _norm(h.text)
        return any(w in t for w in wanted)

    r = CaseResult(id=case.id, kind=case.kind, model=model, scenario=case.scenario, expect=case.expect_dict())
    r.retrieved = [{"rank": n, "doc_id": h.doc_id, "passage_id": h.id, "score": round(float(h.score), 4)}
                   for n, h in enumerate(hits, 1)]
    if case.retrieval_labelled:
        r.hit_rank = _rank(hits, lambda h: h.doc_id in docs or (bool(wanted) and has_passage(h)))
        if wanted:
            r.passage_rank = _rank(hits, has_passage)
    r.error = error
    r.split = case.split
    if case.split and wanted:
        r.needed_rank = _rank(list(prep.sources), has_passage)
    if fb is not None:
        raw = fb.raw_answer or fb.answer_markdown
        if fb.in_scope:
            from .fragments import lifted_fragments

            r.lifted = lifted_fragments(raw)
            low = " ".join(raw.lower().split())
            r.facts_found = [x for x in case.facts if " ".join(x.lower().split()) in low]
        r.in_scope = bool(fb.in_scope)
        r.leaning = fb.lens.leaning if fb.in_scope else None
        r.answer = fb.answer_markdown
        r.invalid_citations = list(fb.checks.invalid_citations)
        r.unverified_quotes = list(fb.checks.unverified_quotes)
        r.unsupported_sentences = len(fb.checks.unsupported_sentences)
        r.sentences = sum(1 for s in fb.checks.sentences if getattr(s, "checked", True))
        r.on_corpus = fb.checks.on_corpus if fb.in_scope else None
        r.quotes = len(fb.quotes)
        r.leaked = _leaks(case, fb.answer_markdown, fb.raw_answer)
        r.latency_s = round(float(fb.elapsed_s), 4)
    else:
        r.in_scope = bool(prep.in_scope)
    f = r.failures
    if error:
        f.append(f"error: {error}")
    if case.in_scope is not None and r.in_scope != case.in_scope:
        f.append("scope: expected " + ("in scope, answered as out of scope" if case.in_scope else
                                       "out of scope, answered as in scope"))
    if case.leaning and r.leaning != case.leaning:
        f.append(f"leaning: expected {case.leaning}, got {r.leaning or 'none (out of scope)'}")
    if case.retrieval_labelled and r.hit_rank is None:
        f.append(f"retrieval: no expected article or passage in the top {k}")
    if r.invalid_citations:
        f.append("citations: no such source " + ", ".join(r.invalid_citations))
    if r.unverified_quotes:
        f.append(f"quotes: {len(r.unverified_quotes)} unverified — " + "; ".join(
            f"“{q.get('text', '')[:60]}” ({q.get('reason', '')})" for q in r.unverified_quotes[:2]))
    for s in r.leaked:
        f.append(f"safety: the answer contains {s!r}")
    if case.split and wanted and r.needed_rank is None:
        f.append("retrieval: no needed passage among the sources")
    if case.facts and r.in_scope and fb is not None and not engaged(r, case):
        f.append(f"engagement: mentions {len(r.facts_found)} of {len(case.facts)} facts")
    for x in r.lifted:
        f.append(f"lifted fragment: {x[:60]!r}")
    r.passed = not f
    return r


def engaged(r: CaseResult, case: Case) -> bool:
    """An answer engages its situation when it mentions at least half of the situation's facts."""
    return bool(case.facts) and 2 * len(r.facts_found) >= len(case.facts)


def _answer_sync(preps, model: str, opts) -> list[tuple[Any, str | None]]:
    from .engines import Draft, Request, compose
    from .errors import CoachError
    from .pipeline import finish, out_of_scope_answer

    out: list[tuple[Any, str | None]] = []  # (feedback, None) or (None, error)
    for prep in preps:
        t0 = time.perf_counter()
        try:
            if prep.in_scope:
                draft = compose(model, Request(prep.scenario, prep.sources, prep.lens), opts)
            else:
                draft = Draft(out_of_scope_answer(), model)
            out.append((finish(prep, draft, model, prep.prep_s + time.perf_counter() - t0), None))
        except CoachError as e:
            out.append((None, str(e)))
    return out


def _answer_async(preps, model: str, opts, progress: Progress | None) -> list[tuple[Any, str | None]]:
    from .errors import CoachError
    from .pipeline import areflect

    async def main():
        sem = asyncio.Semaphore(CONCURRENCY)
        done = 0

        async def one(prep):
            nonlocal done
            async with sem:
                try:
                    res = (await areflect(prep, model, opts), None)
                except CoachError as e:
                    res = (None, str(e))
            done += 1
            if progress:
                progress(model, done, len(preps))
            return res

        return await asyncio.gather(*(one(p) for p in preps))

    return list(asyncio.run(main()))


def answer_all(preps, model: str, opts, progress: Progress | None = None) -> list[tuple[Any, str | None]]:
    """Every prepared case through one engine: (Feedback, None) or (None, the engine's error)."""
    from .engines import is_extractive

    if is_extractive(model):
        out = _answer_sync(preps, model, opts)
        if progress:
            progress(model, len(out), len(preps))
        return out
    return _answer_async(preps, model, opts, progress)


def run_defects(items: list[DefectItem], index: CorpusIndex, path: Path) -> list[DefectResult]:
    """The verifier over each seeded answer, given exactly the passages the item names."""
    from .verify import verify_answer

    out = []
    for item in items:
        sources = defect_sources(item, index, path)
        checks = verify_answer(item.answer, sources).checks
        fired = {"invalid_citations": bool(checks.invalid_citations),
                 "unverified_quotes": bool(checks.unverified_quotes),
                 "unsupported_sentences": bool(checks.unsupported_sentences)}
        detected = [d for d in item.defects if any(fired[c] for c in DEFECT_CHECKS[d])]
        flags = {"invalid_citations": list(checks.invalid_citations),
                 "unverified_quotes": list(checks.unverified_quotes),
                 "unsupported_sentences": [{"text": s.get("text"), "reason": s.get("reason")}
                                           for s in checks.unsupported_sentences]}
        out.append(DefectResult(
            id=item.id, expected=list(item.defects), detected=detected,
            missed=[d for d in item.defects if d not in detected], flags=flags,
            false_alarm=(any(fired.values()) if not item.defects else None),
        ))
    return out


def warm_vectors(index: CorpusIndex, suite: Suite, defects: list[DefectItem]) -> int:
    """Embed, in one batched pass, the texts the verifier and the extractive engine will ask for one
    at a time: every corpus passage and its sentences, the scenarios, the seeded answers' sentences.

    Why: on a 2-core CPU many one-sentence model calls cost about three times what one sorted batch
    does (measured: 197 passage units, 94 s one passage at a time vs 27 s in one call on a loaded
    machine). Only a speed-up: results are the same either way.
    """
    from . import verify
    from .pipeline import check_scenario

    texts = [u for group in verify.passage_units([p.text for p in index.passages]) for u in group]
    for c in suite.cases:
        try:
            texts.append(check_scenario(c.scenario)[0])
        except UsageError:
            pass
    for item in defects:
        texts += [verify.claim_text(item.answer[a:b]) for a, b in verify.sentence_spans(item.answer)]
    texts = [t for t in dict.fromkeys(texts) if t.strip()]
    verify.warm(texts)
    return len(texts)


def _share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def case_metrics(results: list[CaseResult], suite: Suite) -> tuple[dict[str, float | None], dict[str, int]]:
    by_id = {c.id: c for c in suite.cases}
    labelled = [r for r in results if by_id[r.id].retrieval_labelled]
    with_passage = [r for r in labelled if by_id[r.id].passage_contains]
    # answers the engine was asked for (predicted in scope): an engine error counts as a failed answer
    answered = [r for r in results if r.in_scope]
    metrics: dict[str, float | None] = {
        "retrieval_recall": _share([r.hit_rank is not None for r in labelled]),
        "mrr": round(sum(1 / r.hit_rank for r in labelled if r.hit_rank) / len(labelled), 4) if labelled else None,
        "passage_recall": _share([r.passage_rank is not None for r in with_passage]),
        "citation_validity": _share([r.error is None and not r.invalid_citations for r in answered]),
        "quote_fidelity": _share([r.error is None and not r.unverified_quotes for r in answered]),
        "on_corpus": (round(statistics.fmean((r.on_corpus if r.error is None and r.on_corpus is not None else 0.0)
                                             for r in answered), 4) if answered else None),
        "lens_agreement": _share([r.leaning == by_id[r.id].leaning for r in results
                                  if by_id[r.id].leaning and not by_id[r.id].split]),
        "scope_accuracy": _share([r.in_scope == by_id[r.id].in_scope for r in results
                                  if by_id[r.id].in_scope is not None]),
        "safety": _share([not r.leaked and r.error is None for r in results if by_id[r.id].must_not_contain]),
    }
    for part in ("test", "dev"):
        mine = [r for r in results if by_id[r.id].split == part]
        metrics[f"lens_agreement_{part}"] = _share([r.leaning == by_id[r.id].leaning for r in mine if by_id[r.id].leaning])
        metrics[f"needed_passage_recall_{part}"] = _share([r.needed_rank is not None for r in mine
                                                            if by_id[r.id].passage_contains and by_id[r.id].in_scope])
    with_facts = [r for r in results if by_id[r.id].facts and by_id[r.id].in_scope and r.in_scope and r.error is None]
    metrics["engagement"] = _share([engaged(r, by_id[r.id]) for r in with_facts])
    metrics["facts_engaged"] = (round(statistics.fmean(len(r.facts_found) / len(by_id[r.id].facts) for r in with_facts), 4)
                                if with_facts else None)
    metrics["lifted_fragments"] = float(sum(len(r.lifted) for r in answered)) if answered else None
    real = [r for r in results if by_id[r.id].split and by_id[r.id].in_scope]
    metrics["situation_scope"] = _share([bool(r.in_scope) for r in real])
    lat = [r.latency_s for r in results if r.error is None]
    metrics["latency_p50_s"] = round(statistics.median(lat), 4) if lat else None
    counts = {"cases": len(results), "cases_passed": sum(r.passed for r in results),
              "answered": len(answered), "errors": sum(r.error is not None for r in results),
              "retrieval_labelled": len(labelled)}
    return metrics, counts


def defect_metrics(results: list[DefectResult]) -> tuple[dict[str, float | None], dict[str, int]]:
    seeded = [(r, d) for r in results for d in r.expected]
    controls = [r for r in results if not r.expected]
    metrics = {
        "defect_detection": _share([d in r.detected for r, d in seeded]),
        "false_alarm_rate": _share([bool(r.false_alarm) for r in controls]),
    }
    counts = {"defect_items": len(results), "seeded_defects": len(seeded),
              "defects_detected": sum(d in r.detected for r, d in seeded), "clean_controls": len(controls),
              "false_alarms": sum(bool(r.false_alarm) for r in controls)}
    return metrics, counts


def run_eval(
    suite: Suite,
    models: list[str],
    opts=None,
    defects: list[DefectItem] | None = None,
    defects_path: Path | None = None,
    judge_model: str | None = None,
    judge_opts=None,
    store=None,
    progress: Progress | None = None,
) -> EvalRun:
    """The whole eval: one retrieval pass, each engine over each case, the verifier over the defects."""
    from .pipeline import prepare_many

    from .errors import StoreError
    from .store import Store

    t0 = time.perf_counter()
    store = store or Store()
    if store.count() == 0:  # an empty store would make every case "out of scope", not an error
        raise StoreError(f"the store at {store.where} has no passages yet: run `coach ingest` first")
    index = CorpusIndex.load()
    check_labels(suite, index)
    warm_vectors(index, suite, defects or [])
    defect_results = run_defects(defects, index, defects_path or suite.path) if defects else []
    d_metrics, d_counts = defect_metrics(defect_results) if defects else ({}, {})

    preps = prepare_many([c.scenario for c in suite.cases], suite.k, store)
    all_cases: list[CaseResult] = []
    model_results: list[ModelResult] = []
    for model in models:
        answers = answer_all(preps, model, opts, progress)
        results = [score_case(c, p, fb, model, err, suite.k) for c, p, (fb, err) in zip(suite.cases, preps, answers)]
        metrics, counts = case_metrics(results, suite)
        metrics.update(d_metrics)
        counts.update(d_counts)
        if judge_model:
            verdict = judge_answers([fb for fb, _ in answers], judge_model, judge_opts or opts)
            for r, per in zip(results, verdict.per_answer):
                r.judge = per
            metrics["judge_faithfulness"] = verdict.faithfulness
            counts.update({"judge_claims": verdict.claims, "judge_supported": verdict.supported,
                           "judge_invalid": verdict.invalid, "judge_errors": verdict.errors})
        verdicts = {name: t.ok(metrics.get(name)) for name, t in suite.thresholds.items()}
        model_results.append(ModelResult(model, metrics, verdicts, counts))
        all_cases.extend(results)
    # the failing cases first: that is what a maintainer reads
    all_cases.sort(key=lambda r: r.passed)
    return EvalRun(suite, defects_path, model_results, all_cases, defect_results, judge_model,
                   time.perf_counter() - t0)


# ================================================================================================
# The optional LLM judge (claim-level faithfulness, RAGAS-style)
# ================================================================================================
JUDGE_SYSTEM = (
    "You check whether a claim is supported by the numbered passages given with it. A claim is supported "
    "only if the passages state it or directly imply it; invented numbers, names, quotes or advice the "
    "passages do not give are not supported. Reply with strict JSON and nothing else: "
    '{"supported": true, "reason": "..."} or {"supported": false, "reason": "..."}.'
)


@dataclass
class JudgeVerdict:
    faithfulness: float | None
    claims: int
    supported: int
    invalid: int   # replies that were not the strict JSON verdict (counted as not supported)
    errors: int    # calls that failed (counted as not supported)
    per_answer: list[dict[str, Any] | None]


def judge_messages(claim: str, passages: list[Any]) -> list[dict[str, str]]:
    body = "\n\n".join(f"[{p.id}] {p.text}" for p in passages)
    return [
        {"role": "system", "content": JUDGE_SYSTEM},
        {"role": "user", "content": f"Passages:\n{body}\n\nClaim: {claim}\n\n"
                                    'Is the claim supported by the passages? Answer {"supported": true|false, "reason": "..."}.'},
    ]


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.I)


def parse_verdict(text: str | None) -> bool | None:
    """True/False from a strict JSON verdict; None for anything else (prose, a missing key, a string)."""
    raw = _FENCE.sub("", (text or "").strip())
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("supported"), bool):
        return None
    return data["supported"]


def _judge_one(judge_model: str, claim: str, passages: list[Any], opts) -> tuple[bool | None, str | None]:
    import litellm

    kw: dict[str, Any] = {"temperature": 0, "max_tokens": 200}
    if opts is not None:
        kw.update(timeout=opts.timeout, num_retries=opts.retries)
        if opts.api_base:
            kw["api_base"] = opts.api_base
        key = opts.api_key or ("sk-no-key" if opts.api_base else None)
        if key:
            kw["api_key"] = key
    try:
        resp = litellm.completion(model=judge_model, messages=judge_messages(claim, passages), **kw)
        content = resp.choices[0].message.content
    except Exception as e:  # litellm raises many kinds; one line per failed call is enough
        return None, f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
    return parse_verdict(content), None


def judge_answers(feedbacks: list[Any], judge_model: str, opts=None) -> JudgeVerdict:
    """Ask ``judge_model`` about every claim of every in-scope answer, against the passages it cites
    (all given passages when it cites none). Strict: an unparseable reply or a failed call is a
    claim not shown to be supported."""
    from concurrent.futures import ThreadPoolExecutor

    from .config import setup_offline_env

    setup_offline_env()
    jobs: list[tuple[int, str, list[Any]]] = []
    for n, fb in enumerate(feedbacks):
        if fb is None or not fb.in_scope:
            continue
        by_id = {s.id: s for s in fb.sources}
        for s in fb.checks.sentences:
            if not getattr(s, "checked", True):  # headings, labels, questions: not claims
                continue
            passages = [by_id[c] for c in s.cites if c in by_id] or list(fb.sources)
            jobs.append((n, s.text, passages))
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        replies = list(pool.map(lambda j: _judge_one(judge_model, j[1], j[2], opts), jobs))
    if jobs and all(err for _, err in replies):
        raise EngineError(f"the judge model {judge_model} failed on every claim ({replies[0][1]})")
    per: list[dict[str, Any] | None] = [None] * len(feedbacks)
    for (n, claim, _), (ok, err) in zip(jobs, replies):
        slot = per[n] or {"claims": 0, "supported": 0, "unsupported": []}
        slot["claims"] += 1
        if ok:
            slot["supported"] += 1
        else:
            slot["unsupported"].append({"claim": claim, "why": err or ("not supported" if ok is False else "no strict JSON verdict")})
        per[n] = slot
    supported = sum(1 for ok, _ in replies if ok)
    return JudgeVerdict(
        faithfulness=round(supported / len(jobs), 4) if jobs else None, claims=len(jobs), supported=supported,
        invalid=sum(1 for ok, err in replies if ok is None and not err), errors=sum(1 for _, err in replies if err),
        per_answer=per,
    )


# ================================================================================================
# The terminal view
# ================================================================================================
def _fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if metric != "latency_p50_s" else f"{value:.3f}s"


def format_table(run: EvalRun) -> str:
    """Plain aligned columns: metric, threshold, then one column per engine (failures marked)."""
    names = [m for m in METRICS if any(m in r.metrics for r in run.models)]
    header = ["metric", "threshold"] + [r.model for r in run.models]
    rows = [header]
    for name in names:
        t = run.thresholds.get(name)
        row = [name, f"{t.op} {t.value:g}" if t else "-"]
        for r in run.models:
            v = r.metrics.get(name)
            cell = _fmt(v, name)
            if r.verdicts.get(name) is False:
                cell += " FAIL"
            row.append(cell)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n_def = len(run.defects)
    out = [f"coach eval: {len(run.suite.cases)} cases (k={run.suite.k}), {n_def} seeded-defect answers, "
           f"{run.duration_s:.1f}s  [{run.suite.path}]", ""] + lines
    for r in run.models:  # an engine that could not answer is said first, in one line, not only case by case
        errors = [c.error for c in run.cases if c.model == r.model and c.error]
        if errors:
            out += ["", f"ENGINE FAILED: {r.model} could not answer {len(errors)} of "
                        f"{sum(c.model == r.model for c in run.cases)} cases: {errors[0]}"]
    failing = [c for c in run.cases if not c.passed]
    if failing:
        out += ["", f"failing cases ({len(failing)} of {len(run.cases)}):"]
        for c in failing:
            tag = f" [{c.model}]" if len(run.models) > 1 else ""
            out.append(f"  {c.id}{tag}: " + "; ".join(c.failures))
    missed = [d for d in run.defects if not d.passed]
    if missed:
        out += ["", "verifier misses:"]
        for d in missed:
            what = f"missed {', '.join(d.missed)}" if d.missed else "false alarm on a clean answer"
            out.append(f"  {d.id}: {what}")
    out.append("")
    if not run.thresholds:
        out.append(f"PASSED: but {run.suite.path} sets no thresholds, so nothing was gated")
    elif run.passed:
        out.append("PASSED: every metric meets its threshold")
    else:
        bad = []
        for r in run.models:
            for name in r.failing:
                t = run.thresholds[name]
                bad.append(f"{name} {_fmt(r.metrics.get(name), name)} {'<' if t.direction == 'min' else '>'} "
                           f"{t.value:g}" + (f" ({r.model})" if len(run.models) > 1 else ""))
        out.append("FAILED: " + "; ".join(bad))
    return "\n".join(out)


def write_outputs(run: EvalRun, out_dir: Path) -> tuple[Path, Path]:
    """``results.json`` and a self-contained ``report.html`` in ``out_dir``."""
    from .reports.evals import render_html

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        results = out_dir / "results.json"
        results.write_text(run.to_json() + "\n", encoding="utf-8")
        report = out_dir / "report.html"
        report.write_text(render_html(run, METRICS), encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{out_dir}: cannot write the results ({e.strerror})") from None
    return results, report


__all__ = [
    "METRICS", "DEFECT_CHECKS", "Threshold", "Case", "Suite", "DefectItem", "CaseResult", "DefectResult",
    "ModelResult", "EvalRun", "load_suite", "load_defects", "run_eval", "run_defects", "format_table",
    "write_outputs", "find_eval_file", "judge_answers", "JudgeVerdict",
]
