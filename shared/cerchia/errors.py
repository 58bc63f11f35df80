"""Domain errors: what went wrong, in words the edges map to answers (HTTP codes, batch failures)."""

from __future__ import annotations


class CerchiaError(Exception):
    """Base of every error Cerchia raises on purpose."""


class NotFound(CerchiaError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class AlreadyExists(CerchiaError):
    """A write that must happen once found it had already happened."""


class Conflict(CerchiaError):
    """A concurrent change won; the caller may read again and retry."""


class Contended(Conflict):
    """DynamoDB cancelled the transaction because another one held one of its items (TransactionConflict)."""


class ConditionFailed(CerchiaError):
    """A conditional write found the item not as it expected; `failed`: which writes of a transaction."""

    def __init__(self, message: str, failed: tuple[int, ...] = (0,)) -> None:
        super().__init__(message)
        self.failed = failed


class Transient(CerchiaError):
    """A temporary failure (throttling, timeouts): retry later, nothing is lost."""


class Cancelled(Transient):
    """DynamoDB cancelled a transaction for a reason that is neither a condition nor a conflict (throttling, say)."""


class InvalidInput(CerchiaError):
    """Input that breaks the contract; `fields` names what was wrong."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        details = "; ".join(f"{name}: {problem}" for name, problem in self.fields.items())
        return f"{self.message} ({details})" if details else self.message


class Unauthorized(CerchiaError):
    """Missing, wrong or stale credentials. Deliberately says nothing more (no enumeration)."""


class PayloadTooLarge(CerchiaError):
    """A request body over the accepted size."""


class InvalidLink(CerchiaError):
    """A link token that is forged, tampered, expired or meant for something else."""


class UnsupportedMediaType(CerchiaError):
    """A request body in a format the route does not read (the message says which to use)."""
