"""`coach journal`: the manager's saved reflections (list, show, export, delete).

The journal is a private file on this machine; an export is meant to leave it, so personal data
that ``coach.common.pii`` finds is replaced with placeholders unless the user asks otherwise.
"""
from __future__ import annotations

import json
import sys

from .common import print_json


def register(sub) -> None:
    p = sub.add_parser("journal", help="your saved reflections and follow-ups (list, show, export, delete)",
                       description="Every reflection and follow-up is kept in a private SQLite file under the data "
                       "directory (COACH_DATA_DIR), unless you pass --no-save to `coach reflect`.")
    jsub = p.add_subparsers(dest="journal_command", metavar="ACTION")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    q = jsub.add_parser("list", help="threads, most recently continued first: id, date, first line, turns, leaning")
    q.add_argument("--json", action="store_true", help="print a JSON list")
    q.set_defaults(func=cmd_list)

    q = jsub.add_parser("show", help="one thread, every turn with its feedback and the lens across turns")
    q.add_argument("id", type=int, metavar="ID")
    q.add_argument("--json", action="store_true", help='print {"id", "turns": [{"scenario" or "reply", "feedback"}, ...]}')
    q.set_defaults(func=cmd_show)

    q = jsub.add_parser("export", help="one thread or all of them as Markdown or JSON, personal data redacted",
                        description="Write threads as a file to share. E-mail addresses, phone numbers, IBANs, card "
                        "and id numbers and profile links are replaced with placeholders unless --allow-pii.")
    q.add_argument("id", type=int, nargs="?", default=None, metavar="ID", help="one thread (default: all)")
    q.add_argument("--format", choices=["md", "json"], default="md", help="md (default) or json")
    q.add_argument("-o", "--out", default=None, metavar="FILE", help="write to FILE instead of standard output")
    q.add_argument("--allow-pii", action="store_true", help="keep personal data in the export as it is")
    q.set_defaults(func=cmd_export)

    q = jsub.add_parser("delete", help="delete a thread (or --all) so that its words are gone from the disk")
    q.add_argument("id", type=int, nargs="?", default=None, metavar="ID")
    q.add_argument("--all", action="store_true", help="delete every thread")
    q.set_defaults(func=cmd_delete)


def _journal():
    from ..journal.store import Journal

    return Journal()


def cmd_list(args) -> int:
    items = _journal().threads()
    if args.json:
        print_json([s.to_dict() for s in items])
        return 0
    if not items:
        print("Your journal is empty: `coach reflect \"...\"` saves each reflection here.")
        return 0
    for s in items:
        turns = f"{s.turns} turn{'s' if s.turns != 1 else ''}"
        print(f"{s.id:>4}  {s.date}  {turns:<8}  {(s.leaning or '-'):<10}  {s.first_line}")
    return 0


def lens_line(thread) -> str:
    """The thread's leaning turn by turn: 'leadership → both → management'."""
    return " → ".join(t.leaning or "out of scope" for t in thread.turns)


def cmd_show(args) -> int:
    thread = _journal().thread(args.id)
    if args.json:
        print_json(thread.to_dict())
        return 0
    sys.stdout.write(thread_markdown(thread) + "\n")
    return 0


def thread_markdown(thread) -> str:
    from ..feedback import Feedback
    from ..reports.answer import feedback_markdown

    out = [f"# Thread {thread.id} · started {thread.created_at[:16].replace('T', ' ')} UTC",
           "", f"Lens across turns: {lens_line(thread)}", ""]
    for t in thread.turns:
        who = "Your situation" if t.kind == "scenario" else "Your reply"
        out += [f"## Turn {t.n} · {who} · {t.created_at[:16].replace('T', ' ')}", ""]
        out += ["> " + line for line in t.text.splitlines()] + [""]
        try:
            out.append(feedback_markdown(Feedback.from_dict(t.feedback), quote_situation=False))  # quoted above
        except Exception:  # an old or odd record still shows its answer
            out.append(str(t.feedback.get("answer_markdown", "")))
        out.append("")
    return "\n".join(out).rstrip()


def _redact_all(obj):
    from ..common import pii

    if isinstance(obj, str):
        return pii.redact(obj).text
    if isinstance(obj, list):
        return [_redact_all(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _redact_all(v) for k, v in obj.items()}
    return obj


def cmd_export(args) -> int:
    from ..errors import UsageError
    from ..journal.store import Thread, Turn

    journal = _journal()
    threads = [journal.thread(args.id)] if args.id is not None else \
        [journal.thread(s.id) for s in reversed(journal.threads())]
    if not args.allow_pii:
        threads = [Thread(t.id, t.created_at, t.updated_at,
                          [Turn(x.n, x.kind, _redact_all(x.text), _redact_all(x.feedback), x.model, x.leaning,
                                x.lens_score, x.created_at) for x in t.turns]) for t in threads]
    if args.format == "json":
        data = threads[0].to_dict() if args.id is not None else {"threads": [t.to_dict() for t in threads]}
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        text = "\n\n---\n\n".join(thread_markdown(t) for t in threads) + "\n" if threads else "Your journal is empty.\n"
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            raise UsageError(f"{args.out}: {e.strerror}") from None
        print(f"coach: wrote {len(threads)} thread{'s' if len(threads) != 1 else ''} to {args.out}"
              + ("" if args.allow_pii else " (personal data replaced with placeholders)"), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_delete(args) -> int:
    from ..errors import UsageError

    if (args.id is None) == (not args.all):
        raise UsageError("give a thread ID or --all (not both)")
    n = _journal().delete(None if args.all else args.id)
    what = f"thread {args.id}" if args.id is not None else f"{n} thread{'s' if n != 1 else ''}"
    print(f"Deleted {what}; the journal file was rewritten without it.")
    return 0


__all__ = ["register", "thread_markdown", "lens_line"]
