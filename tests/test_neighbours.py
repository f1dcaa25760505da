"""Sources from the labelled situations most like this one (issue 12, coach/neighbours.py): each test
fails if that behaviour is lost."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def _loaded(ingested):
    """The labelled situations read and embedded once for this file's three trainings (34 s each on 2 cores)."""
    import os

    from training import need_train

    here = os.getcwd()
    os.chdir(ROOT)
    try:
        return need_train.load_items()
    finally:
        os.chdir(here)


@pytest.fixture
def need_items(_loaded):
    """A fresh copy of the items for each test: the trainings write each clause's p_leadership as they go."""
    import copy

    items, index = _loaded
    return copy.deepcopy(items), index


def _unit(v):
    return np.asarray(v, dtype="float32") / np.linalg.norm(v)


def test_a_situation_gets_what_its_nearest_labelled_situations_needed():
    from coach.models.neighbours import fuse, vote

    rng = np.random.RandomState(0)
    near, far = _unit(rng.randn(8)), _unit(rng.randn(8))
    tab = {"text": np.stack([near, far]), "needs": np.stack([near, far]),
           "wanted": [["passage c"], ["passage a", "passage b"]]}
    keys = ["passage a", "passage b", "passage c", "passage d"]
    votes = vote(near + 0.05 * _unit(rng.randn(8)), near, keys, tab)
    assert int(np.argmax(votes)) == 2, votes           # the near situation's passage, not the far one's
    assert votes[3] < min(votes[:3])                    # a passage nobody needed comes last
    # fused with a ranker that puts "passage c" last, the neighbours still bring it into the top two
    assert 2 in fuse(votes, [0, 1, 3, 2])[:2]
    assert vote(near, near, keys, {"text": np.zeros((0, 8)), "needs": np.zeros((0, 8)), "wanted": []}) is None


def test_a_passages_own_direct_model_lifts_it_in_the_fusion():
    """need_passages.json "direct": one model per passage answered by enough labelled situations."""
    from types import SimpleNamespace

    from coach.models.neighbours import fuse
    from coach.retrieval.sources import passage_direct_scores

    votes = [3.0, 2.0, 1.0, 0.0]
    ranker = [0, 1, 2, 3]
    assert fuse(votes, ranker)[:2] == [0, 1]
    # the direct models rate passage 3 highest, passage 2 next: both rise past passage 1
    assert fuse(votes, ranker, np.array([0.0, -1.0, 1.0, 2.0])) == [0, 2, 3, 1]
    reading = SimpleNamespace(problems=[SimpleNamespace(vec=_unit(np.ones(4)))], text="")
    model = {"direct": {"keys": ["passage b", "gone from the corpus"], "coef": np.array([[1.0] * 8, [2.0] * 8]),
                        "intercept": [0.5, 0.0]}}
    got = passage_direct_scores(_unit(np.ones(4)), reading, ["passage a", "passage b"], model)
    assert got[0] == -np.inf and abs(got[1] - (0.5 + 4.0)) < 1e-4, got   # 4 x 0.5 + 4 x 0.5 = 4
    assert passage_direct_scores(_unit(np.ones(4)), reading, ["passage a"], {}) is None


def test_the_packaged_table_holds_training_situations_only():
    import yaml

    from coach.models.neighbours import table
    from training.data import training_cases

    tab = table()
    assert tab is not None and len(tab["ids"]) == len(tab["wanted"]) == len(tab["text"]) == len(tab["needs"])
    test_ids = {c["id"] for c in yaml.safe_load(open(ROOT / "evals" / "situations.yaml", encoding="utf-8"))["cases"]
                if c.get("split") == "test"}
    assert not set(tab["ids"]) & test_ids
    allowed = training_cases(str(ROOT / "evals" / "situations.yaml"), str(ROOT / "evals" / "cases.yaml"),
                             str(ROOT / "evals" / "situations_train.yaml"))
    assert set(tab["ids"]) <= {c["id"] for c in allowed}
    # the training-only situations (evals/situations_train.yaml) are neighbours too
    assert {c["id"] for c in allowed if c["src"] == "train"} <= set(tab["ids"])
    assert len(tab["ids"]) >= 480


def test_neighbours_raise_out_of_fold_needed_passage_recall_and_lens(need_items, monkeypatch):
    """Grouped CV on the dev split (one seed): the neighbours' vote, fused with the ranker, must find a
    needed passage for clearly more held-out situations than the ranker alone (measured 0.77 vs 0.70)."""
    from training import need_train

    monkeypatch.chdir(ROOT)
    items, index = need_items
    got = need_train.cross_validate(items, index, seeds=(0,))
    assert got["n_dev"] >= 100
    assert got["recall"] >= got["recall_ranker_only"] + 0.05, got
    assert got["recall"] >= 0.7, got
    # and their leanings, fused with the case model, read held-out situations better than it alone
    # (measured 0.726 vs 0.670 over three seeds and on this one)
    assert got["lens"] >= got["lens_case_only"] + 0.03, got
    assert got["lens"] >= 0.68, got


