"""The one error a user sees: a French sentence, and the form field it belongs to."""

from __future__ import annotations


class UserError(ValueError):
    """A rule refused what the user asked; ``str(error)`` is a French sentence ready to show
    next to ``field`` (None: it belongs to the form or the action as a whole)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message
