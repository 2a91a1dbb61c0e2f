"""Logs are JSON lines that carry the fields a call adds, such as socket_id and user_id."""

import json
import logging
import sys

from runtime.logs import JsonFormatter


def test_a_log_line_is_json_with_the_extra_fields() -> None:
    record = logging.LogRecord(
        "realtime.pusher", logging.WARNING, __file__, 1, "refused %s", ("private-x",), None
    )
    record.socket_id = "123.456"
    record.user_id = "7"
    line = json.loads(JsonFormatter("realtime").format(record))
    assert line["message"] == "refused private-x"
    assert line["level"] == "warning"
    assert line["service"] == "realtime"
    assert (line["socket_id"], line["user_id"]) == ("123.456", "7")
    assert line["time"].endswith("Z")


def test_an_exception_is_kept_in_the_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(JsonFormatter("gateway").format(record))
    assert "ValueError: boom" in line["exception"]
