"""Import contacts from a CSV or vCard file, atomically and undoably.

The file is read and checked completely before anything is written; then one
transaction adds the import batch, new contacts, changed contacts (with a snapshot of
each before the change) and consent evidence. ``undo_import`` reverses a batch.
"""

import gc
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlite_utils

from desktop_app.core import emails as email_rules
from desktop_app.core import phones as phone_rules
from desktop_app.core.contact_import import mapping as column_mapping
from desktop_app.core.contact_import import merging, reading, vcard
from desktop_app.core.contact_import.csv_records import split_csv
from desktop_app.core.contact_import.records import ConsentValue, RawRecord
from desktop_app.errors import ValidationError
from desktop_app.storage import consent as consent_store
from desktop_app.storage import contacts as contact_store
from desktop_app.storage import imports as import_store
from desktop_app.storage.database import utc_now
from desktop_app.storage.settings import get_setting

logger = logging.getLogger(__name__)

ImportBatch = import_store.ImportBatch
Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]

EMPTY_MESSAGE = "The file is empty."
HEADER_ONLY_MESSAGE = "The file has a header but no data rows."
NO_CARDS_MESSAGE = "The file has no vCards in it."
CANCELLED_MESSAGE = "Import cancelled; nothing was changed."
_CHECK_EVERY = 1000
_ENCODER = json.JSONEncoder(ensure_ascii=False)
_STORED_WARNINGS = 1000
_SCALARS = ("first_name", "last_name", "full_name", "company", "country")


