"""A watched folder: CSV or JSON files dropped by a till or an export job become events.

Each CSV row (after a header) or JSON object is one event (see ``core.events``): a
``kind`` column (or the kind given to the watcher), an ``event_id``, the customer's
``email``/``phone``/names, optional ``sms_consent``/``email_consent``, and any other
column as a merge field. JSON may be one object, a list of objects, or
``{"events": [...]}``.

Once read, a file is moved to ``FOLDER/done`` (every row handled) or
``FOLDER/failed`` (it could not be read, or some rows were refused), with a report
``<name>.report.txt`` next to it naming each row and what became of it. Nothing is
lost: the file itself is kept, never deleted or changed.

A partly bad file: the good rows are handled at once (a till's other customers
should not wait for one bad line) and the file goes to ``failed`` with the bad rows
named. Dropping the corrected file again is safe: rows already handled are
recognised by their event id (or, without one, by their content) and are not sent
twice.

Files still being written are left alone until they have not changed for
``settle_seconds``; names starting with ``.`` or ``~`` are ignored.
"""

import csv
import io
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from desktop_app.core import events as core_events
from desktop_app.errors import ValidationError
from desktop_app.providers.base import Senders
from desktop_app.services import triggers
from desktop_app.storage import automation

logger = logging.getLogger(__name__)

DONE = "done"
FAILED = "failed"
SUFFIXES = (".csv", ".json")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
REPORT_SUFFIX = ".report.txt"


@dataclass
class RowOutcome:
    """One row of a dropped file and what became of it.

    Attributes:
        row: the row number (1 = the first row after the CSV header, or the first
            JSON object).
        status: a ``TriggerResult`` status, or ``refused`` for a bad row.
        detail: what happened or why the row was refused.
        event_id: the event's id when the row was readable.
    """

    row: int
    status: str
    detail: str = ""
    event_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the outcome as JSON."""
        return {
            "row": self.row,
            "status": self.status,
            "detail": self.detail,
            "event_id": self.event_id,
        }


@dataclass
class FileReport:
    """What became of one dropped file."""

    file: str
    moved_to: str = ""
    report: str = ""
    rows: list[RowOutcome] = field(default_factory=list)
    message: str | None = None

    @property
    def refused(self) -> list[RowOutcome]:
        """Return the rows that were refused."""
        return [row for row in self.rows if row.status == "refused"]

    @property
    def failed(self) -> bool:
        """Return True when the file went to ``failed``."""
        return self.message is not None or bool(self.refused)

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON."""
        return {
            "file": self.file,
            "moved_to": self.moved_to,
            "report": self.report,
            "failed": self.failed,
            "message": self.message,
            "rows": [row.to_json() for row in self.rows],
        }

    def summary_text(self) -> str:
        """Return the report as the text written next to the file."""
        handled = len(self.rows) - len(self.refused)
        lines = [f"File: {self.file}", f"Moved to: {self.moved_to}"]
        if self.message:
            lines.append(f"Not read: {self.message}")
        lines.append(
            f"{len(self.rows)} rows: {handled} handled, {len(self.refused)} refused."
        )
        if self.refused:
            lines.append(
                "The handled rows were sent (or skipped as shown). Fix the refused "
                "rows and drop the file again: rows already handled are not sent "
                "twice."
            )
        lines += [
            f"  row {row.row}: {row.status}"
            + (f" ({row.event_id})" if row.event_id else "")
            + (f": {row.detail}" if row.detail else "")
            for row in self.rows
        ]
        return "\n".join(lines) + "\n"


def ready_files(
    folder: Path, *, settle_seconds: float = 2.0, now: float | None = None
) -> list[Path]:
    """Return the dropped files ready to read, oldest first.

    Args:
        folder: the watched folder.
        settle_seconds: a file modified more recently is still being written.
        now: the current time (``time.time()``); tests pass their own.
    """
    now = time.time() if now is None else now
    found: list[tuple[float, Path]] = []
    for path in folder.iterdir():
        if (
            not path.is_file()
            or path.name.startswith((".", "~"))
            or path.suffix.lower() not in SUFFIXES
        ):
            continue
        modified = path.stat().st_mtime
        if now - modified >= settle_seconds:
            found.append((modified, path))
    return [path for _, path in sorted(found)]


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise ValidationError("this is not a text file (CSV or JSON expected)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_rows(text: str) -> list[tuple[int, Any]]:
    sample = text[:4096]
    first = sample.splitlines()[0] if sample.strip() else ""
    delimiter = max(",;\t", key=first.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if not reader.fieldnames:
        raise ValidationError("the file is empty")
    rows: list[tuple[int, Any]] = []
    for number, row in enumerate(reader, start=1):
        if None in row:
            rows.append((number, "the row has more cells than the header"))
            continue
        if not any((value or "").strip() for value in row.values()):
            continue
        rows.append((number, {k: v for k, v in row.items() if k}))
    return rows


def _json_rows(text: str) -> list[tuple[int, Any]]:
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ValidationError(
            f"not valid JSON (line {getattr(error, 'lineno', '?')})"
        ) from error
    if isinstance(data, dict) and isinstance(data.get("events"), list):
        data = data["events"]
    items = data if isinstance(data, list) else [data]
    return [
        (number, item if isinstance(item, dict) else "expected a JSON object")
        for number, item in enumerate(items, start=1)
    ]


def read_rows(path: Path) -> list[tuple[int, Any]]:
    """Read a dropped file into (row number, raw event or refusal reason) pairs.

    Raises:
        ValidationError: the file cannot be read at all (too big, binary, bad
            JSON, empty); the message says why.
    """
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            f"{size:,} bytes; Duet reads files of at most {MAX_FILE_BYTES:,} bytes"
        )
    text = _decode(path.read_bytes())
    if not text.strip():
        raise ValidationError("the file is empty")
    rows = _json_rows(text) if path.suffix.lower() == ".json" else _csv_rows(text)
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"{len(rows):,} rows; at most {MAX_ROWS:,} per file")
    return rows


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 2
    while target.exists() or target.with_name(target.name + REPORT_SUFFIX).exists():
        target = folder / f"{stem}-{number}{suffix}"
        number += 1
    return target


