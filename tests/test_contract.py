"""The Feedback JSON contract (issue 15): the checked-in schema matches the code, and the real output of
every front end (CLI, batch, page download, journal) validates against it. Also the seams that keep the
structure honest: no feedback -> render import, one provider table, one k bound, one offline list, and
an engine registry that agrees with the pipeline about what leaves the machine."""
from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from coach import config
from coach.feedback import SCHEMA_PATH, Feedback, json_schema, schema_text

ROOT = Path(__file__).resolve().parent.parent
SITUATION = ("My team hits every deadline I set, but nobody suggests anything new and two good people "
             "told me they feel like cogs. How do I lead them?")


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid(validator, data: dict) -> None:
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


# -- the schema file ----------------------------------------------------------------------------------
def test_checked_in_schema_is_current():
    """Fails when a Feedback field changed and `python -m coach.feedback --schema` was not run."""
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), \
        "coach/feedback.schema.json is stale: run python -m coach.feedback --schema"


def test_schema_command_check_and_rewrite(tmp_path, monkeypatch):
    from coach import feedback

    r = subprocess.run([sys.executable, "-m", "coach.feedback", "--check"], capture_output=True, text=True,
                       cwd=str(ROOT), timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    stale = tmp_path / "feedback.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(feedback, "SCHEMA_PATH", stale)
    assert feedback.main(["--check"]) == 1
    assert feedback.main(["--schema"]) == 0
    assert stale.read_text(encoding="utf-8") == schema_text()


def test_schema_rejects_what_the_contract_forbids(validator):
    good = Feedback(scenario="s", model="extractive", answer_markdown="a").to_dict()
    assert_valid(validator, good)
    for broken in ({k: v for k, v in good.items() if k != "answer_markdown"},
                   {**good, "in_scope": "yes"},
                   {**good, "checks": {**good["checks"], "unverified_quotes": [{"speaker": "X"}]}},  # no text
                   {**good, "checks": {**good["checks"], "unsupported_sentences": [{"text": "t", "score": "high"}]}},
                   {**good, "sources": [{"id": "S1"}]}):
        assert list(validator.iter_errors(broken)), broken


def test_flags_are_typed_in_the_schema():
    defs = json_schema()["$defs"]
    checks = defs["Checks"]["properties"]
    assert checks["unverified_quotes"]["items"] == {"$ref": "#/$defs/UnverifiedQuote"}
    assert checks["unsupported_sentences"]["items"] == {"$ref": "#/$defs/UnsupportedSentence"}
    assert checks["invented_facts"]["items"] == {"$ref": "#/$defs/InventedFact"}
    assert defs["UnsupportedSentence"]["required"] == ["text"]
    assert set(defs["UnsupportedSentence"]["properties"]) == {"text", "score", "cites", "reason", "start", "end"}


# -- every front end's real output ---------------------------------------------------------------------
def test_cli_reflect_json_validates(validator, ingested, coach_cli, tmp_path):
    r = coach_cli("reflect", "--json", "--no-save", SITUATION)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["model"] == "extractive" and out["sources"]
    assert_valid(validator, out)


def test_cli_reflect_json_with_flags_validates(validator, ingested, coach_cli, fake_openai):
    """A lying model fills the flag lists, so their item schemas are exercised, not just empty lists."""
    fake_openai.mode = "liar"
    r = coach_cli("reflect", "--json", "--no-save", "--model", "openai/fake-model", "--api-base", fake_openai.url,
                  SITUATION)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["checks"]["unverified_quotes"] and out["checks"]["invalid_citations"]
    assert_valid(validator, out)


def test_batch_results_feedback_validates(validator, ingested, tmp_path, capsys):
    from coach.cli import main

    src = tmp_path / "cases.jsonl"
    src.write_text(json.dumps({"id": "a", "scenario": SITUATION}) + "\n"
                   + json.dumps({"id": "b", "scenario": "What is the best recipe for sourdough bread?"}) + "\n",
                   encoding="utf-8")
    out = tmp_path / "run"
    assert main(["batch", str(src), "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    recs = [json.loads(x) for x in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in recs] == ["a", "b"]
    assert {r["feedback"]["in_scope"] for r in recs} == {True, False}
    for rec in recs:
        assert_valid(validator, rec["feedback"])


def test_page_json_download_validates(validator, ingested, monkeypatch):
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from test_app import new_app, reflect

    saved: list[tuple[str, bytes]] = []
    real = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, (bytes, str)) and filename:
            data = path_or_data if isinstance(path_or_data, bytes) else path_or_data.encode()
            saved.append((filename, data))
        return real(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    at = reflect(new_app(), SITUATION)
    downloads = [json.loads(data) for name, data in saved if name.endswith(".json")]
    assert downloads, [name for name, _ in saved]
    assert downloads[-1]["scenario"] == SITUATION
    assert_valid(validator, downloads[-1])
    assert at.session_state["history"][-1]["feedback"].to_dict()["answer_markdown"] == downloads[-1]["answer_markdown"]


def test_journal_show_json_turns_validate(validator, ingested, coach_cli, tmp_path):
    home = tmp_path / "data"
    home.mkdir()
    (home / "chroma").symlink_to(Path(config.data_dir()).resolve() / "chroma", target_is_directory=True)
    env = {"COACH_DATA_DIR": str(home)}
    assert coach_cli("reflect", "--json", SITUATION, env=env).returncode == 0
    r = coach_cli("reflect", "--json", "--follow-up", "1", "They said the deadlines leave no room to try things.",
                  env=env)
    assert r.returncode == 0, r.stderr
    r = coach_cli("journal", "show", "--json", "1", env=env)
    assert r.returncode == 0, r.stderr
    turns = json.loads(r.stdout)["turns"]
    assert len(turns) == 2
    for turn in turns:
        assert_valid(validator, turn["feedback"])


# -- the structural seams ------------------------------------------------------------------------------
def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_feedback_never_imports_render():
    """render depends on feedback, never the reverse (not even lazily)."""
    assert not any("render" in n or "reports" in n for n in _imports(ROOT / "coach" / "feedback.py"))
    assert "..feedback" in _imports(ROOT / "coach" / "reports" / "answer.py")


def test_one_provider_table():
    from coach.commands import models
    from coach.engines import llm, providers

    assert llm.KEY_VARIABLES is providers.KEY_VARIABLES
    assert models.PROVIDERS is providers.PROVIDERS
    listed = {r.name: r.env for r in models.engines() if r.kind == "provider"}
    for p in providers.PROVIDERS:
        if p.example:
            assert listed[p.example] == list(p.keys)
            assert llm.KEY_VARIABLES[p.prefix] == p.keys[0]
    for path in (ROOT / "coach").rglob("*.py"):
        if path.name != "providers.py":
            assert "ANTHROPIC_API_KEY" not in path.read_text(encoding="utf-8"), path


def test_coach_variables_read_only_in_config():
    """Every COACH_* read goes through coach/config.py (its docstring lists them); the local child's
    test hook is the one exception (that process must not import the package)."""
    read = re.compile(r"(?:environ\.get|getenv|environ\[)\(?\s*[\"'](COACH_[A-Z_]+)")
    documented = set(re.findall(r"\| (COACH_[A-Z_]+) \|", config.__doc__ or ""))
    outside: dict[str, list[str]] = {}
    for path in (ROOT / "coach").rglob("*.py"):
        names = read.findall(path.read_text(encoding="utf-8"))
        if path.name == "config.py":
            assert set(names) <= documented, set(names) - documented
        elif names:
            outside[str(path.relative_to(ROOT))] = names
    outside.pop("coach/engines/local/worker.py", None)  # COACH_LOCAL_FAULT, read by the child itself
    # coach/embed.py still reads COACH_EMBED_BACKEND (another engineer's file; config.embed_backend() exists)
    assert set(outside) <= {"coach/embed.py"}, outside
    assert "COACH_LOCAL_FAULT" in documented


def test_offline_settings_written_once(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))  # benchmarks/ is a folder of the clone, not of the package
    import benchmarks.common

    assert benchmarks.common.OFFLINE_ENV is config.OFFLINE_ENV
    env = {"HF_HUB_OFFLINE": "0"}
    config.setup_offline_env(env=env)
    assert env["HF_HUB_OFFLINE"] == "0" and env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"  # a user's value wins
    config.setup_offline_env(force=True, env=env)
    assert env == config.OFFLINE_ENV
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    for key, value in re.findall(r"^export (\w+) := (\S+)", make, re.M):
        if key in config.OFFLINE_ENV:
            assert config.OFFLINE_ENV[key] == value, key


@pytest.mark.parametrize("argv", [["reflect", "--no-save", "-k", "0", "x"], ["search", "-k", "0", "x"],
                                  ["batch", "in.jsonl", "--out", "o", "-k", "0"]])
def test_k_bound_is_one_constant(argv, capsys, tmp_path, monkeypatch):
    from coach.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "a", "scenario": SITUATION}) + "\n", encoding="utf-8")
    for k in ("0", str(config.MAX_K + 1)):
        argv = [k if (i and argv[i - 1] == "-k") else a for i, a in enumerate(argv)]
        assert main(argv) == 2
        assert f"-k must be between 1 and {config.MAX_K}" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_page_slider_uses_max_k():
    src = (ROOT / "coach" / "web" / "app.py").read_text(encoding="utf-8")
    assert "max_value=config.MAX_K" in src


