"""The refusal of a value that breaks a rule, naming its field as a contract's would."""

from contracts.errors import ErrorCode, FieldError, ServiceError


def invalid(field: str, message: str) -> ServiceError:
    error = FieldError(loc=[field], msg=message, type="value_error")
    return ServiceError(ErrorCode.invalid, message, [error])
