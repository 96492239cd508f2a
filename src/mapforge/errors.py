"""The three kinds of error (see STYLE.md): the user's, the model's, and limits.

- :class:`UserError`: printed as one paragraph with the fix, no traceback, non-zero exit.
- Model errors are not exceptions that end a run: they become feedback (see ``agents``).
- :class:`BudgetExhausted` ends a run cleanly with a status.
"""

from __future__ import annotations


class MapforgeError(Exception):
    """Base class of mapforge's own exceptions."""


class UserError(MapforgeError):
    """Something the user must fix (a bad flag, a malformed task spec, a missing file)."""


class ModelError(MapforgeError):
    """A model provider failed in a way retries could not fix (auth, not found, exhausted script)."""


class BudgetExhausted(MapforgeError):
    """A budget (iterations, tokens, wall time, cost) was reached; ``reason`` names it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