def _move(path: Path, report: FileReport) -> None:
    folder = path.parent / (FAILED if report.failed else DONE)
    folder.mkdir(exist_ok=True)
    target = _free_name(folder, path.name)
    os.replace(path, target)
    report.moved_to = str(target)
    report_path = target.with_name(target.name + REPORT_SUFFIX)
    report.report = str(report_path)
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
    report_path.write_text(f"Read: {stamp}\n" + report.summary_text(), "utf-8")


def process_file(
    db: sqlite_utils.Database,
    path: Path,
    senders: Senders,
    *,
    kind: str | None = None,
    sms_rate: float | None = None,
) -> FileReport:
    """Handle every event of one dropped file, then move it with its report.

    Args:
        path: the file.
        senders: the providers.
        kind: the event kind for rows that name none.
        sms_rate: SMS segments per second.

    Returns:
        The file's report.

    Raises:
        KnownError: the database, keyring or provider failed in a way that stops
            everything; the file stays where it is and is read again next time
            (handled rows are not sent twice).
    """
    report = FileReport(file=path.name)
    try:
        rows = read_rows(path)
    except (ValidationError, OSError) as error:
        report.message = getattr(error, "message", None) or str(error)
        rows = []

    for number, raw in rows:
        if isinstance(raw, str):
            report.rows.append(RowOutcome(number, "refused", raw))
            continue
        try:
            event = core_events.parse_event(raw, source="folder", kind=kind)
            result = triggers.handle_event(db, event, senders, sms_rate=sms_rate)
        except ValidationError as error:
            report.rows.append(RowOutcome(number, "refused", error.message))
            continue
        report.rows.append(
            RowOutcome(number, result.status, result.detail, event.event_id)
        )

    _move(path, report)
    outcome = "failed" if report.failed else "done"
    automation.log_activity(
        db,
        kind="file",
        source="folder",
        ref=path.name,
        outcome=outcome,
        detail=(
            report.message
            or f"{len(report.rows)} rows, {len(report.refused)} refused; report at "
            f"{report.report}"
        ),
    )
    logger.info(
        "dropped file read: %d rows, %d refused, %s",
        len(report.rows),
        len(report.refused),
        outcome,
    )
    return report


def process_folder(
    db: sqlite_utils.Database,
    folder: Path,
    senders: Senders,
    *,
    kind: str | None = None,
    settle_seconds: float = 2.0,
    sms_rate: float | None = None,
) -> list[FileReport]:
    """Handle every file ready in ``folder`` (see :func:`ready_files`).

    Raises:
        ValidationError: ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise ValidationError(f"Watched folder: {folder} is not a folder.")
    return [
        process_file(db, path, senders, kind=kind, sms_rate=sms_rate)
        for path in ready_files(folder, settle_seconds=settle_seconds)
    ]


def watch_folder(
    db: sqlite_utils.Database,
    folder: Path,
    senders: Senders,
    *,
    once: bool = False,
    kind: str | None = None,
    poll_seconds: float = 2.0,
    settle_seconds: float = 2.0,
    stop: Callable[[], bool] | None = None,
    sms_rate: float | None = None,
    on_report: Callable[[FileReport], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[FileReport]:
    """Watch a folder: handle dropped files and send delayed events, until stopped.

    Args:
        once: handle what is there now and return (with ``settle_seconds`` 0
            files are read however new they are).
        poll_seconds: the pause between two looks at the folder.
        stop: asked before each look; True ends the watch.
        on_report: called with each file's report as it is done.
        sleep: how to wait (tests pass their own).

    Returns:
        The reports of every file handled.

    Raises:
        ValidationError: ``folder`` is not a folder.
    """
    reports: list[FileReport] = []
    while stop is None or not stop():
        for report in process_folder(
            db,
            folder,
            senders,
            kind=kind,
            settle_seconds=settle_seconds,
            sms_rate=sms_rate,
        ):
            reports.append(report)
            if on_report is not None:
                on_report(report)
        triggers.send_pending(db, senders, sms_rate=sms_rate)
        if once:
            break
        sleep(poll_seconds)
    return reports
