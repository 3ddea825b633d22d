"""Which tables and columns an archive holds.

The models' tables that exist in the database, in foreign-key order, with the columns the
database has: a database not yet migrated to this code's head backs up as it is, and a restore
loads an archive into the revision it was made at. Column types come from the models where
they know the column (UTC datetimes, JSON, id lists), from the database otherwise.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

from laneway.backup.archive import ColumnInfo, Kind
from laneway.models import Base
from laneway.models.base import UTCDateTime


def tables(connection: Connection) -> list[sa.Table]:
    inspector = sa.inspect(connection)
    existing = set(inspector.get_table_names())
    found = []
    for model in Base.metadata.sorted_tables:
        if model.name not in existing:
            continue
        key = set(inspector.get_pk_constraint(model.name)["constrained_columns"])
        columns = [
            sa.Column(
                info["name"],
                model.c[info["name"]].type if info["name"] in model.c else info["type"],
                primary_key=info["name"] in key,
                autoincrement=False,
            )
            for info in inspector.get_columns(model.name)
            # PostgreSQL's generated search vector: the database computes it again
            if not info.get("computed")
        ]
        found.append(sa.Table(model.name, sa.MetaData(), *columns))
    return found


def self_references(name: str) -> list[str]:
    """Columns of table `name` that point at its own rows (a task's parent): a restore fills
    them in after every row is in, since a parent may come after its child in id order."""
    model = Base.metadata.tables[name]
    return [fk.parent.name for fk in model.foreign_keys if fk.column.table is model]


def kind(type_: TypeEngine[object]) -> Kind:
    if isinstance(type_, UTCDateTime | sa.DateTime):
        return "datetime"
    if isinstance(type_, sa.Date):
        return "date"
    if isinstance(type_, sa.LargeBinary):
        return "bytes"
    return "plain"


def columns(table: sa.Table) -> tuple[ColumnInfo, ...]:
    return tuple(ColumnInfo(name=c.name, kind=kind(c.type)) for c in table.columns)


def order(table: sa.Table, dialect: str) -> list[sa.ColumnElement[Any]]:
    """Primary-key order, with text in byte order on both backends (SQLite's BINARY is
    PostgreSQL's "C"), so both list the same rows in the same order."""
    keys = list(table.primary_key.columns) or list(table.columns)
    return [
        key.collate("C") if dialect == "postgresql" and isinstance(key.type, sa.String) else key
        for key in keys
    ]