@dataclass
class ImportReport:
    """What an import did (or would do), row by row where it matters."""

    file: str
    format: str = "generic"
    layout: str = ""
    encoding: str | None = None
    rows: int = 0
    imported: int = 0
    merged: int = 0
    rejected: int = 0
    skipped: int = 0
    updated: int = 0
    rejected_rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    mapping: dict[str, Any] = field(default_factory=dict)
    import_id: int | None = None
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the report as one JSON object."""
        return {
            "file": self.file,
            "format": self.format,
            "layout": self.layout,
            "encoding": self.encoding,
            "rows": self.rows,
            "imported": self.imported,
            "merged": self.merged,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "updated": self.updated,
            "rejected_rows": self.rejected_rows,
            "warnings": self.warnings,
            "mapping": self.mapping,
            "import_id": self.import_id,
            "message": self.message,
        }

    def summary_text(self) -> str:
        """Return a few plain lines for the command line."""
        lines = [f"{self.file} ({self.format})"]
        if self.message:
            lines.append(self.message)
        lines.append(
            f"{self.rows} rows: {self.imported} new contacts, {self.merged} merged, "
            f"{self.rejected} rejected, {self.skipped} blank rows skipped."
        )
        for rejected in self.rejected_rows[:20]:
            lines.append(f"  row {rejected['row']}: {rejected['reason']}")
        if len(self.rejected_rows) > 20:
            lines.append(f"  ... and {len(self.rejected_rows) - 20} more rejected rows")
        if self.warnings:
            lines.append(f"{len(self.warnings)} warnings (see --json for each).")
        return "\n".join(lines)


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise ValidationError(f"Duet cannot find the file {path}.") from error
    except IsADirectoryError as error:
        raise ValidationError(f"{path} is a folder, not a contacts file.") from error
    except OSError as error:
        raise ValidationError(
            f"Duet cannot read {path.name}: {error.strerror or error}."
        ) from error


def _looks_like_vcard(path: Path, text: str) -> bool:
    if path.suffix.lower() in (".vcf", ".vcard"):
        return True
    return "BEGIN:VCARD" in text[:4096].upper()


def _refuse_binary(path: Path, data: bytes) -> None:
    if data[:4] == b"PK\x03\x04":
        raise ValidationError(
            f"{path.name} is an Excel workbook or other zip file. "
            "Save it as CSV (or vCard) and import that file."
        )
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ValidationError(
            f"{path.name} is an old Excel workbook. Save it as CSV and import that file."
        )


def _check_text(path: Path, text: str) -> None:
    sample = text[:20000]
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ch < " " and ch not in "\r\n\t"))
    if sample and bad > len(sample) * 0.05:
        raise ValidationError(
            f"{path.name} does not look like a CSV or vCard text file "
            "(it holds unreadable bytes)."
        )


@dataclass
class _Parsed:
    """Records read from a file, plus what the report needs to know about it."""

    records: Iterator[RawRecord]
    fmt: str
    layout: str
    mapping: dict[str, Any]
    total: int
    header: list[str] = field(default_factory=list)


def _csv_records(
    path: Path, text: str, overrides: dict[str, str] | None
) -> _Parsed | str:
    table = split_csv(text)
    if table is None:
        return EMPTY_MESSAGE
    mapping = column_mapping.build_mapping(table.header, overrides)
    records = table.records()
    first = next(records, None)
    if first is None:
        return HEADER_ONLY_MESSAGE
    if not mapping.indices.get("email") and not mapping.indices.get("phone"):
        raise ValidationError(
            f"{path.name}: no column of the header on line {table.header_line} holds "
            "e-mail addresses or phone numbers. Columns found: "
            + ", ".join(table.header[:12])
        )

    def generate() -> Iterator[RawRecord]:
        number = 1
        current: list[str] | None = first
        while current is not None:
            following = next(records, None)
            record = column_mapping.row_to_record(current, mapping, number)
            if table.truncated and following is None:
                record.truncated = True
                record.blank = False
            yield record
            current = following
            number += 1

    # Records never outnumber lines, so the line count bounds the progress total.
    lines = text.count("\n") - table.header_line + (0 if text.endswith("\n") else 1)
    total = max(lines, 1)
    return _Parsed(
        generate(),
        mapping.format,
        mapping.layout,
        mapping.to_json(),
        total,
        table.header,
    )


def _vcard_records(text: str) -> _Parsed | str:
    cards = vcard.read_vcards(text)
    if not cards:
        return NO_CARDS_MESSAGE
    return _Parsed(iter(cards), "vcard", "vcard", {}, len(cards))


def _resolve_region(db: sqlite_utils.Database, region: str | None) -> str:
    chosen = (region or get_setting(db, "phones.default_region") or "US").upper()
    if not phone_rules.is_supported_region(chosen):
        raise ValidationError(f"'{chosen}' is not a country code Duet knows, e.g. US.")
    return chosen


def import_file(
    db: sqlite_utils.Database,
    path: Path,
    *,
    region: str | None = None,
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    mapping_overrides: dict[str, str] | None = None,
) -> ImportReport:
    """Import every contact in a CSV or vCard file, in one transaction.

    Args:
        db: the open database.
        path: the file.
        region: country for numbers without a +code (default: the setting
            ``phones.default_region``).
        progress: called with (records done, records in all) now and then.
        cancel: polled now and then; returning True abandons the import.
        mapping_overrides: header name -> role, chosen by the user.

    Returns:
        The report. Empty and header-only files give a report with a message.

    Raises:
        ValidationError: the file cannot be read, is not a contacts file, the
            region is unknown, or the import was cancelled (nothing is changed).
    """
    path = Path(path)
    chosen_region = _resolve_region(db, region)
    report = ImportReport(file=path.name)
    parsed = _open(path, report, mapping_overrides)
    if parsed is None:
        return report

    # The cyclic garbage collector would rescan the 100,000s of small objects an
    # import holds again and again (a quarter of the time); they form no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        grouper = merging.Grouper(_existing_contacts(db))
        kept = _check_all(parsed, chosen_region, report, grouper, progress, cancel)
        _write(db, path, report, grouper, kept, cancel)
    finally:
        if collecting:
            gc.enable()
    logger.info(
        "imported %s: %d new, %d merged, %d rejected",
        path.name,
        report.imported,
        report.merged,
        report.rejected,
    )
    return report


def _open(
    path: Path, report: ImportReport, overrides: dict[str, str] | None
) -> _Parsed | None:
    """Read and decode the file and recognise its layout, filling in ``report``.

    Returns:
        The records to import, or None for an empty or header-only file (the
        report's ``message`` says which).
    """
    data = _read_file(path)
    if not data.strip():
        report.message = EMPTY_MESSAGE
        return None
    _refuse_binary(path, data)

    is_vcard = _looks_like_vcard(path, data[:4096].decode("latin-1"))
    text, report.encoding = reading.decode_bytes(data, vcard=is_vcard)
    del data
    _check_text(path, text)
    parsed = _vcard_records(text) if is_vcard else _csv_records(path, text, overrides)
    if isinstance(parsed, str):
        report.format = "vcard" if is_vcard else "generic"
        report.message = parsed
        return None
    report.format, report.layout = parsed.fmt, parsed.layout
    report.mapping = parsed.mapping
    return parsed


@dataclass
class ImportPreview:
    """What the import wizard shows before anything is written."""

    report: ImportReport
    header: list[str]
    rows: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """Return the preview as plain JSON values."""
        return {
            "file": self.report.file,
            "format": self.report.format,
            "layout": self.report.layout,
            "encoding": self.report.encoding,
            "message": self.report.message,
            "header": self.header,
            "mapping": self.report.mapping,
            "rows": self.rows,
        }


def preview_file(
    db: sqlite_utils.Database,
    path: Path,
    *,
    region: str | None = None,
    mapping_overrides: dict[str, str] | None = None,
    limit: int = 20,
) -> ImportPreview:
    """Show the detected layout and the first records as they would be stored.

    Nothing is written and nothing is merged; each row is checked on its own.

    Args:
        db: the open database (for the default region).
        path: the file.
        region: country for numbers without a +code.
        mapping_overrides: header name -> role, as for :func:`import_file`.
        limit: how many records to show.

    Returns:
        The preview: detected format, the header with each column's role, and per
        record either the values to store or the reason it would be rejected.

    Raises:
        ValidationError: the file cannot be read or is not a contacts file.
    """
    path = Path(path)
    chosen_region = _resolve_region(db, region)
    report = ImportReport(file=path.name)
    parsed = _open(path, report, mapping_overrides)
    if parsed is None:
        return ImportPreview(report, [], [])
    rows: list[dict[str, Any]] = []
    for raw in parsed.records:
        if len(rows) >= limit:
            break
        if raw.blank:
            continue
        checked = merging.check_record(raw, chosen_region)
        if isinstance(checked, merging.Rejection):
            rows.append({"row": checked.row, "rejected": checked.reason})
            continue
        values = merging.fold_records([checked])
        phone, kind = merging.primary_phone(values["phones"])
        rows.append(
            {
                "row": checked.row,
                "rejected": None,
                **values,
                "phone": phone,
                "phone_kind": kind,
                "email": values["emails"][0] if values["emails"] else None,
            }
        )
    return ImportPreview(report, parsed.header, rows)


def _check_all(
    parsed: _Parsed,
    region: str,
    report: ImportReport,
    grouper: merging.Grouper,
    progress: Progress | None,
    cancel: Cancel | None,
) -> int:
    kept = 0
    for index, raw in enumerate(parsed.records, start=1):
        if index % _CHECK_EVERY == 0:
            if cancel is not None and cancel():
                raise ValidationError(CANCELLED_MESSAGE)
            if progress is not None:
                progress(min(index, parsed.total), parsed.total)
        if raw.blank:
            report.skipped += 1
            continue
        report.rows += 1
        checked = merging.check_record(raw, region)
        if isinstance(checked, merging.Rejection):
            report.rejected_rows.append(
                {"row": checked.row, "reason": checked.reason, "field": checked.column}
            )
            continue
        kept += 1
        for column, message in checked.warnings:
            report.warnings.append(
                {"row": raw.row, "field": column, "message": message}
            )
        grouper.add(checked)
    report.rejected = len(report.rejected_rows)
    if progress is not None:
        progress(parsed.total, parsed.total)
    return kept


def _existing_contacts(db: sqlite_utils.Database) -> list[merging.ExistingContact]:
    found = []
    cursor = db.execute(
        "SELECT id, first_name, last_name, full_name, email_key, emails, phones "
        "FROM contacts"
    )
    for contact_id, first, last, full, key, emails, phones in cursor:
        name = full or " ".join(part for part in (first, last) if part)
        keys = [email_rules.email_key(address) for address in json.loads(emails)]
        if key and key not in keys:
            keys.insert(0, key)
        numbers = [
            (entry.get("e164"), _digits(entry.get("raw") or ""))
            for entry in json.loads(phones)
        ]
        found.append(
            merging.ExistingContact(contact_id, merging.name_key(name), keys, numbers)
        )
    return found


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _phone_key(entry: dict[str, Any]) -> str:
    number = entry.get("e164") or _digits(entry.get("raw") or "")
    return f"{number}x{entry.get('extension') or ''}"


def _json(value: Any) -> str:
    """Encode a JSON column (one shared encoder: json.dumps builds one per call)."""
    if not value:
        return "{}" if isinstance(value, dict) else "[]"
    return _ENCODER.encode(value)


def _new_row(
    values: dict[str, Any], contact_id: int, import_id: int, now: str
) -> dict[str, Any]:
    phone, kind = merging.primary_phone(values["phones"])
    email = values["emails"][0] if values["emails"] else None
    return {
        "id": contact_id,
        **{name: values[name] for name in _SCALARS},
        "phone": phone,
        "phone_kind": kind,
        "phones": _json(values["phones"]),
        "email": email,
        "email_key": email_rules.email_key(email) if email else None,
        "emails": _json(values["emails"]),
        "tags": _json(values["tags"]),
        "timezone": values.get("timezone") or "",
        "custom": _json(values["custom"]),
        "warnings": _json(values["warnings"]),
        "source_import": import_id,
        "created_at": now,
        "updated_at": now,
    }


def _merged_row(
    before: dict[str, Any], values: dict[str, Any], now: str
) -> dict[str, Any]:
    """Return ``before`` updated with the file's values; empty values erase nothing."""
    row = dict(before)
    for name in _SCALARS:
        if values[name]:
            row[name] = values[name]

    emails = json.loads(before["emails"])
    keys = {email_rules.email_key(address) for address in emails}
    emails += [a for a in values["emails"] if email_rules.email_key(a) not in keys]
    phones = json.loads(before["phones"])
    phone_keys = {_phone_key(entry) for entry in phones}
    phones += [p for p in values["phones"] if _phone_key(p) not in phone_keys]
    tags = json.loads(before["tags"])
    tag_keys = {tag.casefold() for tag in tags}
    tags += [tag for tag in values["tags"] if tag.casefold() not in tag_keys]
    custom = {**json.loads(before["custom"]), **values["custom"]}
    if not before["timezone"] and values.get("timezone"):
        row["timezone"] = values["timezone"]
    warnings = json.loads(before["warnings"])
    warnings += [w for w in values["warnings"] if w not in warnings]

    email = before["email"] or (emails[0] if emails else None)
    phone, kind = merging.primary_phone(phones)
    row.update(
        phone=phone,
        phone_kind=kind,
        phones=_json(phones),
        email=email,
        email_key=email_rules.email_key(email) if email else None,
        emails=_json(emails),
        tags=_json(tags),
        custom=_json(custom),
        warnings=_json(warnings),
    )
    if row != before:
        row["updated_at"] = now
    return row


def _file_consent(
    records: list[merging.CheckedRecord],
) -> dict[str, tuple[str, int, ConsentValue]]:
    """Return channel -> (status, row, evidence); an explicit opt-out wins.

    Among cells that say nothing certain, an explicit "no" is preferred, so a
    withdrawal of earlier consent is seen.
    """
    rank = {"opted_out": 3.0, "opted_in": 2.0, "unknown": 1.0}
    chosen: dict[str, tuple[str, int, ConsentValue]] = {}
    for record in records:
        for value in record.consent:
            current = chosen.get(value.channel)
            if current is None or _rank(rank, value) > _rank(rank, current[2]):
                chosen[value.channel] = (value.status, record.row, value)
    return chosen


def _rank(rank: dict[str, float], value: ConsentValue) -> float:
    return rank[value.status] + (0.5 if value.refusal else 0.0)


# Email status cells that say the address bounced (Square's "bounced", Mailchimp's
# cleaned contacts): such an address is skipped like one a mail server refused.
_BOUNCED_WORDS = frozenset(
    {"bounced", "bounce", "hardbounce", "hardbounced", "cleaned", "undeliverable"}
)


def _bounce_event(
    file_name: str,
    contact: dict[str, Any],
    records: list[merging.CheckedRecord],
    now: str,
) -> dict[str, Any] | None:
    """Return a ``bounce`` event when the file says the contact's email bounced."""
    if not contact["email"]:
        return None
    for record in records:
        for value in record.consent:
            # A bounce reads as "unknown" consent; most cells are not one.
            if value.channel != "email" or value.status != "unknown" or not value.value:
                continue
            text = "".join(c for c in value.value.casefold() if c.isalnum())
            column = "".join(c for c in value.column.casefold() if c.isalnum())
            if text in _BOUNCED_WORDS or (text and column == "cleantime"):
                return {
                    "kind": "bounce",
                    "contact_id": contact["id"],
                    "body": "",
                    "data": json.dumps(
                        {
                            "address": contact["email"],
                            "status": (
                                f"{file_name} row {record.row}: "
                                f"{value.column}={value.value}"
                            ),
                            "source": "import",
                        },
                        ensure_ascii=False,
                    ),
                    "created_at": now,
                }
    return None


def _consent_rows(
    file_name: str,
    contact: dict[str, Any],
    records: list[merging.CheckedRecord],
    current: dict[str, dict[int, str]],
    import_id: int,
    now: str,
    report: ImportReport,
) -> list[tuple[Any, ...]]:
    rows = []
    contact_id = contact["id"]
    for channel, (status, row, value) in _file_consent(records).items():
        stored = current[channel].get(contact_id)
        evidence = f"{file_name} row {row}: {value.column}={value.value}"
        to = contact["phone"] if channel == "sms" else contact["email"]
        if stored == "opted_in" and status == "unknown" and value.refusal:
            rows.append(
                (contact_id, channel, "opted_out", "import",
                 f"{evidence} (this customer had agreed before)", import_id, now, to)
            )  # fmt: skip
            report.warnings.append(_withdrawal_warning(row, channel, value))
            continue
        if stored == status:
            continue
        if status == "opted_in" and not to:
            # Consent must be about a number or address: a phone added later is
            # never texted on a "yes" given while the contact had none.
            report.warnings.append(_no_address_warning(row, channel, value))
            continue
        if stored == "opted_out":
            if status == "opted_in":
                report.warnings.append(
                    {
                        "row": row,
                        "field": value.column,
                        "message": (
                            f"{value.column}={value.value} ignored: this customer opted "
                            f"out of {channel} earlier, and an import never undoes an "
                            "opt-out."
                        ),
                    }
                )
            continue
        if status == "unknown" and stored is not None:
            continue
        rows.append(
            (contact_id, channel, status, "import", evidence, import_id, now, to)
        )
    return rows


def _no_address_warning(row: int, channel: str, value: ConsentValue) -> dict[str, Any]:
    what = "phone number" if channel == "sms" else "email address"
    return {
        "row": row,
        "field": value.column,
        "message": (
            f"{value.column}={value.value} ignored: the row has no usable {what}, "
            f"so there is nothing to record {consent_store.CHANNEL_NAMES[channel]} "
            "consent for."
        ),
    }


def _withdrawal_warning(row: int, channel: str, value: ConsentValue) -> dict[str, Any]:
    label = consent_store.CHANNEL_NAMES[channel]
    return {
        "row": row,
        "field": value.column,
        "message": (
            f"{value.column}={value.value}: this customer had agreed to {label} "
            f"before and no longer does; Duet records the opt-out and stops "
            f"sending {label}."
        ),
    }


def _suppressed(
    known: dict[str, dict[str, consent_store.DeletedOptOut]],
    contact_id: int,
    records: list[merging.CheckedRecord],
    current: dict[str, dict[int, str]],
    import_id: int,
    now: str,
    report: ImportReport,
) -> list[tuple[Any, ...]]:
    """Give a new contact the opt-outs without a contact of its phone or email.

    Those are the opt-outs of deleted contacts and of numbers or addresses no
    contact had (a STOP from a stranger), see ``consent.deleted_opt_outs``.

    The rows come before the file's own consent rows, so a "yes" in the file is
    then refused like any opt-in after an opt-out.
    """
    rows = []
    for record in records:
        phones = [entry.result.e164 for entry in record.phones]
        for opt_out in consent_store.matching_opt_outs(known, phones, record.emails):
            if current[opt_out.channel].get(contact_id) == "opted_out":
                continue
            current[opt_out.channel][contact_id] = "opted_out"
            rows.append(
                consent_store.suppression_row(contact_id, opt_out, now, import_id)
            )
            label = consent_store.CHANNEL_NAMES[opt_out.channel]
            report.warnings.append(
                {
                    "row": record.row,
                    "field": None,
                    "message": (
                        f"{opt_out.recipient} opted out of {label} on {opt_out.day}, "
                        "before this contact was added; the opt-out is kept."
                    ),
                }
            )
    return rows


def _suppressed_gains(
    known: dict[str, dict[str, consent_store.DeletedOptOut]],
    before: dict[str, Any],
    after: dict[str, Any],
    row: int,
    current: dict[str, dict[int, str]],
    import_id: int,
    now: str,
    report: ImportReport,
) -> list[tuple[Any, ...]]:
    """Give a merged contact the opt-outs of numbers or emails the file added.

    Like :func:`_suppressed` for new contacts, the rows come before the file's
    own consent rows, so a "yes" in the file is refused.
    """
    contact_id = int(before["id"])
    rows = []
    for opt_out in consent_store.gained_opt_outs(known, before, after):
        if current[opt_out.channel].get(contact_id) == "opted_out":
            continue
        current[opt_out.channel][contact_id] = "opted_out"
        rows.append(
            consent_store.suppression_row(
                contact_id, opt_out, now, import_id, gained=True
            )
        )
        label = consent_store.CHANNEL_NAMES[opt_out.channel]
        report.warnings.append(
            {
                "row": row,
                "field": None,
                "message": (
                    f"{opt_out.recipient} opted out of {label} on {opt_out.day}, "
                    "before this contact had it; the opt-out is kept."
                ),
            }
        )
    return rows


def _write(
    db: sqlite_utils.Database,
    path: Path,
    report: ImportReport,
    grouper: merging.Grouper,
    kept: int,
    cancel: Cancel | None,
) -> None:
    groups: list[tuple[int | None, list[merging.CheckedRecord]] | None]
    groups = list(grouper.groups())
    grouper.release()
    new_groups = [group for group in groups if group is not None and group[0] is None]
    for row, message in merging.possible_duplicates(new_groups):  # type: ignore[arg-type]
        report.warnings.append({"row": row, "field": None, "message": message})
    del new_groups
    db_ids = [group[0] for group in groups if group and group[0] is not None]
    before_rows: dict[int, dict[str, Any]] = {}
    if db_ids:
        before_rows = {row["id"]: row for row in contact_store.raw_contact_rows(db)}
    current = {
        channel: consent_store.consent_map(db, db_ids, channel) if db_ids else {}
        for channel in consent_store.CHANNELS
    }
    known = consent_store.deleted_opt_outs(db)
    suppressing = any(known.values())
    now = utc_now()

    with db.atomic():
        import_id = import_store.create_import(
            db, path.name, report.format, report.mapping
        )
        next_id = contact_store.next_contact_id(db)
        new_rows: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        snapshots: list[tuple[int, dict[str, Any]]] = []
        consent_rows: list[tuple[Any, ...]] = []
        created: list[int] = []
        bounces: list[dict[str, Any]] = []
        for index, group in enumerate(groups):
            assert group is not None
            db_id, records = group
            groups[index] = None  # free each group once written
            if index % _CHECK_EVERY == 0:
                if cancel is not None and cancel():
                    raise ValidationError(CANCELLED_MESSAGE)
                _flush(db, new_rows, consent_rows, created)
            values = merging.fold_records(records)
            if db_id is None:
                contact_id = next_id
                next_id += 1
                contact = _new_row(values, contact_id, import_id, now)
                new_rows.append(contact)
                if suppressing:
                    consent_rows += _suppressed(
                        known, contact_id, records, current, import_id, now, report
                    )
            else:
                contact_id = db_id
                before = before_rows[db_id]
                contact = _merged_row(before, values, now)
                if contact != before:
                    changed.append(contact)
                    snapshots.append((db_id, before))
                    if suppressing:
                        consent_rows += _suppressed_gains(
                            known, before, contact, records[0].row, current,
                            import_id, now, report,
                        )  # fmt: skip
            consent_rows += _consent_rows(
                path.name, contact, records, current, import_id, now, report
            )
            bounce = _bounce_event(path.name, contact, records, now)
            if bounce is not None:
                bounces.append(bounce)

        _flush(db, new_rows, consent_rows, created)
        db.conn.executemany(
            "INSERT INTO events (kind, contact_id, body, data, created_at)"
            " VALUES (:kind, :contact_id, :body, :data, :created_at)",
            bounces,
        )
        contact_store.replace_contact_rows(
            db, changed, import_id=import_id, before=before_rows
        )
        import_store.record_changes(db, import_id, created, snapshots)
        report.import_id = import_id
        report.imported = len(created)
        report.merged = kept - len(created)
        report.updated = len(changed)
        if cancel is not None and cancel():
            raise ValidationError(CANCELLED_MESSAGE)
        import_store.save_report(db, import_id, _stored_report(report))


def _flush(
    db: sqlite_utils.Database,
    new_rows: list[dict[str, Any]],
    consent_rows: list[tuple[Any, ...]],
    created: list[int],
) -> None:
    """Write the rows gathered so far and empty the lists (keeps memory flat)."""
    if new_rows:
        contact_store.insert_contact_rows(db, new_rows, suppress=False)
        created.extend(row["id"] for row in new_rows)
        new_rows.clear()
    if consent_rows:
        import_store.insert_consent_rows(db, consent_rows)
        consent_rows.clear()


def _stored_report(report: ImportReport) -> dict[str, Any]:
    """Return the report as stored with the batch: at most 1000 warnings."""
    stored = report.to_json()
    if len(report.warnings) > _STORED_WARNINGS:
        stored["warnings"] = report.warnings[:_STORED_WARNINGS]
        stored["warnings_total"] = len(report.warnings)
    return stored


def list_imports(db: sqlite_utils.Database) -> list[ImportBatch]:
    """Return every import batch, newest first.

    Args:
        db: the open database.
    """
    return import_store.list_imports(db)


def undo_import(db: sqlite_utils.Database, import_id: int) -> ImportBatch:
    """Reverse one import in one transaction, leaving the contacts as before it.

    Args:
        db: the open database.
        import_id: the batch to undo.

    Contacts who opted out of a channel are kept and opt-outs stay in force
    (``storage.imports.undo_import_changes``); the consent ledger only grows.

    Returns:
        The batch, now marked undone, with ``undo`` saying what was done.

    Raises:
        ValidationError: no such import, already undone, or a later import changed
            the same contacts.
    """
    with db.atomic():
        outcome = import_store.undo_import_changes(db, import_id)
    batch = replace(import_store.get_import(db, import_id), undo=outcome)
    logger.info(
        "undid import %d: %d contacts removed, %d restored, %d kept (opted out)",
        import_id,
        outcome.deleted,
        outcome.restored,
        outcome.kept_contacts,
    )
    return batch
