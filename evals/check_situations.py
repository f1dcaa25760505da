"""Validate evals/situations.yaml, the held-out labelled situations (issue 12).

The set is what the lens, retrieval and answers are judged on, so a label that cannot be checked
mechanically (a passage that is not really in the corpus, a "fact" the manager never wrote, a split
chosen by hand) would silently corrupt every number measured on it. This script checks everything
that can be checked without judgement and prints the counts a reviewer needs to see the balance.

Usage: python evals/check_situations.py [--file F] [--corpus DIR] [--cases F] [--final] [--train]
Exit 0 when clean, 1 with one line per problem, 2 when the file cannot be read at all.
`--final` adds the issue's size and balance requirements (>= 150 situations, >= 40% mismatches...).
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEANINGS = ("management", "leadership", "both")
VOCABULARIES = ("management", "leadership", "neutral")
SPLITS = ("dev", "test")
TAGS = ("terse", "clumsy")
KEYS_IN = {"id", "split", "scenario", "leaning", "leaning_second_reader", "vocabulary", "needs", "passages", "facts",
           "industry", "in_scope", "team_size", "tags"}
KEYS_OUT = {"id", "split", "scenario", "in_scope", "tags", "industry"}
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SHORT_WORDS, LONG_WORDS = 35, 60       # word counts that make a scenario "short" / "long" in the summary
SHINGLE = 8                            # shared 8-word runs with evals/cases.yaml count as copying
# A "terse" case exists to catch a topic classifier that keys on role words, so it may not use them.
ROLE_WORDS = re.compile(r"\b(teams?|manag\w*|lead\w*|staff|boss\w*|employee\w*|supervis\w*|"
                        r"reports?|subordinat\w*|colleagues?|workers?)\b", re.IGNORECASE)


def split_for(case_id: str) -> str:
    """The split is a function of the id so nobody can hand-pick which cases are held out."""
    return "dev" if hashlib.sha1(case_id.encode("utf-8")).hexdigest()[0] in "01234567" else "test"


def corpus_lines(corpus: Path) -> list[str]:
    """Body lines of every article (front matter dropped): a passage phrase must sit inside one."""
    lines: list[str] = []
    for path in sorted(corpus.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---"):
            end = text.find("\n---", 3)
            text = text[end + 4:] if end != -1 else ""
        lines.extend(line for line in text.splitlines() if line.strip())
    return lines


def squash(text: str) -> str:
    return " ".join(str(text).split()).lower()


def shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9']+", str(text).lower().replace("\u2019", "'"))
    return {tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def old_scenarios(cases_file: Path) -> set[tuple[str, ...]]:
    import yaml
    if not cases_file.is_file():
        return set()
    data = yaml.safe_load(cases_file.read_text(encoding="utf-8")) or {}
    found: set[tuple[str, ...]] = set()
    for case in data.get("cases") or []:
        if isinstance(case, dict) and case.get("scenario"):
            found |= shingles(case["scenario"])
    return found


def check_strings(case_id, name, value, lo, hi, problems) -> list[str]:
    if not isinstance(value, list) or not lo <= len(value) <= hi:
        problems.append(f"{case_id}: {name} must be a list of {lo}-{hi} items")
        return []
    good = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            problems.append(f"{case_id}: {name} has an empty or non-text item")
        else:
            good.append(item)
    return good


def check_case(case, lines, old, problems, train: bool = False) -> None:
    if not isinstance(case, dict):
        problems.append(f"case #{case!r:.40}: not a mapping")
        return
    cid = case.get("id")
    if not isinstance(cid, str) or not ID_RE.match(cid):
        problems.append(f"{cid!r}: id must be kebab-case text")
        cid = str(cid)
    if train:
        if case.get("split") != "train":
            problems.append(f"{cid}: every case of a training file has split: train")
    elif case.get("split") not in SPLITS:
        problems.append(f"{cid}: split must be one of {SPLITS}")
    elif case["split"] != split_for(cid):
        problems.append(f"{cid}: split is {case['split']} but the hash rule says {split_for(cid)}")
    scenario = case.get("scenario")
    if not isinstance(scenario, str) or not scenario.strip():
        problems.append(f"{cid}: scenario is empty")
        scenario = ""
    elif shingles(scenario) & old:
        problems.append(f"{cid}: scenario shares an {SHINGLE}-word run with "
                        + ("evals/cases.yaml or evals/situations.yaml" if train else "evals/cases.yaml"))
    tags = case.get("tags", [])
    if not isinstance(tags, list) or any(t not in TAGS for t in tags):
        problems.append(f"{cid}: tags must be a list drawn from {TAGS}")
    elif "terse" in tags and ROLE_WORDS.search(scenario):
        problems.append(f"{cid}: a terse case may not use the role word {ROLE_WORDS.search(scenario).group(0)!r}")
    in_scope = case.get("in_scope")
    if not isinstance(in_scope, bool):
        problems.append(f"{cid}: in_scope must be true or false")
        return
    allowed = KEYS_IN if in_scope else KEYS_OUT
    for key in sorted(set(case) - allowed):
        problems.append(f"{cid}: field {key!r} is not allowed on an {'in' if in_scope else 'out-of'}-scope case")
    if not in_scope:
        return
    if case.get("leaning") not in LEANINGS:
        problems.append(f"{cid}: leaning must be one of {LEANINGS}")
    if case.get("leaning_second_reader", "both") not in LEANINGS:
        problems.append(f"{cid}: leaning_second_reader must be one of {LEANINGS}")
    if case.get("vocabulary") not in VOCABULARIES:
        problems.append(f"{cid}: vocabulary must be one of {VOCABULARIES}")
    if not isinstance(case.get("industry"), str) or not case["industry"].strip():
        problems.append(f"{cid}: industry is missing")
    size = case.get("team_size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 10000):
        problems.append(f"{cid}: team_size must be a whole number of people (or left out)")
    check_strings(cid, "needs", case.get("needs"), 1, 4, problems)
    for phrase in check_strings(cid, "passages", case.get("passages"), 1, 3, problems):
        words = len(phrase.split())
        if not 5 <= words <= 15:
            problems.append(f"{cid}: passage {phrase[:40]!r} has {words} words (5-15)")
        if not any(phrase in line for line in lines):
            problems.append(f"{cid}: passage {phrase[:50]!r} is not an exact substring of one corpus line")
    text = squash(scenario)
    for fact in check_strings(cid, "facts", case.get("facts"), 2, 4, problems):
        if squash(fact) not in text:
            problems.append(f"{cid}: fact {fact!r} does not occur in the scenario")


def mismatch(case) -> bool:
    """Written in one role's words while the need belongs to the other role."""
    pair = (case.get("vocabulary"), case.get("leaning"))
    return pair in {("management", "leadership"), ("leadership", "management")}


