"""The package's shape, checked: no import circle, stages imported only downward, no module over 400 lines,
no private name imported across modules, no training code in the product, every tunable with its provenance,
and the walk of a scenario through ``reflect`` entering each stage once, in order.

Why a test: circles crept back in (lens <-> situation, pipeline <-> retrieve, evals <-> its report)
each time someone reached one floor up "just for a type" or "just inside a function". So every
import counts here: module level, inside functions, and under ``TYPE_CHECKING``; a circle that only
the type checker sees still ties two modules together for whoever reads or moves them.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "coach"
TRAINING = ROOT / "training"
MAX_LINES = 400
# The stages in the order data flows (../shared/DESIGN.md), then what stands on them. A module may import
# its own stage and the ones before it, never one after it. The base holds what every stage shares (the
# contract and the seams' types, the settings, text helpers, the embedding model); the corpus is the data
# and the models the fitted files every stage reads. The walk of a turn goes reading -> checks.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("coach", "coach.config", "coach.errors", "coach.feedback", "coach.common", "coach.embedding")),
    ("corpus", ("coach.corpus",)),
    ("models", ("coach.models",)),   # the fitted models and the features they read: shared by reading and retrieval
    ("reading", ("coach.reading",)),
    ("retrieval", ("coach.retrieval",)),
    ("plan", ("coach.plan",)),
    ("engines", ("coach.engines",)),
    ("checks", ("coach.checks",)),
    ("turn", ("coach.pipeline", "coach.turn", "coach.journal")),
    ("front ends", ("coach.reports", "coach.batch", "coach.evals", "coach.web", "coach.commands", "coach.cli")),
)


def stage_of(module: str) -> int:
    """The index in STAGES of the longest prefix that names ``module``'s stage."""
    best, at = -1, -1
    for i, (_name, prefixes) in enumerate(STAGES):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, at = len(p), i
    assert at >= 0, f"{module} is in no stage: add it to STAGES"
    return at


