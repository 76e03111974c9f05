"""Logging filters referenced from LOGGING in config/settings.py."""

from __future__ import annotations

import logging


class Downgrade(logging.Filter):
    """Passes a record on at `level` at most, without its traceback.

    Django logs every SuspiciousOperation at ERROR with the exception attached; some of them
    (a Host header not in ALLOWED_HOSTS) are a stranger's bad input, answered 400, and must
    not page an operator. They stay in the log, one line each, for whoever looks.
    """

    def __init__(self, level: str = "WARNING") -> None:
        super().__init__()
        self.level = logging.getLevelName(level)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > self.level:
            record.levelno = self.level
            record.levelname = logging.getLevelName(self.level)
            record.exc_info = None
            record.exc_text = None
        return True
