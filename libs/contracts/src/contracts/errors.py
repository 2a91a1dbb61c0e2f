"""Error codes a service may answer with, and the body of an error reply."""

from enum import StrEnum

from pydantic import BaseModel


class ErrorCode(StrEnum):
    invalid = "invalid"
    not_found = "not_found"
    forbidden = "forbidden"
    conflict = "conflict"
    payment_declined = "payment_declined"
    unavailable = "unavailable"
    internal = "internal"


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ServiceErrorReply(BaseModel):
    """Sent with the `Nats-Service-Error` headers when a request fails."""

    code: ErrorCode
    message: str
    fields: list[FieldError] = []


class ServiceError(Exception):
    """Raised by a handler (and re-raised at the requester) for a failed request."""

    def __init__(
        self, code: ErrorCode, message: str, fields: list[FieldError] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or []

    def reply(self) -> ServiceErrorReply:
        return ServiceErrorReply(code=self.code, message=self.message, fields=self.fields)
