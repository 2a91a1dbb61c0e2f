"""Structured logs: one JSON object a line, with whatever `extra=` fields a call adds
(`socket_id`, `user_id`, `subject`, ...), so logs can be searched by connection or user."""

import logging
import os
import time

import orjson

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry |= {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(service: str) -> None:
    """JSON lines on stderr; `LOG_LEVEL` sets the level (default INFO)."""
    handler = logging.StreamHandler()
    formatter = JsonFormatter(service)
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO").upper(), handlers=[handler], force=True
    )
