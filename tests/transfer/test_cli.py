"""`laneway export`, `import` and `import-csv` on the embedded default: exit codes, the summary
line, and a refusal as one line with exit 1."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from laneway.cli import app
from laneway.demo import DEMO_EMAIL

runner = CliRunner()
TRELLO = Path(__file__).parent / "fixtures" / "trello_board.json"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LANEWAY_DATABASE_URL", raising=False)
    monkeypatch.setenv("LANEWAY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LANEWAY_AUTH_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("LANEWAY_AUTH_ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("LANEWAY_AUTH_ARGON2_PARALLELISM", "1")
    assert runner.invoke(app, ["migrate", "upgrade"]).exit_code == 0
    demo = runner.invoke(app, ["demo", "--tasks", "40"])
    assert demo.exit_code == 0, demo.output
    return tmp_path


def run(*args: str | Path) -> tuple[int, list[str]]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output.strip().splitlines()


def test_export_then_import_and_csv(data_dir: Path) -> None:
    archive = data_dir / "demo.json"
    code, lines = run("export", "demo", "-o", archive)
    assert code == 0, lines
    assert lines[-1] == (
        f"exported DEMO to {archive}: 5 statuses, 8 labels, 4 members, 40 tasks, "
        f"{len(orjson.loads(archive.read_bytes())['comments'])} comments, "
        f"{len(orjson.loads(archive.read_bytes())['events'])} events"
    )

    # the owner is the archive's (demo@laneway.local has an account here); DEMO is taken
    code, lines = run("import", archive, "--name", "Demo copy")
    assert code == 0, lines
    assert lines[-1].startswith(f"imported {archive} as DEMO2 (project 2, owner {DEMO_EMAIL}): ")
    assert "40 tasks" in lines[-1]

    sheet = data_dir / "copy.csv"
    code, lines = run("export", "DEMO2", "-o", sheet, "--format", "csv")
    assert (code, lines[-1]) == (0, f"exported 40 tasks of DEMO2 as CSV to {sheet}")
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(), newline="")))
    assert [r["number"] for r in rows] == [f"DEMO2-{n}" for n in range(1, 41)]

    code, lines = run(
        "import-csv", sheet, "--project", "DEMO", "--as", DEMO_EMAIL,
        "--map", "title=title", "--map", "status=status", "--map", "labels=labels",
    )  # fmt: skip
    assert code == 0, lines
    assert lines[-1:] == [
        f"imported 40 of 40 rows of {sheet} into DEMO (DEMO-41 to DEMO-80); "
        "0 labels created, 0 warnings, 0 rows skipped"
    ]

    code, lines = run("import", TRELLO, "--trello", "--owner", DEMO_EMAIL)
    assert code == 0, lines
    assert lines[-1].startswith(f"imported {TRELLO} as WR (project 3, owner {DEMO_EMAIL}): ")
    assert lines[-1].endswith(
        "; skipped 1 closed lists (1 cards); comments by @grace_h (no email here) are the owner's"
    )


def test_refusals_are_one_line_and_exit_1(data_dir: Path) -> None:
    bad = data_dir / "bad.json"
    bad.write_text('{"format": "laneway.project", "version": 1, "project": ')
    sheet = data_dir / "sheet.csv"
    sheet.write_text("Summary,State\nWrite docs,Todo\n")
    cases = [
        (("import", bad), "error: the archive is not JSON: "),
        (("import", data_dir / "missing.json"), "error: cannot read "),
        (("import", TRELLO, "--trello"), "error: a Trello board names no owner here"),
        (("import", TRELLO), "error: not a Laneway project archive"),
        (("export", "NOPE", "-o", data_dir / "x.json"), "error: no project has the key NOPE"),
        (
            ("import-csv", sheet, "--project", "DEMO", "--as", DEMO_EMAIL, "--map", "title=Title"),
            "error: the file has no column 'Title' (mapped to title); its columns: 'Summary'",
        ),
        (
            ("import-csv", sheet, "--project", "DEMO", "--as", DEMO_EMAIL, "--map", "title"),
            "error: --map 'title': write it as FIELD=COLUMN",
        ),
    ]
    for args, start in cases:
        code, lines = run(*args)
        assert code == 1, (args, lines)
        assert len(lines) == 1, (args, lines)
        assert lines[0].startswith(start), (args, lines)
    assert not (data_dir / "x.json").exists()


def test_an_unwritable_output_is_one_line(data_dir: Path) -> None:
    code, lines = run("export", "DEMO", "-o", data_dir / "no" / "such" / "dir.json")
    assert code == 1
    assert lines == [
        f"error: cannot write {data_dir / 'no' / 'such' / 'dir.json'}: No such file or directory"
    ]
