"""The archive format: a zip of `manifest.json`, one JSON-lines file per table, and the files of
attachments kept as files (`files/attachments/<name>`, as they are in the store).

Each line is one row as canonical JSON: sorted keys, datetimes in ISO 8601 UTC, dates in ISO,
bytes in base64, rows in primary-key order (byte order for text). The same data gives the same
bytes, and so the same SHA-256, whether SQLite or PostgreSQL held it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Annotated, Any, Literal, Protocol

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from laneway.errors import LanewayError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# a buffered chunk of lines per write into the compressor (one write per row is slow)
CHUNK_BYTES = 256 * 1024

Kind = Literal["plain", "datetime", "date", "bytes"]
# names end up in file names inside the archive: plain SQL identifiers only
Name = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")]
# an attachment file's name in the store (blobs/store.py): `{id}-{created_at}`
FileName = Annotated[str, Field(pattern=r"^[0-9]{1,19}-[0-9]{20}$")]


class BackupError(LanewayError):
    """A refused backup, restore or verify; the CLI prints its detail as one line."""

    status, slug, title = 409, "backup-refused", "Backup refused"


class ColumnInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: Name
    kind: Kind


class TableInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: Name
    rows: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    primary_key: tuple[Name, ...]
    columns: tuple[ColumnInfo, ...]

    @property
    def file(self) -> str:
        return f"tables/{self.name}.jsonl"


class Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class FileInfo(BaseModel):
    """An attachment file of the file store, in the archive as it is in the store."""

    model_config = ConfigDict(frozen=True)

    name: FileName
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @property
    def member(self) -> str:
        return f"files/attachments/{self.name}"


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True)

    format: Literal["laneway-backup"] = "laneway-backup"
    format_version: int = FORMAT_VERSION
    laneway_version: str
    # the database's Alembic revision; None for a database without tables
    revision: str | None
    created_at: datetime
    backend: Literal["sqlite", "postgresql"]
    # in foreign-key order: a restore inserts them in this order
    tables: tuple[TableInfo, ...]
    # the attachment files of the file store (those in the database are rows already)
    files: tuple[FileInfo, ...] = ()
    # files whose rows are in the archive but that were gone when it was made (deleted while
    # the backup ran): their attachments come back without them
    missing_files: tuple[FileName, ...] = ()

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_INDENT_2) + b"\n"

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw = orjson.loads(data)
            version = raw.get("format_version") if isinstance(raw, dict) else None
            if isinstance(version, int) and version > FORMAT_VERSION:
                raise BackupError(
                    f"the archive has format {version}, newer than this laneway reads "
                    f"({FORMAT_VERSION}): use a newer laneway"
                )
            manifest = cls.model_validate(raw)
        except (orjson.JSONDecodeError, ValidationError) as error:
            raise BackupError(f"{MANIFEST} is not a laneway manifest: {error}") from None
        names = [table.name for table in manifest.tables]
        if len(set(names)) != len(names):
            raise BackupError(f"{MANIFEST} lists a table twice")
        if len({f.name for f in manifest.files}) != len(manifest.files):
            raise BackupError(f"{MANIFEST} lists a file twice")
        return manifest


def _encode(value: Any, kind: Kind) -> Any:
    if value is None or kind == "plain":
        return value
    if kind == "datetime":
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if kind == "date":
        return value.isoformat()
    return base64.b64encode(value).decode()


def _decode(value: Any, kind: Kind) -> Any:
    if value is None or kind == "plain":
        return value
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    return base64.b64decode(value, validate=True)


def encode_row(values: Sequence[Any], columns: Sequence[ColumnInfo]) -> bytes:
    """One row as its canonical line (enums become their values, JSON keeps its structure)."""
    row = {
        column.name: _encode(value, column.kind)
        for column, value in zip(columns, values, strict=True)
    }
    return orjson.dumps(row, option=orjson.OPT_SORT_KEYS) + b"\n"


def decode_row(line: bytes, table: TableInfo) -> dict[str, Any]:
    try:
        row = orjson.loads(line)
        if not isinstance(row, dict) or len(row) != len(table.columns):
            raise ValueError("not this table's columns")
        return {c.name: _decode(row[c.name], c.kind) for c in table.columns}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BackupError(f"table {table.name}: a row cannot be read ({error})") from None


class Digest:
    """Row count and SHA-256 of a table's canonical lines."""

    __slots__ = ("_sha", "rows")

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.rows = 0

    def add(self, line: bytes) -> None:
        self._sha.update(line)
        self.rows += 1

    def hexdigest(self) -> str:
        return self._sha.hexdigest()

    def problem(self, table: TableInfo) -> str | None:
        """What differs from the manifest, or None."""
        if self.rows != table.rows:
            return f"{self.rows} rows where the manifest lists {table.rows}"
        if self.hexdigest() != table.sha256:
            return "its rows do not match the manifest's checksum"
        return None


class TableSink:
    """One table's file inside the archive being written."""

    def __init__(self, member: IO[bytes]) -> None:
        self._member = member
        self._buffer = bytearray()
        self.digest = Digest()

    def write(self, line: bytes) -> None:
        self.digest.add(line)
        self._buffer += line
        if len(self._buffer) >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        self._member.write(self._buffer)
        self._buffer.clear()


