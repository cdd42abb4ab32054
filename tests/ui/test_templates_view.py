"""The Templates page: the live SMS counter, lookalike replacement, inline errors."""

import json
from pathlib import Path

import pytest
import sqlite_utils

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QImage, QTextCursor, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from desktop_app.core import qr
from desktop_app.core.templates import KNOWN_FIELDS
from desktop_app.services import importing
from desktop_app.storage import templates
from desktop_app.ui.templates import templates_view
from desktop_app.ui.templates.templates_view import TemplatesView
from tests.conftest import SMS_VECTORS
from tests.ui.conftest import CSV_HEADER


def type_text(widget: QWidget, text: str) -> None:
    """Type any text, one key event per character (keyClicks aborts on non-ASCII)."""
    for char in text:
        QTest.sendKeyEvent(
            QTest.KeyAction.Click,
            widget,
            Qt.Key.Key_unknown,
            char,
            Qt.KeyboardModifier.NoModifier,
        )


def make_view(qtbot, db: sqlite_utils.Database) -> TemplatesView:
    view = TemplatesView(db)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_counter_follows_ascii_typing(qtbot, db):
    view = make_view(qtbot, db)
    assert view.counter_label.text().startswith("Empty")

    qtbot.keyClicks(view.sms_edit, "Hello Bob")
    qtbot.waitUntil(lambda: "9 characters" in view.counter_label.text())
    assert view.counter_label.text().startswith("GSM-7")
    assert "1 segment" in view.counter_label.text()
    assert "151 characters left" in view.counter_label.text()
    assert not view.culprit_label.isVisible()

    qtbot.keyClicks(view.sms_edit, "x" * 160)
    qtbot.waitUntil(lambda: "2 segments" in view.counter_label.text())
    assert "169 characters" in view.counter_label.text()


def test_non_ascii_flips_counter_to_ucs2_and_names_culprits(qtbot, db):
    view = make_view(qtbot, db)
    qtbot.keyClicks(view.sms_edit, "Hi ")

    type_text(view.sms_edit, "Zoë ’")

    assert view.sms_edit.toPlainText() == "Hi Zoë ’"
    qtbot.waitUntil(lambda: view.counter_label.text().startswith("UCS-2"))
    assert "8 characters" in view.counter_label.text()
    assert "62 characters left" in view.counter_label.text()
    assert view.culprit_label.isVisible()
    assert "ë" in view.culprit_label.text()
    assert "’" in view.culprit_label.text()
    assert view.replace_button.isVisible() and view.replace_button.isEnabled()
    assert len(view.sms_edit.extraSelections()) == 2


def test_replace_lookalikes_keeps_real_letters(qtbot, db):
    view = make_view(qtbot, db)
    type_text(view.sms_edit, "Zoë’s order — ready…")

    qtbot.mouseClick(view.replace_button, Qt.MouseButton.LeftButton)

    assert view.sms_edit.toPlainText() == "Zoë's order - ready..."
    assert view.counter_label.text().startswith("UCS-2")
    assert "’" not in view.culprit_label.text()
    assert "ë" in view.culprit_label.text()
    assert not view.replace_button.isEnabled()

    view.sms_edit.selectAll()
    type_text(view.sms_edit, "Zoe's order")
    qtbot.waitUntil(lambda: view.counter_label.text().startswith("GSM-7"))
    assert not view.culprit_label.isVisible()


def test_save_stores_template_and_lists_it(qtbot, db):
    view = make_view(qtbot, db)
    qtbot.keyClicks(view.name_edit, "Order ready")
    qtbot.keyClicks(view.sms_edit, "Hi {first_name}, your order is ready.")
    qtbot.keyClicks(view.subject_edit, "Ready")
    qtbot.keyClicks(view.body_edit, "Come by any time.")

    with qtbot.waitSignal(view.template_saved) as blocker:
        qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)

    assert blocker.args == ["Order ready"]
    stored = templates.get_template(db, "Order ready")
    assert stored.sms_body == "Hi {first_name}, your order is ready."
    assert view.template_list.count() == 1
    assert not view.error_label.isVisible()


def test_save_refuses_unknown_merge_field_inline(qtbot, db):
    view = make_view(qtbot, db)
    qtbot.keyClicks(view.name_edit, "Oops")
    qtbot.keyClicks(view.sms_edit, "Hi {frist_name}")

    with qtbot.assertNotEmitted(view.template_saved):
        assert view.save() is False

    assert view.error_label.isVisible()
    assert "SMS text" in view.error_label.text()
    assert "frist_name" in view.error_label.text()
    assert templates.list_templates(db) == []


def test_insert_field_menu_types_into_last_editor(qtbot, db):
    view = make_view(qtbot, db)
    view.subject_edit.setFocus()
    qtbot.waitUntil(view.subject_edit.hasFocus)
    action = next(a for a in view.insert_menu.actions() if a.data() == "first_name")

    action.trigger()

    assert view.subject_edit.text() == "{first_name}"
    assert view.sms_edit.toPlainText() == ""


