"""The bot package's one error hierarchy; the API maps it to HTTP status once."""


class BotError(Exception):
    """Base of everything the application refuses on purpose."""

    status_code = 400

    @classmethod
    def error_name(cls) -> str:
        """The ``error`` field of the JSON answer: the class name, unless it or a base sets
        ``public_name``."""
        return str(getattr(cls, "public_name", cls.__name__))


class InvalidInput(BotError):
    """What a caller sent cannot be used as it is (an empty agent message, bad offsets)."""

    status_code = 422
    public_name = "ValidationError"  # as FastAPI's own refusals of a request's shape


class StateUnavailable(BotError):
    """The session store cannot be reached (Redis down): the turn is refused, nothing lost."""

    status_code = 503


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
