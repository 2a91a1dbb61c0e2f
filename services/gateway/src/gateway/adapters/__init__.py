"""Where the gateway meets its database: the repository of user accounts."""
