"""The bot package's one error hierarchy; the API maps it to HTTP status once."""


class BotError(Exception):
    """Base of everything the application refuses on purpose."""

    status_code = 400

    @classmethod
    def error_name(cls) -> str:
        """The ``error`` field of the JSON answer: the class name unless one is set."""
        return str(cls.__dict__.get("public_name", cls.__name__))


class SettingsError(BotError):
    """Settings that cannot be used; the message names the DESKBOT_ variable."""


class ConflictError(BotError):
    """A save or edit made against a version that is no longer current."""

    status_code = 409


class LockTimeoutError(BotError):
    """A conversation lock could not be taken in time (another turn holds it)."""

    status_code = 503


class NotFoundError(BotError):
    status_code = 404