def baselines(inside) -> str:
    """Rules that read nothing but a label: a lens is only informative if it clearly beats them."""
    n = max(len(inside), 1)
    lean = Counter(c.get("leaning") for c in inside)
    same = {"management": "management", "leadership": "leadership", "neutral": "both"}
    flip = {"management": "leadership", "leadership": "management", "neutral": "both"}
    follow = sum(same.get(c.get("vocabulary")) == c.get("leaning") for c in inside)
    invert = sum(flip.get(c.get("vocabulary")) == c.get("leaning") for c in inside)
    top = max(LEANINGS, key=lambda k: lean[k])
    return (f"always {top} {100 * lean[top] / n:.0f}%, leaning = vocabulary (neutral -> both) "
            f"{100 * follow / n:.0f}%, opposite of vocabulary (neutral -> both) {100 * invert / n:.0f}%")


def summarize(cases, problems, final: bool) -> list[str]:
    inside = [c for c in cases if isinstance(c, dict) and c.get("in_scope") is True]
    outside = [c for c in cases if isinstance(c, dict) and c.get("in_scope") is False]
    valid = [c for c in cases if isinstance(c, dict)]
    splits = Counter(c.get("split") for c in valid)
    lean = Counter(c.get("leaning") for c in inside)
    vocab = Counter(c.get("vocabulary") for c in inside)
    cross = Counter((c.get("vocabulary"), c.get("leaning")) for c in inside)
    mis = [c for c in inside if mismatch(c)]
    words = [len(str(c.get("scenario", "")).split()) for c in inside]
    industries = Counter(c.get("industry") for c in inside)
    terse = sum("terse" in (c.get("tags") or []) for c in inside)
    clumsy = sum("clumsy" in (c.get("tags") or []) for c in inside)
    sizes = [c["team_size"] for c in inside if isinstance(c.get("team_size"), int)]
    n_in = max(len(inside), 1)
    out = [
        f"situations: {len(valid)} ({len(inside)} in scope, {len(outside)} out of scope)",
        f"split: dev {splits['dev']}, test {splits['test']}"
        + "".join(f"; {s}: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(
            c.get('leaning') for c in inside if c.get('split') == s).items(), key=str))
            for s in SPLITS),
        "leaning: " + ", ".join(f"{k} {lean[k]}" for k in LEANINGS),
        "vocabulary: " + ", ".join(f"{k} {vocab[k]}" for k in VOCABULARIES),
        "vocabulary x leaning: " + ", ".join(f"{v}/{l} {cross[(v, l)]}" for v in VOCABULARIES for l in LEANINGS),
        f"mismatch (one role's words, the other role's need): {len(mis)} of {len(inside)} "
        f"({100 * len(mis) / n_in:.0f}%); dev {sum(c.get('split') == 'dev' for c in mis)}, "
        f"test {sum(c.get('split') == 'test' for c in mis)}",
        f"length: short (<= {SHORT_WORDS} words) {sum(w <= SHORT_WORDS for w in words)}, "
        f"long (>= {LONG_WORDS} words) {sum(w >= LONG_WORDS for w in words)}; tagged terse {terse}, clumsy {clumsy}",
        f"industries: {len(industries)}; team sizes: {min(sizes, default=0)}-{max(sizes, default=0)} "
        f"({len(sizes)} given)",
        "trivial baselines (leaning accuracy a lens must clearly beat): " + baselines(inside),
    ]
    if final:
        if len(valid) < 150:
            problems.append(f"set: {len(valid)} situations, the issue asks for at least 150")
        if len(mis) < 0.4 * len(inside):
            problems.append(f"set: {len(mis)} mismatches of {len(inside)} in scope, the issue asks for at least 40%")
        for k in LEANINGS:
            if not 0.25 <= lean[k] / n_in <= 0.42:
                problems.append(f"set: leaning {k} is {lean[k]} of {len(inside)}, outside the 25-42% balance band")
        if len(outside) < 8:
            problems.append(f"set: {len(outside)} out-of-scope items, want about 10")
        if terse < 12:
            problems.append(f"set: {terse} terse in-scope items, want about 15")
        if len(industries) < 15:
            problems.append(f"set: {len(industries)} industries, want at least 15")
        if not 0.35 <= splits["dev"] / max(len(valid), 1) <= 0.65:
            problems.append(f"set: dev is {splits['dev']} of {len(valid)}, far from half")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=ROOT / "evals" / "situations.yaml")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--cases", type=Path, default=ROOT / "evals" / "cases.yaml",
                        help="the older tuned-on set, which situations must not copy")
    parser.add_argument("--final", action="store_true", help="also require the issue's size and balance")
    parser.add_argument("--train", action="store_true",
                        help="a training-only file (evals/situations_train.yaml): split: train, and no copying "
                             "from evals/situations.yaml either")
    args = parser.parse_args(argv)
    import yaml
    try:
        data = yaml.safe_load(args.file.read_text(encoding="utf-8"))
        lines = corpus_lines(args.corpus)
        old = old_scenarios(args.cases)
        if args.train:
            old |= old_scenarios(ROOT / "evals" / "situations.yaml")
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        print(f"error: cannot read the situations: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    if not lines:
        print(f"error: no corpus articles in {args.corpus}", file=sys.stderr)
        return 2
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        print(f"error: {args.file} has no 'cases:' list", file=sys.stderr)
        return 2
    problems: list[str] = []
    for case in cases:
        check_case(case, lines, old, problems, args.train)
    ids = Counter(c.get("id") for c in cases if isinstance(c, dict))
    problems += [f"{i}: id used {n} times" for i, n in ids.items() if n > 1]
    for line in summarize(cases, problems, args.final):
        print(line)
    for line in problems:
        print(f"problem: {line}")
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
