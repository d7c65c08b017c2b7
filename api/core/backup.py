"""Consistent copies of the SQLite database while the service runs (SQLite's backup API)."""

import sqlite3
from contextlib import closing
from pathlib import Path


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` page by page; writers may keep writing meanwhile."""
    if not source.exists():
        raise FileNotFoundError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    # A crash mid-copy never leaves a half-written file under the name asked for.
    partial.replace(target)
