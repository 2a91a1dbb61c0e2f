"""The published language of CAMS Live: every subject and payload, as typed models."""

from contracts.envelope import Actor, Event, Request, Role
from contracts.errors import ErrorCode, FieldError, ServiceErrorReply

__all__ = [
    "Actor",
    "ErrorCode",
    "Event",
    "FieldError",
    "Request",
    "Role",
    "ServiceErrorReply",
]
