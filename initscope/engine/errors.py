"""The one error a user can cause: a bad configuration value, named by field."""

from __future__ import annotations

SHOWN = 60
"""Characters of a value echoed in a message."""


class ConfigError(ValueError):
    """A configuration value is not allowed.

    The message always names the field, the value and what is allowed, so the CLI can print it as
    one line and the TUI can mark the field it names.
    """

    def __init__(self, field: str, value: object, allowed: str, hint: str = "", message: str = "") -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.hint = hint
        if not message:
            shown = repr(value) if isinstance(value, str) else str(value)
            if len(shown) > SHOWN:  # a 10,000-character value still gives a short line
                shown = shown[: SHOWN - 1] + "…"
            message = f"{field}: {shown} is not allowed; allowed: {allowed}"
            if hint:
                message += f" ({hint})"
        super().__init__(message)
