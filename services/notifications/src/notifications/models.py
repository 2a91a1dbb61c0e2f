"""Tables the notifications service owns (its domain tables come with its issue)."""

from messaging.outbox import OUTBOX_TABLE

TABLES = [OUTBOX_TABLE]
