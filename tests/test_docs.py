"""The README and docs/: a short README for newcomers, the rest in docs/, and no link that leads nowhere.

Why a test: the README had grown to 1,125 lines, partly out of date (issue 31, item 15); it now holds what a
newcomer needs and links each docs/ file. A moved or renamed file, or a heading whose anchor a link uses,
would break those links silently. Pure file reading: no model, no store.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_LINES = 200

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)
_CODE = re.compile(r"`+[^`\n]*`+")
_LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)


def doc_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def _prose(text: str) -> str:
    """The text without code blocks and code spans (a `[S1](…)` inside code is not a link)."""
    return _CODE.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: formatting and punctuation dropped, lower case, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a Markdown file's headings give, with GitHub's -1, -2 … for repeated ones."""
    seen: dict[str, int] = {}
    out = set()
    for m in _HEADING.finditer(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """Relative links in ``path`` whose file, or whose #anchor in a Markdown file, does not exist."""
    bad = []
    for m in _LINK.finditer(_prose(path.read_text(encoding="utf-8"))):
        target = m.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):   # http:, https:, mailto: … are not checked here
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            bad.append(f"{path.relative_to(root)}: {target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            bad.append(f"{path.relative_to(root)}: {target} (no heading gives #{anchor})")
    return bad


def test_every_relative_link_in_the_readme_and_docs_resolves():
    assert DOCS.is_dir() and len(doc_files()) > 1
    bad = [b for p in doc_files() for b in broken_links(p)]
    assert not bad, "broken links:\n" + "\n".join(bad)


def test_the_readme_is_short():
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= README_MAX_LINES, f"README.md has {n} lines (at most {README_MAX_LINES}): move detail to docs/"


def test_the_readme_names_the_test_command_ci_runs():
    # .ci/run runs `make test`, "exactly the README's test command"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
    assert re.search(r"^make test\b", README.read_text(encoding="utf-8"), re.M)


def test_the_readme_links_every_docs_file():
    readme = README.read_text(encoding="utf-8")
    linked = {Path(m.group(1).partition("#")[0]).name for m in _LINK.finditer(_prose(readme))
              if m.group(1).startswith("docs/")}
    missing = [p.name for p in DOCS.glob("*.md") if p.name not in linked]
    assert not missing, f"docs files the README's 'Where to read more' does not link: {missing}"


def test_each_docs_file_says_whom_it_is_for():
    for p in sorted(DOCS.glob("*.md")):
        lines = [ln for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
        assert lines[0].startswith("# "), f"{p.name}: opens with its title"
        assert lines[1].startswith("*For "), f"{p.name}: the line after the title says whom it is for"


def test_the_link_check_can_fail(tmp_path):
    (tmp_path / "there.md").write_text("# A heading, with `code`\n\n## Twice\n\n## Twice\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md) [ok](there.md#a-heading-with-code) [ok](there.md#twice-1) [ok](#mine)\n"
        "[gone](missing.md) [bad anchor](there.md#nowhere) [web](https://example.org/x.md)\n"
        "`[in code](nowhere.md)`\n\n```\n[in a block](nowhere.md)\n```\n\n## Mine\n",
        encoding="utf-8")
    bad = broken_links(page, root=tmp_path)
    assert bad == ["page.md: missing.md (no such file)", "page.md: there.md#nowhere (no heading gives #nowhere)"]