def test_choosing_a_template_loads_it(qtbot, db):
    templates.save_template(
        db, name="A", sms_body="Text A", email_subject="S", email_body="B"
    )
    templates.save_template(
        db, name="B", sms_body="Text B ’", email_subject="S", email_body="B"
    )
    view = make_view(qtbot, db)

    view.template_list.setCurrentRow(1)

    assert view.name_edit.text() == "B"
    assert view.sms_edit.toPlainText() == "Text B ’"
    assert view.counter_label.text().startswith("UCS-2")


def _vectors() -> list[dict]:
    data = json.loads(
        (SMS_VECTORS / "segment_vectors.json").read_text(encoding="utf-8")
    )
    # QPlainTextEdit stores every line break as "\n" and a no-break space as a plain
    # space, so three vectors cannot be held by the editor as written; the editor's
    # own version of them is checked in test_editor_normalises_breaks_and_nbsp.
    return [v for v in data if "\r" not in v["text"] and "\xa0" not in v["text"]]


@pytest.mark.parametrize("vector", _vectors(), ids=lambda v: v["name"])
def test_counter_matches_every_shared_vector(qtbot, db, vector):
    view = make_view(qtbot, db)

    view.sms_edit.setPlainText(vector["text"])

    assert view.sms_edit.toPlainText() == vector["text"]
    label = view.counter_label.text()
    if vector["segments"] == 0:
        assert label == "Empty: nothing would be sent."
        return
    assert label.startswith(vector["encoding"] + " · ")
    noun = "segment" if vector["segments"] == 1 else "segments"
    assert f"· {vector['segments']} {noun} ·" in label
    assert view.culprit_label.isVisible() == (vector["encoding"] == "UCS-2")


def test_editor_normalises_breaks_and_nbsp(qtbot, db):
    view = make_view(qtbot, db)

    view.sms_edit.setPlainText("Hi\r\nthere a\xa0b")

    assert view.sms_edit.toPlainText() == "Hi\nthere a b"
    assert view.counter_label.text().startswith("GSM-7 · 12 characters · 1 segment")


def set_sms(qtbot, view: TemplatesView, text: str) -> None:
    view.sms_edit.setPlainText(text)
    assert view.sms_edit.toPlainText() == text


def add_contacts(db: sqlite_utils.Database, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        CSV_HEADER
        + "Tomás,Lopez,tomas@example.com,(212) 555-0121,club\n"
        + "Ann,Lee,ann@example.com,(212) 555-0122,club\n"
        + "Bob,Stone,bob@example.com,(212) 555-0123,club\n"
        + "Cy,Hart,cy@example.com,(212) 555-0124,\n",
        encoding="utf-8",
    )
    importing.import_file(db, path, region="US")


def test_empty_sms_turns_save_off_with_a_reason(qtbot, db):
    view = make_view(qtbot, db)

    assert not view.save_button.isEnabled()
    assert view.save_reason_label.isVisible()
    assert "empty" in view.save_reason_label.text()

    qtbot.keyClicks(view.sms_edit, "Hi")
    assert view.save_button.isEnabled()
    assert not view.save_reason_label.isVisible()

    view.sms_edit.setPlainText("\n\n")
    assert not view.save_button.isEnabled()


def test_body_over_1600_characters_is_refused_inline(qtbot, db):
    view = make_view(qtbot, db)

    set_sms(qtbot, view, "a" * 1700)

    assert view.limit_label.isVisible()
    assert "1,700 characters; the limit is 1,600" in view.limit_label.text()
    assert not view.save_button.isEnabled()
    assert "1,700" in view.save_reason_label.text()
    qtbot.keyClicks(view.name_edit, "Too long")
    assert view.save() is False
    assert templates.list_templates(db) == []


def test_more_than_ten_segments_is_warned_strongly(qtbot, db):
    view = make_view(qtbot, db)

    set_sms(qtbot, view, "a" * 1600)

    assert view.limit_label.isVisible()
    assert view.limit_label.text().startswith("Warning: 11 segments")
    assert view.save_button.isEnabled()

    set_sms(qtbot, view, "a" * 1530)
    assert not view.limit_label.isVisible()


def test_typing_accent_highlights_and_breakdown_follows(qtbot, db, tmp_path):
    add_contacts(db, tmp_path)
    view = make_view(qtbot, db)
    view.audience_combo.setCurrentIndex(view.audience_combo.findData("club"))

    qtbot.keyClicks(view.sms_edit, "Hi {first_name}, " + "x" * 62)

    qtbot.waitUntil(lambda: "a name with á" in view.breakdown_label.text())
    text = view.breakdown_label.text()
    assert "most customers: 1 segment; 1 customer: 2 segments" in text
    assert "Total: 4 segments" in text

    type_text(view.sms_edit, "á")

    assert view.counter_label.text().startswith("UCS-2")
    assert len(view.sms_edit.extraSelections()) == 1
    qtbot.waitUntil(
        lambda: "all 3 customers: 2 segments" in view.breakdown_label.text()
    )
    assert view.breakdown is not None and view.breakdown.total_segments == 6


