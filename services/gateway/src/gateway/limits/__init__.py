"""The gateway's guards against floods and oversized requests (docs/security.md)."""
