"""The reading: a manager's situation read once, for what it lacks, not for the words it uses.

One entry, ``read(scenario) -> Reading`` (``read_many`` for a batch): the clauses, each working or going
wrong (``clauses``), the leaning of the unmet needs (``situation``: the side models, the neighbours' vote,
the lexicon), the needs on the corpus's axes (``lens``), whether it is about people at work (``scope``),
and the manager's own question and intended action (``asks``). Every later stage takes the Reading from
the pipeline and never reads the scenario again.
"""
from __future__ import annotations

from ..common.seams import Reading
from .situation import read, read_many

__all__ = ["Reading", "read", "read_many"]
