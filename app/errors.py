"""The few kinds of failure a user needs to tell apart, whichever backend raised them.

Each carries the server's own message (already free of the token) and, for batch operations,
which keys failed. ``str(error)`` is one line fit for a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence


class InboxError(Exception):
    """Base of every error the backends raise."""

    hint = ""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.failed_keys: list[int] | None = None
        """Set on errors from batch operations: the keys that were not changed."""

    def __str__(self) -> str:
        text = f"{self.message} {self.hint}".strip() if self.hint else self.message
        if self.failed_keys:
            text += f" (failed keys: {format_keys(self.failed_keys)})"
        return text


class AuthenticationError(InboxError):
    """The credentials are wrong, missing or expired beyond refresh."""

    hint = "Check the token (or e-mail and password) for this server."


class ForbiddenError(InboxError):
    """The server refused: no permission, or (Directus says the same) no such item."""


class NotFoundError(ForbiddenError):
    """The item does not exist or the current user may not see it.

    Directus answers both with 403 FORBIDDEN, so this is a kind of ``ForbiddenError``.
    """


class InvalidInputError(InboxError):
    """The request was malformed or failed the server's validation."""


class PayloadTooLargeError(InvalidInputError):
    """The body was over the server's MAX_PAYLOAD_SIZE."""


class ServerError(InboxError):
    """The server failed (5xx), or answered with something that is not Directus."""


class UnexpectedAnswerError(ServerError):
    """A successful answer whose JSON is not what Directus sends for that request (``{"data": null}``,
    a list, a row without an id, a count that is not a number, a GraphQL result missing...)."""


def unexpected_answer(what: str) -> UnexpectedAnswerError:
    """The one line for an answer of the wrong shape; *what* names the request ("the list of notifications")."""
    return UnexpectedAnswerError(f"The server answered something unexpected to {what}.", code="UNEXPECTED_ANSWER")


class NetworkError(InboxError):
    """The server could not be reached, or did not answer in time.

    ``sent`` says whether the request may have reached the server: a refused connection, a name
    that does not resolve or a certificate that is not trusted stop it before it leaves (nothing
    can have changed); a timeout or a connection dropped while waiting for the answer do not (the
    server may have done it all).
    """

    hint = "Is the server running and the URL right?"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, sent: bool = True) -> None:
        super().__init__(message, code=code, status=status)
        self.sent = sent


def still_at_work(error: InboxError) -> bool:
    """*error* is a timeout after the request was sent: the server may still be doing it."""
    return isinstance(error, NetworkError) and error.sent and error.code == "TIMEOUT"


class CertificateError(NetworkError):
    """The server's TLS certificate is not trusted (self-signed, a private CA, expired, another host's)."""

    hint = "If the server uses a private certificate authority, pass --ca-bundle PATH (or ca_bundle in the profile)."

    def __init__(self, message: str) -> None:
        super().__init__(message, code="CERTIFICATE", sent=False)


class BatchError(InboxError):
    """A batch operation failed part-way: ``failed_keys`` were not changed (or not known to be)."""

    def __init__(
        self, message: str, *, done_keys: Sequence[int], failed_keys: Sequence[int], cause: InboxError
    ) -> None:
        super().__init__(f"{message}: {cause.message}", code=cause.code, status=cause.status)
        self.done_keys = list(done_keys)
        self.failed_keys = list(failed_keys)
        self.cause = cause


def format_keys(keys: Sequence[int], limit: int = 20) -> str:
    shown = ", ".join(str(key) for key in keys[:limit])
    if len(keys) > limit:
        shown += f", … {len(keys) - limit} more"
    return shown


def not_found_or_forbidden(notification_id: int) -> NotFoundError:
    return NotFoundError(
        f"Notification {notification_id} was not found, or you are not allowed to see it.", code="FORBIDDEN", status=403
    )


class UnexpectedError(InboxError):
    """Neither the server's doing nor the network's: a bug in directus-inbox, told in one line."""


def as_inbox_error(error: Exception) -> InboxError:
    """Any failure as the app's own kind, so that a worker reports it in one line, never crashes."""
    if isinstance(error, InboxError):
        return error
    return UnexpectedError(
        f"Something unexpected went wrong ({type(error).__name__}). This is a bug in directus-inbox; please report it."
    )
