"""Send the owner a "Welcome" text and email through the normal queue (Qt-free).

The owner becomes a contact by the same import path customers take (numbers read with
the shop's default country, consent recorded with its source), so the test goes
through the plan, the consent rules, quiet hours and the outbox exactly as a real
campaign would.
"""

import csv
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from desktop_app.errors import ValidationError
from desktop_app.ui.first_run import texts

logger = logging.getLogger(__name__)

TEST_TAG = "duet-test"
CONTACT_FILE = "first-run-test-contact.csv"


@dataclass(frozen=True)
class TestPairRequest:
    """What the owner typed: their first name, mobile number and email."""

    first_name: str
    phone: str
    email: str


def send_test_pair(database: Path, data_dir: Path, request: TestPairRequest) -> object:
    """Add the owner as a contact, make the Welcome pair and send it.

    Runs on a worker thread with its own connection.

    Args:
        database: the database file.
        data_dir: Duet's data folder (the outbox is inside).
        request: the owner's details.

    Returns:
        The campaign's ``SendSummary``.

    Raises:
        ValidationError: neither a phone nor an email, or the import refused them.
    """
    from desktop_app.services import importing
    from desktop_app.services.sending import send_campaign
    from desktop_app.storage import templates
    from desktop_app.storage.database import open_database

    if not request.phone.strip() and not request.email.strip():
        raise ValidationError(texts.TEST_NEED_ONE)

    db = open_database(database)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / CONTACT_FILE
            with path.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(
                    ["First Name", "Phone", "Email", "Tags", "SMS Consent",
                     "Email Consent"]
                )  # fmt: skip
                writer.writerow(
                    [request.first_name.strip() or "Me", request.phone.strip(),
                     request.email.strip(), TEST_TAG, "yes", "yes"]
                )  # fmt: skip
            report = importing.import_file(db, path)
        if report.rejected:
            reasons = "; ".join(
                str(row.get("reason") or row) for row in report.rejected_rows
            )
            raise ValidationError(f"Your details were not accepted: {reasons}")

        known = {template.name for template in templates.list_templates(db)}
        if texts.WELCOME_NAME not in known:
            templates.save_template(
                db,
                name=texts.WELCOME_NAME,
                sms_body=texts.WELCOME_SMS,
                email_subject=texts.WELCOME_SUBJECT,
                email_body=texts.WELCOME_BODY,
            )
        summary = send_campaign(
            db,
            data_dir=data_dir,
            template_name=texts.WELCOME_NAME,
            tag=TEST_TAG,
            use_outbox=True,
            again=True,  # the owner may try the test pair as often as they like
        )
    finally:
        db.close()
    logger.debug("test pair sent: %s", summary.summary_text())
    return summary
