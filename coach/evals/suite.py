"""The suite as the eval reads it: the metric table, the labelled cases, the seeded defects.

Every file problem is one ``UsageError`` naming the file (and the case), so `coach eval` prints one
line and exits 2 before anything heavy is imported; the key-level shape of each file is the
pydantic models of ``schema`` (an unknown key is an error, not a silent no-op).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import UsageError

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
    "readers_agree_test": ("min", "held-out situations a second, blind reader gives the same leaning (no engine)"),
    "readers_agree_dev": ("min", "tuned-on situations a second, blind reader gives the same leaning (no engine)"),
    "lens_agreed_test": ("min", "lens leaning equal to the label where both readers agree, never tuned on"),
    "lens_agreed_dev": ("min", "lens leaning equal to the label where both readers agree, tuned on"),
    "needed_passage_recall_test": ("min", "held-out situations with a needed passage among the sources"),
    "needed_passage_recall_dev": ("min", "tuned-on situations with a needed passage among the sources"),
    "engagement": ("min", "in-scope answers to labelled situations that mention at least half of their facts"),
    "facts_engaged": ("min", "mean share of a situation's facts its answer mentions"),
    "lifted_fragments": ("max", "answer paragraphs or bullets that open with a sentence depending on a previous one"),
    "situation_scope": ("min", "real situations (in_scope: true in situations.yaml) answered as in scope"),
    # issue 29, on evals/coaching.yaml (coach.evals.coaching says how each is counted); held out first
    "question_answered_test": ("min", "held-out situations with a direct question answered in the first paragraph"),
    "question_answered_dev": ("min", "tuned-on situations with a direct question answered in the first paragraph"),
    "plan_weighed_test": ("min", "held-out situations naming a plan whose answer weighs it"),
    "plan_weighed_dev": ("min", "tuned-on situations naming a plan whose answer weighs it"),
    "verdict_agreement_test": ("min", "held-out plans whose verdict (fits / partly / does not fit) is the writer's"),
    "verdict_agreement_dev": ("min", "tuned-on plans whose verdict is the writer's"),
    "engage_points_test": ("min", "held-out writers' must-address points the answer addresses"),
    "engage_points_dev": ("min", "tuned-on writers' must-address points the answer addresses"),
    "repeated_sentence_test": ("max", "largest share of held-out answers quoting one same article sentence"),
    "repeated_sentence_dev": ("max", "largest share of tuned-on answers quoting one same article sentence"),
    "quoted_back_test": ("max", "share of held-out answers' words that are the manager's own, quoted back"),
    "quoted_back_dev": ("max", "share of tuned-on answers' words that are the manager's own, quoted back"),
    "coaching_lens_test": ("min", "held-out coaching situations whose lens leaning is the writer's"),
    "coaching_lens_dev": ("min", "tuned-on coaching situations whose lens leaning is the writer's"),
    # issue 28, on evals/coaching_answers.jsonl (coach.evals.claims): a capable model's faithful answers
    "claims_faithful_warned_test": ("max", "held-out faithful sentences of model answers the checker warns"),
    "claims_faithful_warned_dev": ("max", "tuned-on faithful sentences of model answers the checker warns"),
    "claims_caught_test": ("min", "held-out injected model mistakes the checker marks"),
    "claims_caught_dev": ("min", "tuned-on injected model mistakes the checker marks"),
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
    question: str | None = None       # coaching cases (evals/coaching.yaml): the manager's direct question,
    intended_action: str | None = None  # their plan, the writer's verdict on it (yes / no / partly)
    action_fits: str | None = None
    engage: tuple[str, ...] = ()      # what a good answer must address, in the manager's words
    second_leaning: str | None = None  # a second reader's leaning, read blind (issue 32)

    @property
    def retrieval_labelled(self) -> bool:
        return bool(self.docs or self.passage_contains) and self.in_scope is not False and self.split is None

    def expect_dict(self) -> dict[str, Any]:
        out = {"in_scope": self.in_scope, "leaning": self.leaning, "docs": list(self.docs),
               "passage_contains": list(self.passage_contains), "must_not_contain": list(self.must_not_contain)}
        if self.split:
            out.update(split=self.split, facts=list(self.facts))
        if self.kind == "coaching":
            out.update(question=self.question, intended_action=self.intended_action, action_fits=self.action_fits,
                       engage=list(self.engage))
        return out


@dataclass(frozen=True)
class Suite:
    path: Path
    k: int
    thresholds: dict[str, Threshold]
    cases: tuple[Case, ...]
    claims: Path | None = None        # model answers labelled sentence by sentence (coach.evals.claims)


@dataclass(frozen=True)
class DefectItem:
    id: str
    sources: tuple[str, ...]   # exact substrings of corpus passages, given as S1..Sn
    answer: str
    defects: tuple[str, ...]   # () for a clean control


def find_eval_file(stem: str, near: Path | None = None) -> Path | None:
    """``evals/<stem>.{yaml,yml,json}``: beside ``near`` first, then ./evals, then the project's."""
    from ..config import evals_dir

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


def _with_ids(rows: list, path: Path, noun: str, keys: str) -> Iterator[tuple[str, dict]]:
    """(id, entry) for each entry of an eval file: a mapping with a non-empty id seen only once."""
    seen: set[str] = set()
    for n, raw in enumerate(rows, 1):
        if not isinstance(raw, dict):
            raise UsageError(f"{path}: {noun} {n} must be a mapping with {keys}")
        rid = str(raw.get("id") or "").strip()
        if not rid:
            raise UsageError(f"{path}: {noun} {n} has no 'id'")
        if rid in seen:
            raise UsageError(f"{path}: duplicate {noun} id '{rid}'")
        seen.add(rid)
        yield rid, raw


