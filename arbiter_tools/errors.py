"""The error every command turns into one line on stderr (kept apart so any module can raise it)."""


class UserError(Exception):
    """A problem the user can fix; printed as one line."""