def test_writer_groups_held_out_are_read_by_models_trained_on_the_others(need_items, monkeypatch):
    """The decision criterion of rounds 6 and 7 (``python -m training.need_train --groups``): each group
    of writers scored by models that never saw it, as a new manager's situation is. All twenty groups
    (round 14, 6 min on 2 cores): mean lens 0.859, needed passage 0.958, every group's lens >= 0.76 (round 8:
    0.903 / 0.959). Here every fourth group in sorted order, five trainings instead of twenty (the suite's
    longest test was this one, 344 s): dev, trd, trh, trl, trp measured mean lens 0.828 (dev, the hardest
    group, 0.764), needed passage 0.958. With round 5's models the groups' lens fell to 0.61-0.71."""
    from training import need_train

    monkeypatch.chdir(ROOT)
    items, index = need_items
    got = need_train.leave_group_out(items, index, every=4)
    assert set(got) == {"dev", "trd", "trh", "trl", "trp", "mean"}, got
    assert got["mean"]["lens"] >= 0.81 and got["mean"]["recall"] >= 0.925, got
    assert all(v["lens"] >= 0.75 and v["n"] >= 40 for g, v in got.items() if g != "mean"), got


def test_a_labelled_situation_is_not_its_own_neighbour():
    """The same text again must not vote its own labels (else `coach eval`'s dev recall reads 1.0)."""
    import numpy as np

    from coach.models.neighbours import unit, vote

    rng = np.random.default_rng(0)
    me, other = unit(rng.normal(size=8)), unit(rng.normal(size=8))
    tab = {"text": np.stack([me, other]).astype("float32"), "needs": np.stack([me, other]).astype("float32"),
           "wanted": [["mine"], ["theirs"]], "ids": ["me", "other"]}
    scores = vote(me, me, ["mine", "theirs"], tab)
    assert scores[1] > scores[0], scores  # only the other situation votes
    near = unit(me + 0.3 * other)  # a different but close text still counts its neighbour
    assert vote(near, near, ["mine", "theirs"], tab)[0] > 0.1


def test_the_leaning_is_fused_with_what_similar_labelled_situations_were():
    import numpy as np

    from coach.models.neighbours import leaning_vote, unit
    from coach.reading.situation import decide_case

    rng = np.random.default_rng(1)
    rows = [unit(rng.normal(size=8)) for _ in range(4)]
    tab = {"text": np.stack(rows), "needs": np.stack(rows), "wanted": [[]] * 4, "ids": list("abcd"),
           "leaning": ["management", "management", "leadership", "both"]}
    query = unit(rows[0] + rows[1] + 0.1 * rows[2])
    vote = leaning_vote(query, query, tab)
    assert vote is not None and max(vote, key=vote.get) == "management" and abs(sum(vote.values()) - 1) < 1e-6
    # a case model leaning mildly to leadership is overruled by a clear vote, and not without one
    model = {"case": (["both", "leadership", "management"], np.zeros((3, 8)), np.array([0.0, 0.3, 0.0]))}
    assert decide_case([0.6], [], 0.0, model)[0] == "leadership"
    assert decide_case([0.6], [], 0.0, model, vote={"management": 1.0})[0] == "management"
    assert leaning_vote(query, query, dict(tab, leaning=[])) is None  # an older table without leanings


def test_the_fitted_files_are_what_their_training_writes(need_items, tmp_path):
    """Training apart from the product (issue 30): ``python -m training.need_train --train`` writes the three
    fitted files the reading and retrieval load by package path, reproducibly. Retrained here into a folder of
    the test's own and compared with the shipped files: the same keys and texts, the same situations and
    labels, weights within 1e-3 (float summation order differs between machines; the files keep 5-6 decimals)."""
    import json

    import numpy as np

    from coach.models import neighbours
    from coach.reading import situation
    from coach.retrieval import sources
    from training import need_train

    items, index = need_items
    need_train.train(items, index, out=tmp_path)

    def leaves(x, path=""):
        if isinstance(x, dict):
            for k in sorted(x):
                yield from leaves(x[k], f"{path}.{k}")
        elif isinstance(x, list):
            for i, v in enumerate(x):
                yield from leaves(v, f"{path}[{i}]")
        else:
            yield path, x

    for shipped in (situation.MODEL_PATH, sources.PASSAGE_MODEL_PATH, neighbours.TABLE_PATH):
        fresh = dict(leaves(json.loads((tmp_path / shipped.name).read_text(encoding="utf-8"))))
        old = dict(leaves(json.loads(shipped.read_text(encoding="utf-8"))))
        assert fresh.keys() == old.keys(), shipped.name
        for key, value in old.items():
            if key in (".text", ".needs"):   # vectors packed as float16: compared unpacked below
                continue
            if isinstance(value, float):
                assert abs(fresh[key] - value) < 1e-3, (shipped.name, key, fresh[key], value)
            else:
                assert fresh[key] == value, (shipped.name, key)
    fresh_tab = json.loads((tmp_path / neighbours.TABLE_PATH.name).read_text(encoding="utf-8"))
    old_tab = json.loads(neighbours.TABLE_PATH.read_text(encoding="utf-8"))
    for part in ("text", "needs"):
        a = neighbours.unpack(fresh_tab[part], fresh_tab["dim"])
        b = neighbours.unpack(old_tab[part], old_tab["dim"])
        assert a.shape == b.shape and float(np.abs(a - b).max()) < 2e-3