def load_suite(path: Path) -> Suite:
    """Read and validate a cases file; any problem is one ``UsageError`` line naming the file (and the
    case and key: the shapes are ``schema``'s models, which reject unknown keys)."""
    from .schema import CaseEntry, CasesFile, Expect, parse

    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise UsageError(f"{path}: expected a mapping with a 'cases' list")
    top = parse(CasesFile, data, str(path))
    thresholds = parse_thresholds(top.thresholds, path)
    cases: list[Case] = []
    for cid, raw in _with_ids(top.cases, path, "case", "id, scenario and expect"):
        item = parse(CaseEntry, raw, f"{path}: case '{cid}'")
        expect = item.expect or Expect()
        cases.append(Case(
            id=cid, kind=item.kind or "situation", scenario=item.scenario, in_scope=expect.in_scope,
            leaning=expect.leaning, docs=expect.docs, passage_contains=expect.passage_contains,
            must_not_contain=expect.must_not_contain,
        ))
    if not cases:
        raise UsageError(f"{path}: the 'cases' list is empty")
    seen = {c.id for c in cases}
    for name, loader in ((top.situations, load_situations), (top.coaching, load_coaching)):
        if not name:
            continue
        for c in loader(path.parent / name):
            if c.id in seen:
                raise UsageError(f"{path}: duplicate case id '{c.id}' (also in {name})")
            seen.add(c.id)
            cases.append(c)
    claims = None
    if top.claims:
        claims = path.parent / top.claims
        if not claims.is_file():
            raise UsageError(f"{path}: 'claims' names {top.claims}, which is not a file beside it")
    return Suite(path=path, k=top.k, thresholds=thresholds, cases=tuple(cases), claims=claims)


def load_coaching(path: Path) -> list[Case]:
    """The coaching situations (``evals/coaching.yaml``): leaning, question, intended action and its verdict,
    the points an answer must address; ``split`` dev (tuned on) or test (held out)."""
    from .schema import CoachingEntry, SituationsFile, parse

    path = Path(path)
    data = _read_yaml(path)
    rows = parse(SituationsFile, data, str(path)).cases if isinstance(data, dict) and isinstance(
        data.get("cases"), list) else None
    if not rows:
        raise UsageError(f"{path}: expected a mapping with a non-empty 'cases' list")
    out = []
    for cid, raw in _with_ids(rows, path, "situation", "id, writer, split and scenario"):
        item = parse(CoachingEntry, raw, f"{path}: situation '{cid}'")
        out.append(Case(
            id=cid, kind="coaching", scenario=item.scenario, in_scope=True, leaning=item.leaning, split=item.split,
            question=item.question, intended_action=item.intended_action,
            action_fits=item.action_fits, engage=item.engage,
        ))
    return out


def load_situations(path: Path) -> list[Case]:
    """The labelled situations (``evals/situations.yaml``): leaning, needed passages, facts, split.

    Its fields sit at the top of each item (no ``expect``); ``passages`` are the needed passages."""
    from .schema import SituationEntry, SituationsFile, parse

    path = Path(path)
    data = _read_yaml(path)
    if isinstance(data, dict):
        data = parse(SituationsFile, data, str(path)).cases if isinstance(data.get("cases"), list) else None
    if not isinstance(data, list):
        raise UsageError(f"{path}: expected a mapping with a 'cases' list")
    out = []
    for n, raw in enumerate(data, 1):
        if not isinstance(raw, dict) or not str(raw.get("id") or "").strip() or not isinstance(raw.get("scenario"), str):
            raise UsageError(f"{path}: situation {n} needs an id and a scenario")
        item = parse(SituationEntry, raw, f"{path}: situation '{raw['id']}'")
        if item.split not in ("dev", "test"):
            continue  # not yet assigned to a split: neither tuned on nor scored
        out.append(Case(
            id=str(item.id).strip(), kind="situation", scenario=item.scenario, in_scope=item.in_scope,
            leaning=item.leaning, passage_contains=item.passages, split=item.split, facts=item.facts,
            second_leaning=item.leaning_second_reader,
        ))
    return out


def load_defects(path: Path) -> list[DefectItem]:
    from .schema import DefectEntry, DefectsFile, parse

    path = Path(path)
    data = _read_yaml(path)
    if isinstance(data, dict):
        data = parse(DefectsFile, data, str(path)).items if isinstance(data.get("items"), list) else None
    if not isinstance(data, list) or not data:
        raise UsageError(f"{path}: expected a mapping with a non-empty 'items' list")
    out: list[DefectItem] = []
    for iid, raw in _with_ids(data, path, "item", "id, sources, answer, defects"):
        where = f"{path}: item '{iid}'"
        item = parse(DefectEntry, raw, where)
        if not item.sources:
            raise UsageError(f"{where} has no 'sources'")
        bad = [d for d in item.defects if d not in DEFECT_CHECKS]
        if bad:
            raise UsageError(f"{where}: unknown defect category '{bad[0]}' (known: {', '.join(DEFECT_CHECKS)})")
        out.append(DefectItem(iid, item.sources, item.answer.strip(), tuple(item.defects)))
    return out
