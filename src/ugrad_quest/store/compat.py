"""Refusing a database this version cannot safely use: another program's, or one a newer ugrad-quest migrated.

Only reads, on a plain DB-API (sqlite3) connection, so `quest list`'s stdlib reads can ask too and
a refused file is left byte for byte as it was. A newer version shows in one of two ways: it
recorded a migration this version does not have, or a table lacks a column this version writes or
has one it cannot fill (NOT NULL with no default).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ugrad_quest.store import migrations
from ugrad_quest.store.errors import damaged, newer_version, unknown_tables


def refuse_unknown(conn: sqlite3.Connection, path: Path, tables: dict[str, list[str]] | None = None) -> None:
    """StoreError when the database is another program's or a newer version migrated it. `tables`
    (migrations.schema(): each table with its columns) adds the check of every table against the
    columns this version uses."""
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if migrations.TABLE not in names:
        if any(not name.startswith("sqlite_") for name in names):
            raise damaged(path)  # tables, but none of ours: we would add ours to another program's file
        return  # nothing migrated yet
    recorded = conn.execute(f"SELECT * FROM {migrations.TABLE}")
    columns = [c[0] for c in recorded.description]
    rows = [dict(zip(columns, row)) for row in recorded.fetchall()]
    known = {m.__name__ for m in migrations.MIGRATIONS}
    unknown = [r for r in rows if r["name"] not in known]
    if unknown:
        versions = [r[migrations.VERSION] for r in unknown if r.get(migrations.VERSION)]
        raise newer_version(path, sorted(r["name"] for r in unknown), versions[-1] if versions else None)
    if tables is not None:
        problem = _changed_table(conn, names, tables)
        if problem:
            raise unknown_tables(path, problem)


def _changed_table(conn: sqlite3.Connection, names: set[str], tables: dict[str, list[str]]) -> str | None:
    for table, columns in tables.items():
        if table not in names:
            return f"there is no table {table}"
        # PRAGMA table_info rows: (cid, name, type, notnull, default, pk).
        found = {row[1]: tuple(row) for row in conn.execute(f'PRAGMA table_info("{table}")')}
        for column in columns:
            if column not in found:
                return f"{table} has no column {column}"
        for name, (_, _, _, notnull, default, pk) in found.items():
            if name not in columns and notnull and default is None and not pk:
                return f"{table} has a column {name} that must be filled"
    return None
