"""A service's own database: engines, migrations, the unit of work, outbox, inbox and paging."""
