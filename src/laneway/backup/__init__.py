"""Backup, restore and verify: the whole instance as a portable archive (docs/backup.md).

The archive is an application-level dump (one canonical JSON line per row), so an archive of
SQLite restores into PostgreSQL and back.
"""