def test_breakdown_covers_everyone_by_default(qtbot, db, tmp_path):
    add_contacts(db, tmp_path)
    view = make_view(qtbot, db)

    qtbot.keyClicks(view.sms_edit, "Hello {first_name}")

    qtbot.waitUntil(lambda: "all 4 customers: 1 segment" in view.breakdown_label.text())
    assert "$0.03" in view.breakdown_label.text()


def test_phone_bubble_marks_two_segments(qtbot, db):
    view = make_view(qtbot, db)

    set_sms(qtbot, view, "x" * 200)

    bubble = view.preview.sms_bubble
    qtbot.waitUntil(lambda: len(bubble.part_labels) == 2)
    assert [len(part) for part in bubble.parts()] == [153, 47]
    assert [c.text() for c in bubble.caption_labels] == [
        "segment 1 of 2",
        "segment 2 of 2",
    ]
    set_sms(qtbot, view, "short")
    qtbot.waitUntil(lambda: len(bubble.part_labels) == 1)
    assert bubble.caption_labels == []


def test_email_preview_shows_qr_image_and_plain_text(qtbot, db, monkeypatch):
    monkeypatch.setattr(templates_view, "ask_qr_value", lambda _parent: "SAVE10")
    view = make_view(qtbot, db)
    qtbot.keyClicks(view.subject_edit, "A gift")
    view.body_edit.setPlainText("Hi **{first_name}**,\n\n")
    view.body_edit.moveCursor(QTextCursor.MoveOperation.End)

    qtbot.mouseClick(view.qr_button, Qt.MouseButton.LeftButton)

    assert view.body_edit.toPlainText().endswith("{qr:SAVE10}")
    preview = view.preview
    qtbot.waitUntil(lambda: "Scan code: SAVE10" in preview.email_text.toPlainText())
    image = preview.email_view.document().resource(
        QTextDocument.ResourceType.ImageResource, QUrl(f"cid:{qr.qr_cid('SAVE10')}")
    )
    assert isinstance(image, QImage) and not image.isNull()
    assert "Ana" in preview.email_view.toPlainText()
    assert preview.email_subject.text() == "A gift"
    preview.email_tabs.setCurrentWidget(preview.email_text)
    assert preview.email_text.isVisible()


def test_qr_value_too_long_is_refused_inline(qtbot, db):
    view = make_view(qtbot, db)

    assert view.insert_qr_code("x" * 600) is False

    assert view.error_label.isVisible()
    assert "QR code" in view.error_label.text()
    assert view.body_edit.toPlainText() == ""


def test_pairing_warning_for_an_amount(qtbot, db):
    view = make_view(qtbot, db)

    qtbot.keyClicks(view.sms_edit, "Your total is $59.90")

    qtbot.waitUntil(lambda: any("$59.90" in text for _k, text in view.check_lines))
    kinds = {kind for kind, _text in view.check_lines}
    assert kinds == {"warning", "tip"}
    assert "belongs in the email" in view.checks_label.text()
    assert "STOP" in view.checks_label.text()
    assert "inbox" in view.checks_label.text()


def test_unknown_field_and_promotion_show_in_checks(qtbot, db):
    view = make_view(qtbot, db)
    view.transactional_check.setChecked(True)

    qtbot.keyClicks(
        view.sms_edit, "Hi {frist_name}, 20% off today. Reply STOP to opt out"
    )

    qtbot.waitUntil(lambda: any(k == "problem" for k, _t in view.check_lines))
    texts = " ".join(text for _kind, text in view.check_lines)
    assert "frist_name" in texts
    assert "promotional wording ('20% off')" in texts
    assert "Reply STOP" not in texts


def test_field_menu_has_labels_examples_fallback_and_custom_fields(qtbot, db, tmp_path):
    path = tmp_path / "custom.csv"
    path.write_text(
        "First Name,Phone,Total Orders\nAnn,(212) 555-0131,3\n", encoding="utf-8"
    )
    importing.import_file(db, path, region="US")
    view = make_view(qtbot, db)

    texts = [action.text() for action in view.insert_menu.actions()]

    assert "First name  {first_name}  (e.g. Ana)" in texts
    assert any("{first_name|there}" in text for text in texts)
    assert "Total orders  {total_orders}  (e.g. 3)" in texts
    names = [a.data() for a in view.insert_menu.actions() if a.data()]
    assert names == [*KNOWN_FIELDS, "total_orders"]


def test_event_fields_of_trigger_rules_are_not_flagged(qtbot, shop_db, data_dir):
    from desktop_app.storage import automation

    automation.ensure_builtin_rules(shop_db)
    view = TemplatesView(shop_db)
    qtbot.addWidget(view)
    view.show()
    view.refresh()
    view.load("Purchase receipt")
    view._update_checks()

    assert "{order_number}" in view.draft().sms_body
    assert not [text for _kind, text in view.check_lines if "unknown merge" in text]
