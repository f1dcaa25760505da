"""Errors a user can cause. The CLI prints them as one line and exits non-zero, without a traceback."""


class CoachError(Exception):
    """A user-facing error; ``exit_code`` is what the CLI returns."""

    exit_code = 1


class UsageError(CoachError):
    exit_code = 2


class CorpusError(CoachError):
    """A corpus file that cannot be read; names the file."""


class StoreError(CoachError):
    pass


class EngineError(CoachError):
    pass
