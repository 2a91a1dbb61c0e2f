"""Composed views: the only place the gateway joins two services' answers (docs/rest.md,
"Composed views"); the routes that answer them stay thin."""
