"""The held-out situation set (evals/situations.yaml) stays checkable: a label that drifts from the
corpus, a fact the manager never wrote or a hand-picked split would corrupt every number measured on it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / "evals" / "check_situations.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_situations_file_passes_the_validator_with_the_issue_requirements():
    done = run("--final")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 problem(s)" in done.stdout
    assert "mismatch (one role's words, the other role's need)" in done.stdout


def test_validator_reports_each_kind_of_broken_label(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "cases:\n"
        "  - id: broken-case\n"
        "    split: test\n"            # sha1('broken-case') decides; whichever is wrong is flagged below
        "    scenario: My people miss deadlines and nobody tracks the board.\n"
        "    leaning: managment\n"
        "    vocabulary: neutral\n"
        "    needs: [nobody tracks work]\n"
        "    passages: [\"Management is about getting results through spreadsheets.\", \"short one\"]\n"
        "    facts: [\"the board\", \"weekly stand-up\"]\n"
        "    industry: software\n"
        "    in_scope: true\n"
        "  - id: broken-case\n"
        "    split: dev\n"
        "    scenario: How long do I roast a chicken?\n"
        "    leaning: management\n"
        "    in_scope: false\n"
        "  - id: terse-with-role-word\n"
        "    split: dev\n"
        "    scenario: My team ignores the rota.\n"
        "    tags: [terse]\n"
        "    in_scope: false\n",
        encoding="utf-8")
    done = run("--file", str(bad))
    assert done.returncode == 1
    out = done.stdout
    assert "leaning must be one of" in out
    assert "is not an exact substring of one corpus line" in out
    assert "has 2 words (5-15)" in out
    assert "fact 'weekly stand-up' does not occur in the scenario" in out
    assert "field 'leaning' is not allowed on an out-of-scope case" in out
    assert "broken-case: id used 2 times" in out
    assert "but the hash rule says" in out
    assert "terse-with-role-word: a terse case may not use the role word 'team'" in out


def test_validator_rejects_a_copied_situation(tmp_path):
    copied = tmp_path / "copied.yaml"
    old = tmp_path / "old.yaml"
    old.write_text("cases:\n  - scenario: We have missed three sprint deadlines in a row and nobody knows where tickets stand.\n",
                   encoding="utf-8")
    copied.write_text(
        "cases:\n  - id: copy\n    split: dev\n"
        "    scenario: Honestly we have missed three sprint deadlines in a row and nobody knows where tickets stand.\n"
        "    in_scope: false\n", encoding="utf-8")
    done = run("--file", str(copied), "--cases", str(old))
    assert done.returncode == 1
    assert "shares an 8-word run with evals/cases.yaml" in done.stdout


def test_unreadable_file_is_one_line_and_exit_2(tmp_path):
    done = run("--file", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot read the situations" in done.stderr


def test_training_only_file_passes_the_validator_and_copies_no_scored_situation():
    done = run("--train", "--file", str(ROOT / "evals" / "situations_train.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 problem(s)" in done.stdout


def test_training_cases_take_dev_and_training_only_never_test(tmp_path):
    import yaml

    from training.data import training_cases

    got = training_cases(str(ROOT / "evals" / "situations.yaml"), str(ROOT / "evals" / "cases.yaml"),
                         str(ROOT / "evals" / "situations_train.yaml"))
    src = {c["id"]: c["src"] for c in got}
    scored = yaml.safe_load((ROOT / "evals" / "situations.yaml").read_text(encoding="utf-8"))["cases"]
    assert not {c["id"] for c in scored if c.get("split") == "test"} & set(src)
    assert {c["id"] for c in scored if c.get("split") == "dev" and c.get("in_scope", True)} <= set(src)
    train = yaml.safe_load((ROOT / "evals" / "situations_train.yaml").read_text(encoding="utf-8"))["cases"]
    assert len(train) >= 100 and all(src.get(c["id"]) == "train" for c in train)
    # a case in the training file that claims another split is not taken
    bad = tmp_path / "t.yaml"
    bad.write_text(yaml.safe_dump({"cases": [dict(train[0], id="x-claims-test", split="test")]}), encoding="utf-8")
    assert "x-claims-test" not in {c["id"] for c in training_cases(str(ROOT / "evals" / "situations.yaml"),
                                                                    str(ROOT / "evals" / "cases.yaml"), str(bad))}


def test_every_labelled_situation_has_a_blind_second_reading_and_training_can_keep_the_agreed():
    """Issue 32, item 3: each labelled situation was read again, blind, by a reader who did not write it; the
    readers' agreement is reported by `coach eval`, and ``training_cases(agreed=True)`` (need_train --agreed)
    leaves out exactly the situations they read differently."""
    import yaml

    from training.data import training_cases

    files = [ROOT / "evals" / "situations.yaml", ROOT / "evals" / "situations_train.yaml"]
    labelled = [c for f in files for c in yaml.safe_load(f.read_text(encoding="utf-8"))["cases"] if c.get("leaning")]
    assert labelled and all(c.get("leaning_second_reader") in ("management", "leadership", "both") for c in labelled)
    differ = {c["id"] for c in labelled if c["leaning_second_reader"] != c["leaning"] and c.get("split") != "test"}
    every = {c["id"] for c in training_cases(*map(str, (files[0], ROOT / "evals" / "cases.yaml", files[1])))}
    agreed = {c["id"] for c in training_cases(*map(str, (files[0], ROOT / "evals" / "cases.yaml", files[1])),
                                              agreed=True)}
    assert differ and differ <= every and agreed == every - differ
    assert len(differ) < 0.05 * len(every)  # two readers agree on the great majority


def test_training_only_cases_teach_the_lens_too():
    """Held out one writer group at a time, the lens of five of six groups rose when the 3-class case
    model learned from every group, not from dev alone (mean 0.68 -> 0.78). Training-only situations
    labelled ``both`` must therefore give the case model its ``both`` class even when no scored
    situation has it."""
    import numpy as np

    from training.need_train import Item, fit_models, split_training
    from coach.common.seams import Clause

    rng = np.random.default_rng(0)
    mgmt, lead = rng.normal(size=384), rng.normal(size=384)

    def item(n, src, leaning):
        side = {"management": mgmt, "leadership": lead, "both": mgmt + lead}[leaning]
        vecs = [(side + rng.normal(size=384)).astype("float32") for _ in range(2)]
        cs = [Clause(f"clause {j}", True, j, vec=v) for j, v in enumerate(vecs)]
        return Item({"id": f"{src}-{n}", "src": src, "leaning": leaning, "scenario": f"{leaning} case {n}"}, vecs[0],
                    cs, [], 0.0)

    scored = [item(n, "dev", ("management", "leadership")[n % 2]) for n in range(16)]
    more = [item(n, "train", "both") for n in range(8)]
    lens, extra = split_training(scored + more)
    assert lens == scored and extra == more
    m, F = fit_models(lens, extra, 0)
    assert m["case"][0] == ["both", "leadership", "management"] and len(F) == 24


def test_each_training_situation_names_its_writer_group():
    from training.need_train import writer_group
    from training.data import training_cases

    got = training_cases(str(ROOT / "evals" / "situations.yaml"), str(ROOT / "evals" / "cases.yaml"),
                         str(ROOT / "evals" / "situations_train.yaml"))
    groups = {writer_group(c) for c in got}
    assert groups == {"dev", "old", "tra", "trb", "trc", "trd", "tre", "trf", "trg", "trh", "tri", "trj", "trk", "trl", "trm", "trn", "tro", "trp", "trq", "trr", "trs"}, groups
    assert writer_group({"id": "trc-nursery-forest", "src": "train"}) == "trc"
    assert writer_group({"id": "tra-x", "src": "dev"}) == "dev"
