"""Generated inputs: a synthetic corpus, retrieval queries and batch scenarios.

Deterministic (seeded) so runs compare, varied so that every passage hashes differently and no
query repeats (a cache would flatter repeats). The vocabulary is the corpus's own domain, so the
embedding model sees text of the kind it sees in use.
"""
from __future__ import annotations

import random
from pathlib import Path

_SUBJECTS = ["A manager", "The team lead", "A new supervisor", "The director", "A project manager",
             "An engineering lead", "The head of sales", "A first-time manager", "The founder",
             "A senior leader", "The operations manager", "A coach", "The product owner", "A shift supervisor"]
_VERBS = ["plans", "organizes", "controls", "inspires", "empowers", "coaches", "measures", "questions",
          "explains", "delegates", "reviews", "challenges", "supports", "aligns", "tracks", "motivates"]
_OBJECTS = ["the quarterly budget", "a struggling team", "the release schedule", "a vision for next year",
            "the hiring process", "weekly one-on-ones", "the onboarding playbook", "a change in strategy",
            "the metrics that matter", "a cross-team conflict", "the succession plan", "daily stand-ups",
            "an ambitious roadmap", "the customer escalations", "a culture of trust", "the shift rota"]
_MANNERS = ["with clear deadlines", "by listening first", "through honest feedback", "with a written plan",
            "by asking better questions", "with patience", "through small experiments", "with data from the field",
            "by removing obstacles", "with a shared purpose", "through regular check-ins", "by setting priorities"]
_CLOSERS = ["so that the work gets done right", "so that people grow", "because the market is changing",
            "while the numbers stay on track", "so the team can own the outcome", "before the next review",
            "to keep morale high", "so nobody is surprised", "to build the next leaders", "despite the uncertainty"]
_TOPICS = ["Planning", "Vision", "Control", "Trust", "Change", "Coaching", "Metrics", "Strategy", "Tactics",
           "Delegation", "Motivation", "Accountability", "Succession", "Feedback", "Process", "People"]

_Q_OPENERS = ["How do I", "What should I do to", "Is it management or leadership to", "Help me",
              "Should I", "What does the corpus say about how to", "When is it right to", "Why is it hard to"]
_Q_ACTS = ["motivate a team that keeps missing deadlines", "delegate work to a senior engineer",
           "set a vision when the budget was cut", "coach someone who resists feedback",
           "control costs without losing trust", "plan a reorganization", "inspire people after layoffs",
           "balance processes and people", "prepare my successor", "handle a conflict between two leads",
           "manage myself under pressure", "choose between strategy and tactics", "empower a new hire",
           "measure progress without micromanaging", "lead change in an old department",
           "keep a remote team aligned", "explain why the work matters", "stop doing everything myself"]
_Q_TAILS = ["", " this quarter", " with a small team", " as a first-time manager", " in a crisis",
            " when morale is low", " after a failed launch", " in a fast-growing startup"]

_S_CONTEXT = ["I lead a team of {n} people in {dept}.", "I was promoted to manage {n} former peers in {dept}.",
              "My {dept} team of {n} has a new director.", "I run {dept} with {n} people across two sites."]
_DEPTS = ["support", "finance", "engineering", "sales", "a warehouse", "marketing", "a hospital ward", "logistics",
          "a call centre", "research", "a retail store", "IT operations"]
_S_PROBLEM = ["Deadlines keep slipping and I add more status meetings, but nothing changes.",
              "Two senior people disagree about the plan and the rest of the team waits.",
              "People do what they are told but nobody suggests anything new.",
              "We hit our numbers, yet good people are leaving.",
              "A reorganization is coming and rumours are spreading.",
              "I spend my days approving small decisions and have no time to think ahead.",
              "A talented engineer ignores our processes and ships late.",
              "The team asks me for a vision and I only have a budget."]
_S_ASK = ["Should I manage harder or lead differently?", "What would a leader do here?",
          "Which side of the lens does this call for?", "How do I decide what to do first?",
          "Is this a management problem or a leadership one?"]


def _sentence(rng: random.Random) -> str:
    return (f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_MANNERS)} "
            f"{rng.choice(_CLOSERS)}.")


def write_corpus(folder: Path, articles: int, paragraphs: tuple[int, int] = (2, 3),
                 sentences: tuple[int, int] = (1, 2), seed: int = 7) -> Path:
    """``articles`` Markdown files with front matter, each a few short paragraphs of varied text."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(articles):
        topic = rng.choice(_TOPICS)
        paras = []
        for _ in range(rng.randint(*paragraphs)):
            paras.append(" ".join(_sentence(rng) for _ in range(rng.randint(*sentences))))
        # a per-article detail so that even a repeated paragraph hashes differently across articles
        paras[0] = f"Case {n + 1}: " + paras[0]
        author = rng.choice(["null", '"Jane Doe"', '"Sam Okafor"', "null"])
        text = (f"---\nid: synth-{n:05d}\ntitle: \"{topic} in practice, note {n + 1}\"\nauthor: {author}\n---\n\n"
                f"## {topic}\n\n" + "\n\n".join(paras) + "\n")
        (folder / f"synth-{n:05d}.md").write_text(text, encoding="utf-8")
    return folder


def _distinct(n: int, seed: int, make) -> list[str]:
    """``n`` distinct texts from ``make(rng)``: no repeats, so no cache can flatter the numbers."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        t = make(rng)
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def queries(n: int, seed: int = 11) -> list[str]:
    """``n`` distinct manager questions."""
    return _distinct(n, seed, lambda rng: f"{rng.choice(_Q_OPENERS)} {rng.choice(_Q_ACTS)}{rng.choice(_Q_TAILS)}?")


def _scenario(rng: random.Random) -> str:
    ctx = rng.choice(_S_CONTEXT).format(n=rng.randint(4, 40), dept=rng.choice(_DEPTS))
    a, b = rng.sample(_S_PROBLEM, 2)
    return f"{ctx} {a} {b} {rng.choice(_S_ASK)}"


def scenarios(n: int, seed: int = 13) -> list[str]:
    """``n`` distinct, in-scope, PII-free situations for the batch benchmark."""
    return _distinct(n, seed, _scenario)
