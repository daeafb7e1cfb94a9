"""Operator actions shared by the CLI and the admin API (join codes, tokens, backups, exports)."""
