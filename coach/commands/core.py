"""`coach ingest`, `coach search`, `coach quotes`: the corpus and the store."""
from __future__ import annotations

import sys
from pathlib import Path

from ..config import DEFAULT_K, MAX_K
from .common import is_tty, print_json, read_text_arg


def _corpus_help() -> str:
    """What is read without --corpus (config.corpus_dir): never the current directory's corpus/."""
    from ..config import corpus_dir

    return ("corpus folder (default: $COACH_CORPUS_DIR if set, else the corpus/ folder of the clone the coach "
            f"runs from, else the copy installed with the coach; here: {corpus_dir()})").replace("%", "%%")


def register(sub) -> None:
    p = sub.add_parser("ingest", help="index the corpus into the store (only what changed is embedded)",
                       description="Split the corpus into passages and bring the store in line with it. "
                       "Unchanged passages are not embedded again; edited and deleted articles are updated or removed.")
    p.add_argument("--corpus", type=Path, default=None, help=_corpus_help())
    p.add_argument("--rebuild", action="store_true", help="drop the store and embed everything again")
    p.add_argument("--json", action="store_true", help='print {"added","updated","removed","unchanged"} as JSON')
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="show the passages retrieved for a query",
                       description="Retrieve the top passages for QUERY ('-' reads standard input).")
    p.add_argument("query", nargs="?", default=None, metavar="QUERY")
    p.add_argument("-k", type=int, default=DEFAULT_K, help=f"how many passages (default {DEFAULT_K}, at most {MAX_K})")
    p.add_argument("--json", action="store_true", help="print a JSON list of passages")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("quotes", help="list the statements the corpus attributes to a named person",
                       description="The only words the coach may quote as someone's: found in the corpus text itself.")
    p.add_argument("--corpus", type=Path, default=None, help=_corpus_help())
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_quotes)


def cmd_ingest(args) -> int:
    from .. import config
    from ..corpus.ingest import ingest
    from ..corpus.store import Store

    corpus = args.corpus or config.corpus_dir()
    store = Store()
    if args.json:  # machine output stays silent on stderr too
        report = ingest(corpus, store, rebuild=args.rebuild)
    else:
        from .progress import passage_progress

        with passage_progress(sys.stderr) as progress:
            report = ingest(corpus, store, rebuild=args.rebuild, progress=progress)
    for err in report.errors:
        print(f"coach: error: {err}", file=sys.stderr)
    if args.json:
        print_json(report.counts())
    else:
        c = report.counts()
        print(f"{c['added']} added, {c['updated']} updated, {c['removed']} removed, {c['unchanged']} unchanged "
              f"({store.where})")
    return 1 if report.errors else 0


def cmd_search(args) -> int:
    from ..errors import UsageError
    from ..pipeline import search as retrieve

    query = read_text_arg(args.query, "query").strip()
    if not query:
        raise UsageError("the query is empty")
    from ..config import check_k

    check_k(args.k)
    # retrieval picks for diversity (MMR), which is not the order of the score shown: a reader scanning
    # the list expects the best match first, so the list is sorted by the score it shows
    hits = sorted(retrieve(query, args.k), key=lambda h: -h.score)
    if args.json:
        print_json([h.to_dict() for h in hits])
        return 0
    for n, h in enumerate(hits, 1):
        who = f" — {h.author}" if h.author else ""
        print(f"[{n}] {h.score:.3f}  {h.title}{who}  ({h.id})")
        body = " ".join(h.text.split())
        print("    " + (body if not is_tty() else body[:400] + ("…" if len(body) > 400 else "")))
        print()
    return 0


def cmd_quotes(args) -> int:
    from .. import config
    from ..corpus.documents import load_corpus
    from ..corpus.statements import corpus_statements

    folder = args.corpus or config.corpus_dir()

    load_corpus(folder)  # a missing folder is a clear error, not an empty list
    found = corpus_statements(folder)
    if args.json:
        print_json([s.to_dict() for s in found])
        return 0
    for s in found:
        kind = "" if s.direct else " (reported, not a direct quote)"
        print(f"{s.speaker}{kind}: “{s.text}”\n    {s.passage_id}")
    return 0
