"""Where trainers meets its database: tables, the mapping of aggregates to rows, repositories."""