class ArchiveWriter:
    """Writes a hidden temporary file beside `path` and renames it to `path` once complete, so
    a failed backup never leaves a partial archive under that name. The file is 0600 (from
    mkstemp): it holds the instance secret and every password hash."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            fd, temporary = tempfile.mkstemp(
                dir=path.parent, prefix=f".{path.name}.", suffix=".partial"
            )
        except OSError as error:
            raise BackupError(f"cannot write {path}: {error.strerror}") from None
        self._temporary = Path(temporary)
        self._file = os.fdopen(fd, "w+b")
        self._zip = zipfile.ZipFile(self._file, "w", compression=zipfile.ZIP_DEFLATED)

    def table(self, name: str) -> _TableContext:
        return _TableContext(self._zip, f"tables/{name}.jsonl")

    def add_file(self, name: str, source: IO[bytes]) -> FileInfo:
        """A file copied into the archive as it is read, with its size and checksum."""
        entry = zipfile.ZipInfo(f"files/attachments/{name}", date_time=time.localtime()[:6])
        entry.compress_type = zipfile.ZIP_DEFLATED
        digest, size = hashlib.sha256(), 0
        with self._zip.open(entry, "w", force_zip64=True) as member:
            while chunk := source.read(CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
                member.write(chunk)
        return FileInfo(name=name, size=size, sha256=digest.hexdigest())

    def commit(self, manifest: Manifest) -> None:
        self._zip.writestr(MANIFEST, manifest.to_json())
        self._zip.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._temporary.replace(self.path)

    def abort(self) -> None:
        self._zip.close()
        self._file.close()
        self._temporary.unlink(missing_ok=True)

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, _e: BaseException | None, _t: TracebackType | None
    ) -> None:
        if kind is not None:
            self.abort()


class _TableContext:
    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        entry = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
        entry.compress_type = zipfile.ZIP_DEFLATED
        # zip64 from the start: a table's size is not known before it is written
        self._member = archive.open(entry, "w", force_zip64=True)
        self.sink = TableSink(self._member)

    def __enter__(self) -> TableSink:
        return self.sink

    def __exit__(self, *_exc: object) -> None:
        self.sink.flush()
        self._member.close()


_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError)


class ArchiveReader:
    """An archive opened for reading; its manifest is read and checked on opening."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except OSError as error:
            raise BackupError(f"cannot read {path}: {error.strerror}") from None
        except _DAMAGED:
            raise BackupError(
                f"{path} is not a readable laneway archive (truncated, damaged or not one)"
            ) from None
        try:
            self.manifest = Manifest.from_json(self._zip.read(MANIFEST))
        except KeyError:
            self._zip.close()
            raise BackupError(f"{path} has no {MANIFEST}: not a laneway archive") from None
        except _DAMAGED:
            self._zip.close()
            raise BackupError(f"{path}: {MANIFEST} is damaged") from None
        except BackupError:
            self._zip.close()
            raise

    def lines(self, table: TableInfo) -> Iterator[bytes]:
        try:
            with self._zip.open(table.file) as member:
                yield from member
        except KeyError:
            raise BackupError(f"table {table.name}: {table.file} is missing") from None
        except _DAMAGED as error:
            raise BackupError(f"table {table.name}: {table.file} is damaged ({error})") from None

    def rows(self, table: TableInfo) -> Iterator[dict[str, Any]]:
        """The table's rows, decoded; raises at the end if they are not what the manifest
        lists, so a restore in one transaction rolls back."""
        digest = Digest()
        for line in self.lines(table):
            digest.add(line)
            yield decode_row(line, table)
        problem = digest.problem(table)
        if problem is not None:
            raise BackupError(f"table {table.name}: {problem}")

    def copy_file(self, info: FileInfo, target: Sink) -> None:
        """The attachment file into `target`; raises if it is not what the manifest lists.
        Never more than the manifest's size reaches `target`: a small archive member that
        inflates to gigabytes is refused at the first byte past that size."""
        digest, size = hashlib.sha256(), 0
        try:
            with self._zip.open(info.member) as member:
                while chunk := member.read(min(CHUNK_BYTES, info.size - size + 1)):
                    size += len(chunk)
                    if size > info.size:
                        break  # refused below, before the excess is written
                    digest.update(chunk)
                    target.write(chunk)
        except KeyError:
            raise BackupError(f"attachment file {info.name} is missing") from None
        except _DAMAGED as error:
            raise BackupError(f"attachment file {info.name} is damaged ({error})") from None
        if size != info.size or digest.hexdigest() != info.sha256:
            raise BackupError(f"attachment file {info.name} does not match the manifest")

    def file_problem(self, info: FileInfo) -> str | None:
        """What is wrong with an attachment file as the manifest describes it, or None."""
        try:
            self.copy_file(info, _Discard())
        except BackupError as error:
            return str(error)
        return None

    def problem(self, table: TableInfo) -> str | None:
        """What is wrong with the table's file as the manifest describes it, or None."""
        digest = Digest()
        try:
            for line in self.lines(table):
                digest.add(line)
        except BackupError as error:
            return str(error).removeprefix(f"table {table.name}: ")
        return digest.problem(table)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class _Discard:
    def write(self, data: bytes) -> int:
        return len(data)
