"""Tables the trainers service owns (its domain tables come with its issue)."""

from database.inbox import INBOX_TABLE
from database.outbox import OUTBOX_TABLE

TABLES = [OUTBOX_TABLE, INBOX_TABLE]