@pytest.mark.parametrize("model, api_base", [
    ("extractive", None), ("local/smollm2", None), ("openai/x", None), ("ollama/x", None),
    ("openai/x", "http://127.0.0.1:9/v1"), ("anthropic/claude", None), ("", None), ("LOCAL/smollm2", None)])
def test_engine_registry_is_the_one_answer_to_which_engine_is_what(model, api_base):
    """One definition of "remote" (issue 30): the registry's. Built-in and local/ engines keep the text here."""
    from coach.engines import get_engine

    engine = get_engine(model, api_base=api_base)
    assert engine.is_remote == (model.lower() not in ("extractive", "", "local/smollm2"))
    expected_key = {"openai/x": None if api_base else "OPENAI_API_KEY", "anthropic/claude": "ANTHROPIC_API_KEY"}
    assert engine.key_env_var == expected_key.get(model)
    assert engine.needs_key == (engine.key_env_var is not None)
    assert engine.is_builtin == (model in ("extractive", ""))


def test_engine_registry_composes(ingested, fake_openai):
    from coach.engines import EngineOptions, Request, get_engine
    from coach.feedback import Lens, Source

    from coach.reading import read

    req = Request("My team misses deadlines.", [Source("S1", "d", "T", None, "Plan the work and check it.", 0.9)],
                  Lens(), reading=read("My team misses deadlines."))
    builtin = get_engine("extractive").compose(req)
    assert builtin.model == "extractive" and builtin.text
    fake_openai.mode = "grounded"
    drafted = get_engine("openai/fake-model").compose(req, EngineOptions(api_base=fake_openai.url, timeout=10))
    assert drafted.text and fake_openai.count == 1