def modules(roots: tuple[Path, ...] | None = None) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package's ``__init__``), for every module of the package."""
    out = {}
    for path in sorted(p for root in (roots or (PACKAGE,)) for p in root.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def _absolute(module: str | None, current: str, is_pkg: bool, level: int) -> str:
    if level == 0:
        return module or ""
    base = current.split(".") if is_pkg else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def import_graph() -> dict[str, set[str]]:
    """Module -> the coach modules it imports, anywhere in its source.

    ``from pkg import name`` is an edge to ``pkg.name`` when that is a module (``from . import client``
    imports the submodule), else to ``pkg`` itself (a name its ``__init__`` defines or re-exports)."""
    mods = modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, (path, is_pkg) in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node.module, name, is_pkg, node.level)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            graph[name].update(t for t in targets if t in mods and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circle_among_coach_modules():
    graph = import_graph()
    found = cycles(graph)
    detail = [f"{c}: " + "; ".join(f"{m} -> {sorted(graph[m] & set(c))}" for m in c) for c in found]
    assert not found, "import circles:\n" + "\n".join(detail)


def test_the_circle_finder_finds_circles():
    """The check above can fail: a two-module circle, a longer one, and none in a chain."""
    assert cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_every_kind_of_import_is_an_edge(tmp_path, monkeypatch):
    """Function-level and TYPE_CHECKING imports count, and ``from . import x`` means the submodule x."""
    graph = import_graph()
    assert "coach.reports.evals" in graph["coach.evals.output"]      # imported inside write_outputs
    assert "coach.engines.local.client" in graph["coach.engines.local.probe"]  # `from . import client`
    assert "coach.engines.local" not in graph["coach.engines.local.probe"]
    assert "coach.engines.base" in graph["coach.engines.local.bench"]  # inside a function
    pkg = tmp_path / "coach"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n")
    here = sys.modules[__name__]
    monkeypatch.setattr(here, "ROOT", tmp_path)
    monkeypatch.setattr(here, "PACKAGE", pkg)
    assert cycles(import_graph()) == [["coach.a", "coach.b"]]


def test_no_module_over_400_lines():
    long = {str(path.relative_to(ROOT)): n for path, _ in modules((PACKAGE, TRAINING)).values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_stage_imports_a_later_one():
    graph = import_graph()
    up = sorted(f"{m} -> {t} ({STAGES[stage_of(m)][0]} -> {STAGES[stage_of(t)][0]})"
                for m, targets in graph.items() for t in targets if stage_of(t) > stage_of(m))
    assert not up, "imports from a stage up to a later one:\n" + "\n".join(up)


def test_the_stage_check_can_fail():
    assert stage_of("coach.reading.clauses") < stage_of("coach.retrieval.sources") < stage_of("coach.checks.answer")
    assert stage_of("coach.engines.local.client") == stage_of("coach.engines")
    assert stage_of("coach.cli") == len(STAGES) - 1


def _private_imports(roots: tuple[Path, ...]) -> list[str]:
    out = []
    for path in sorted(p for root in roots for p in root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                out += [f"{path}: {node.module}.{a.name}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
    return out


def test_no_private_name_is_imported_across_modules(tmp_path):
    assert not _private_imports((PACKAGE, TRAINING))
    (tmp_path / "m.py").write_text("from coach.x import _hidden\n")
    assert _private_imports((tmp_path,))  # the check sees one


def test_the_runtime_package_holds_no_training_code():
    """Trainers live in training/ and write the fitted files the product loads by package path; the
    product imports neither them nor what only they need (scikit-learn), and reads no working-directory path."""
    graph_roots = modules()
    for name, (path, _) in graph_roots.items():
        src = path.read_text(encoding="utf-8")
        tree = ast.parse(src)
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level}
        assert not any(i.split(".")[0] in ("training", "sklearn") for i in imported), name
        assert "_train" not in path.stem, name
        assert '"evals/' not in src and "'evals/" not in src, f"{name} reads a working-directory path"


def test_every_tunable_has_its_provenance_line():
    """A module-level number in capitals (a threshold, a weight, a size) carries a comment saying what it was
    chosen on and what that measured, or why it is fixed: on its line, or just above it (a comment may
    head a block of constants)."""
    missing = []
    for path, _ in modules((PACKAGE, TRAINING)).values():
        lines = path.read_text(encoding="utf-8").splitlines()
        consts = []
        for node in ast.parse("\n".join(lines)).body:
            target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
            if not isinstance(node, (ast.Assign, ast.AnnAssign)) or not isinstance(target, ast.Name):
                continue
            values = node.value.elts if isinstance(node.value, (ast.Tuple, ast.List)) else [node.value]
            if target.id.isupper() and values and all(isinstance(v, ast.Constant) and type(v.value) in (int, float)
                                                      for v in values):
                consts.append(node)
        block = {n for c in consts for n in range(c.lineno, (c.end_lineno or c.lineno) + 1)}
        for c in consts:
            if "#" in lines[c.lineno - 1]:
                continue
            i = c.lineno - 2
            while i >= 0 and (i + 1) in block:
                i -= 1
            if not (i >= 0 and lines[i].strip().startswith("#")):
                missing.append(f"{path.relative_to(ROOT)}:{c.lineno}: {lines[c.lineno - 1].strip()}")
    assert not missing, "tunables without a provenance line:\n" + "\n".join(missing)


def test_a_scenario_walks_through_each_stage_once_in_order(ingested):
    """The walk, measured as the code runs: every Python call made while ``reflect`` answers a situation,
    mapped to its stage. Each stage of a turn is entered once, in the order data flows (the base and the
    corpus's reference data are used by all and are not stages of the walk)."""
    import sys as _sys

    from coach.pipeline import reflect

    reflect("My team hits every deadline, but two of my best engineers say they feel like cogs.", store=ingested)
    order = ["reading", "retrieval", "plan", "engines", "checks"]
    seen: list[str] = []

    def profile(frame, event, arg):
        if event != "call":
            return
        mod = frame.f_globals.get("__name__", "")
        if not mod.startswith("coach."):
            return
        name = STAGES[stage_of(mod)][0]
        if name in order and (not seen or seen[-1] != name):
            seen.append(name)

    _sys.setprofile(profile)
    try:
        reflect("My team hits every deadline, but two of my best engineers say they feel like cogs.", store=ingested)
    finally:
        _sys.setprofile(None)
    assert seen == [s for s in order if s in seen], seen
    assert {"reading", "retrieval", "engines", "checks"} <= set(seen), seen
