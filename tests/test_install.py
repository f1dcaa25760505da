"""Installing the coach (issue 18): what `make run` and `make test` install and when they skip pip,
where an installed coach finds its corpus, the progress a first ingest shows, and a real
non-editable install: a wheel built from a copy of this tree, installed into a fresh venv (no
system site-packages, so a dependency missing from pyproject.toml fails here), then `coach ingest`,
`coach reflect` and `coach app` run from a folder that is not the clone."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from procs import stop

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")


# --------------------------------------------------------------------------------------------------
# the Makefile's stamps (make -n prints what make would run, without running it)
# --------------------------------------------------------------------------------------------------
@pytest.fixture
def make_dir(tmp_path):
    """The Makefile and pyproject.toml alone, with a venv whose python exists (make's own logic, no pip run)."""
    assert MAKE, "make is needed to build the coach"
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(sys.executable)
    return tmp_path


def dry(make_dir: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PORT")}
    r = subprocess.run([MAKE, "-n", *args], cwd=str(make_dir), capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def stamp(make_dir: Path, name: str, age_s: float = 0) -> None:
    p = make_dir / ".venv" / name
    p.touch()
    later = (make_dir / "pyproject.toml").stat().st_mtime + 10 - age_s
    os.utime(p, (later, later))


def test_make_run_installs_the_runtime_set_only(make_dir):
    out = dry(make_dir, "run")
    installs = [line for line in out.splitlines() if "pip install" in line]
    assert len(installs) == 1 and "-e '.'" in installs[0], installs
    assert "dev" not in installs[0] and "local" not in installs[0]
    assert "install-local.sh" not in out
    assert "about" in out and "minutes the first time" in out  # the person waiting is told how long


def test_a_second_make_run_does_no_pip_work(make_dir):
    stamp(make_dir, ".installed-runtime")
    out = dry(make_dir, "run")
    assert "pip" not in out and "venv" not in out.replace(".venv/bin/coach", "")
    assert out.splitlines() == [".venv/bin/coach ingest", ".venv/bin/coach app --port 8501"]


def test_a_changed_pyproject_reinstalls(make_dir):
    stamp(make_dir, ".installed-runtime", age_s=20)  # older than pyproject.toml
    assert "pip install" in dry(make_dir, "run")


def test_make_run_honours_port(make_dir):
    stamp(make_dir, ".installed-runtime")
    assert dry(make_dir, "run", "PORT=9137").splitlines()[-1] == ".venv/bin/coach app --port 9137"


def test_make_test_installs_dev_tools_and_the_local_model_script(make_dir):
    out = dry(make_dir, "test")
    installs = [line for line in out.splitlines() if "pip install" in line]
    assert any("-e '.[dev]'" in line for line in installs), installs
    assert not any("local" in line for line in installs), "llama-cpp-python must come from the lead's script"
    assert "bash scripts/install-local.sh .venv/bin/python" in out
    # the test set sits on top of the runtime set: one shared install step, two stamps
    stamp(make_dir, ".installed-runtime")
    stamp(make_dir, ".installed-dev")
    assert "pip" not in dry(make_dir, "test")
    assert "pip" not in dry(make_dir, "run")


def test_make_test_fetches_axe_core_once_then_runs_offline(make_dir):
    """axe-core (the accessibility checker of tests/test_browser.py) comes from the npm registry at the
    version the lock file pins, into a gitignored folder; once it is there, `make test` fetches nothing."""
    (make_dir / "tests" / "tooling").mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(ROOT / "tests" / "tooling" / name, make_dir / "tests" / "tooling" / name)
    stamp(make_dir, ".installed-runtime")
    stamp(make_dir, ".installed-dev")
    assert "cd tests/tooling && npm ci" in dry(make_dir, "test")
    axe = make_dir / "tests" / "tooling" / "node_modules" / "axe-core" / "axe.min.js"
    axe.parent.mkdir(parents=True)
    axe.write_text("/* axe */")
    assert "npm" not in dry(make_dir, "test")
    assert "tests/tooling/node_modules/" in (ROOT / ".gitignore").read_text().splitlines()
    lock = json.loads((ROOT / "tests" / "tooling" / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/axe-core"]["version"].startswith("4.")
    assert lock["packages"]["node_modules/axe-core"]["integrity"].startswith("sha512-")


# --------------------------------------------------------------------------------------------------
# where the corpus and the evals are found
# --------------------------------------------------------------------------------------------------
def test_corpus_env_wins_and_is_made_absolute(monkeypatch, tmp_path):
    from coach import config

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COACH_CORPUS_DIR", "mine")
    assert config.corpus_dir() == tmp_path / "mine"


def test_a_random_folder_named_corpus_is_not_used(monkeypatch, tmp_path):
    from coach import config

    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "notes.md").write_text("# someone else's notes\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COACH_CORPUS_DIR", raising=False)
    assert config.corpus_dir() == ROOT / "corpus"  # the checkout this code runs from
    assert config.evals_dir() == ROOT / "evals"


def test_an_installed_package_uses_its_packaged_copy(monkeypatch, tmp_path):
    from coach import config

    monkeypatch.delenv("COACH_CORPUS_DIR", raising=False)
    monkeypatch.setattr(config, "PACKAGE_ROOT", tmp_path)  # site-packages: no pyproject.toml beside coach/
    here = Path(config.__file__).resolve().parent
    assert config.corpus_dir() == here / "_corpus"
    assert config.evals_dir() == here / "_evals"


def test_coach_app_keeps_relative_folders_meaning_the_callers(monkeypatch, tmp_path):
    """`coach app` runs the page in the package's folder: a relative COACH_CORPUS_DIR must survive that."""
    from coach.commands import app

    seen = {}

    def fake_exec(path, argv, env):  # the one thing not run for real: it would replace the test process
        seen.update(env=env, argv=argv, cwd=os.getcwd())
        raise SystemExit(0)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COACH_CORPUS_DIR", "c")
    monkeypatch.setenv("COACH_DATA_DIR", "d")
    monkeypatch.setattr(os, "execve", fake_exec)
    with pytest.raises(SystemExit):
        app.cmd_app(type("A", (), {"port": 8600})())
    os.chdir(tmp_path)
    assert seen["env"]["COACH_CORPUS_DIR"] == str(tmp_path / "c")
    assert seen["env"]["COACH_DATA_DIR"] == str(tmp_path / "d")
    pairs = dict(zip(seen["argv"][5::2], seen["argv"][6::2]))
    assert pairs["--server.port"] == "8600" and pairs["--server.address"] == "127.0.0.1"
    assert pairs["--server.fileWatcherType"] == "none"


# --------------------------------------------------------------------------------------------------
# the first ingest's progress
# --------------------------------------------------------------------------------------------------
class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_over_passages():
    from coach.commands.progress import passage_progress

    out = Terminal()
    with passage_progress(out) as cb:
        cb(0, 40)
        cb(16, 40)
        cb(40, 40)
    text = out.getvalue()
    assert "40/40" in text and "passages" in text and "━" in text


def test_a_pipe_gets_plain_lines():
    from coach.commands.progress import passage_progress

    out = io.StringIO()
    with passage_progress(out) as cb:
        cb(0, 40)
        cb(16, 40)  # within PLAIN_EVERY_S of the first line: not printed
        cb(40, 40)
    assert out.getvalue().splitlines() == ["coach: loading the embedding model… then embedding 40 passages",
                                           "coach: embedded 40/40 passages"]
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_progress_chunking_leaves_the_unwatched_ingest_alone():
    from coach.corpus.ingest import _chunk_size, CHUNK

    assert _chunk_size(5000, None) == CHUNK  # no reader: the fast chunking is unchanged
    assert _chunk_size(46, print) == 8 and _chunk_size(5000, print) == 250
    assert _chunk_size(10**6, print) == CHUNK


# --------------------------------------------------------------------------------------------------
# a real non-editable install, used from another folder
# --------------------------------------------------------------------------------------------------
def _package_files() -> list[Path]:
    """What an installed coach needs: every file of coach/, the corpus and the eval suites (relative to ROOT)."""
    files = []
    for top in ("coach", "corpus", "evals"):
        for f in (ROOT / top).rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                files.append(f.relative_to(ROOT))
    return sorted(files)


def _wheel_name(rel: Path) -> str:
    mapped = {"corpus": "coach/_corpus", "evals": "coach/_evals"}
    return "/".join([mapped.get(rel.parts[0], rel.parts[0]), *rel.parts[1:]])


def test_every_file_of_the_package_is_declared():
    """Fast, before any wheel is built: a new data file or subpackage must be listed in pyproject.toml,
    or `pip install .` ships a coach that fails at run time (a fitted model file went missing once)."""
    import fnmatch
    import tomllib

    st = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages, data, dirs = set(st["packages"]), st.get("package-data", {}), st.get("package-dir", {})
    where = {pkg: (ROOT / d) for pkg, d in dirs.items()}
    where.update({pkg: ROOT.joinpath(*pkg.split(".")) for pkg in packages if pkg not in where})
    undeclared = []
    for rel in _package_files():
        path = ROOT / rel
        if rel.suffix == ".py":  # a module: its own folder must be a declared package
            pkg = next((p for p, d in where.items() if d == path.parent), ".".join(rel.parent.parts))
            if pkg not in packages:
                undeclared.append(f"{rel} (package {pkg} is not in [tool.setuptools] packages)")
            continue
        # a data file: a pattern of the nearest declared package above it must match its path from there
        owners = sorted(((p, d) for p, d in where.items() if d in path.parents), key=lambda pd: -len(pd[1].parts))
        if not owners:
            undeclared.append(f"{rel} (no declared package holds it)")
            continue
        pkg, base = owners[0]
        inside = path.relative_to(base).as_posix()
        if not any(fnmatch.fnmatch(inside, g) for g in data.get(pkg, [])):
            undeclared.append(f"{rel} (no package-data pattern of {pkg} matches {inside})")
    assert not undeclared, undeclared


def _base_python() -> str:
    return shutil.which("python3") or getattr(sys, "_base_executable", sys.executable)


def _clean_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("COACH_") and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["COACH_DATA_DIR"] = str(data)
    return env


def _run(argv, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in argv], cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, f"{argv[:3]} exited {r.returncode}:\n{r.stderr[-3000:]}"
    return r


def _expected_passages() -> tuple[int, set[str]]:
    from coach.corpus.documents import load_corpus
    from coach.corpus.passages import split_document

    docs, errors = load_corpus(ROOT / "corpus")
    assert not errors
    return sum(len(split_document(d)) for d in docs), {d.id for d in docs}


@pytest.mark.timeout(2400)
def test_a_wheel_installs_and_runs_from_another_folder(tmp_path):
    t_start = time.perf_counter()
    src = tmp_path / "src"  # a copy: building in the shared tree would write build/ beside other work
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("coach", "corpus", "evals"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = _clean_env(tmp_path / "data")
    venv = tmp_path / "venv"
    # the venv is made while the wheel builds; no --system-site-packages: nothing is borrowed
    making = subprocess.Popen([_base_python(), "-m", "venv", str(venv)], cwd=str(tmp_path), env=env)
    _run([sys.executable, "-m", "pip", "wheel", "-qq", "--no-deps", "-w", tmp_path / "dist", src], tmp_path, env)
    assert making.wait(timeout=300) == 0
    wheels = list((tmp_path / "dist").glob("coach-*.whl"))
    assert len(wheels) == 1
    import zipfile

    shipped = set(zipfile.ZipFile(wheels[0]).namelist())
    missing = [f for f in _package_files() if _wheel_name(f) not in shipped]
    assert not missing, f"files of the source tree missing from the wheel: {missing}"
    # the same pip cache as every install here; --no-compile: modules compile when first imported
    _run([venv / "bin" / "python", "-m", "pip", "install", "-qq", "--no-compile", wheels[0]], tmp_path, env,
         timeout=1800)
    t_installed = time.perf_counter()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(src)  # nothing may lean on the source tree
    probe = _run([venv / "bin" / "python", "-c",
                  "import coach, coach.config as c, coach.evals as e, coach.commands.app as a;"
                  "print(coach.__file__); print(c.corpus_dir()); print(e.find_eval_file('cases')); print(a.app_path())"],
                 elsewhere, env).stdout.splitlines()
    site = str(venv / "lib")
    assert all(line.startswith(site) for line in probe), probe
    assert Path(probe[1]).name == "_corpus" and Path(probe[2]).name == "cases.yaml" and Path(probe[3]).is_file()
    override = _run([venv / "bin" / "python", "-c", "import coach.config as c; print(c.corpus_dir())"], elsewhere,
                    dict(env, COACH_CORPUS_DIR="my-corpus")).stdout.strip()
    assert override == str(elsewhere / "my-corpus")

    n, doc_ids = _expected_passages()
    ing = _run([venv / "bin" / "coach", "ingest"], elsewhere, env)
    assert ing.stdout.startswith(f"{n} added, 0 updated, 0 removed, 0 unchanged"), ing.stdout
    assert "loading the embedding model" in ing.stderr and f"embedded {n}/{n} passages" in ing.stderr
    again = json.loads(_run([venv / "bin" / "coach", "ingest", "--json"], elsewhere, env).stdout)
    assert again == {"added": 0, "updated": 0, "removed": 0, "unchanged": n}

    fb = json.loads(_run([venv / "bin" / "coach", "reflect", "--json",
                          "My team hits every deadline but nobody knows why the work matters."], elsewhere, env).stdout)
    assert fb["sources"] and {s["doc_id"] for s in fb["sources"]} <= doc_ids
    assert fb["answer_markdown"].strip()

    port = _free_port()
    app = subprocess.Popen([str(venv / "bin" / "coach"), "app", "--port", str(port)], cwd=str(elsewhere), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not _healthy(port):
            assert app.poll() is None, f"coach app exited {app.returncode}: {app.stdout.read()[-2000:]}"
            assert time.monotonic() < deadline, "the page never answered its health check"
            time.sleep(0.25)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.status == 200 and b"<html" in r.read().lower()
    finally:
        stop(app, timeout=20)
    print(f"\nwheel test: install {t_installed - t_start:.0f} s, total {time.perf_counter() - t_start:.0f} s")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


def test_the_first_visit_sees_a_loading_message_not_a_blank_page(tmp_path):
    """A fresh server with an empty store, in Debian's Chromium: the loading message is on screen
    while the model and the store load, and the page becomes usable after it."""
    from playwright.sync_api import sync_playwright

    chromium = "/usr/bin/chromium"
    assert Path(chromium).exists(), f"{chromium} is missing: run `make chromium`"
    port = _free_port()
    env = dict(os.environ, COACH_DATA_DIR=str(tmp_path / "data"))
    app = subprocess.Popen([sys.executable, "-m", "coach.cli", "app", "--port", str(port)], cwd=str(tmp_path),
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not _healthy(port):
            assert app.poll() is None and time.monotonic() < deadline, "the page never answered its health check"
            time.sleep(0.25)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"])
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_text("Loading the embedding model", exact=False).wait_for(timeout=60_000)
                page.get_by_text("What is happening?").wait_for(timeout=300_000)
                assert page.get_by_text("Loading the embedding model", exact=False).count() == 0
            finally:
                browser.close()
    finally:
        stop(app, timeout=20)
