"""The contact page of a contact without a name, and consent without an address.

Tester 2, items 6 and 11: a contact a JOIN reply created has only its number, which
then heads its page; the consent dialog refuses an opt-in for a channel the contact
has no number or address for, and lets it opt out.
"""

from PySide6.QtWidgets import QDialog

from desktop_app.storage import consent
from desktop_app.storage.database import utc_now
from desktop_app.ui.contacts.contact_detail_view import ContactDetailDialog


def _contact(db, **values: object) -> int:
    row: dict[str, object] = {"created_at": utc_now(), "updated_at": utc_now()}
    row.update(values)
    return int(db["contacts"].insert(row).last_pk)


def _page(qtbot, db, contact_id: int) -> ContactDetailDialog:
    page = ContactDetailDialog(db, contact_id, "US")
    qtbot.addWidget(page)
    return page


def test_a_contact_without_a_name_is_headed_by_its_number(qtbot, file_db):
    joined = _contact(
        file_db,
        phone="+15550100150",
        phones='[{"e164": "+15550100150", "raw": "+15550100150"}]',
    )

    page = _page(qtbot, file_db, joined)

    assert page.windowTitle() == "+15550100150"
    assert page.name_label.text() == "<h2>+15550100150</h2>"
    dialog = page.open_consent_dialog()
    assert dialog.windowTitle() == "Change consent for +15550100150"


def test_consent_dialog_refuses_sms_consent_without_a_phone(qtbot, file_db):
    email_only = _contact(
        file_db,
        first_name="Mail",
        email="mail@example.com",
        emails='["mail@example.com"]',
    )
    page = _page(qtbot, file_db, email_only)
    assert page.windowTitle() == "Mail"

    dialog = page.open_consent_dialog()
    dialog.set_choice("sms", "opted_in", "signed the form")
    assert not dialog.save()
    assert dialog.error_label.text() == (
        "This contact has no phone number; add one before recording SMS consent."
    )
    assert consent.consent_history(file_db, email_only) == []

    dialog.set_choice("sms", "opted_out")
    assert dialog.save()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert consent.current_consent(file_db, email_only, "sms") == "opted_out"
