"""Planning a send: what goes out, what is skipped and why, and what it costs."""

from desktop_app.core import planning
from desktop_app.core.planning import build_plan
from desktop_app.storage.contacts import Contact
from desktop_app.storage.templates import Template

SETTINGS = {
    "shop.name": "Corner Shop",
    "shop.address": "1 Example Street, Springfield",
    "shop.email": "shop@example.com",
    "sms.price_per_segment": "0.01",
}


def _template(sms: str = "Hi {first_name|there}, your receipt is in your inbox.",
              body: str = "Hello {first_name},\n\nThanks.") -> Template:  # fmt: skip
    return Template(
        id=7,
        name="Receipt",
        sms_body=sms,
        email_subject="Your receipt",
        email_body=body,
        transactional=False,
        created_at="",
        updated_at="",
    )


def _contact(contact_id: int, **values: object) -> Contact:
    defaults: dict[str, object] = {
        "first_name": "Ana",
        "phone": f"+1555010{contact_id:04d}"[-12:],
        "phone_kind": "mobile",
        "email": f"c{contact_id}@example.com",
    }
    defaults.update(values)
    return Contact(id=contact_id, **defaults)  # type: ignore[arg-type]


def _by(
    plan: planning.SendPlan, contact_id: int, channel: str
) -> planning.PlannedMessage:
    return next(
        m for m in plan.messages if m.contact_id == contact_id and m.channel == channel
    )


def test_plan_has_one_message_per_contact_and_channel() -> None:
    plan = build_plan([_contact(1), _contact(2)], {}, _template(), SETTINGS)

    assert [(m.contact_id, m.channel) for m in plan.messages] == [
        (1, "sms"), (1, "email"), (2, "sms"), (2, "email"),
    ]  # fmt: skip
    assert plan.to_send == {"sms": 2, "email": 2}
    assert plan.skipped == {}
    sms = _by(plan, 1, "sms")
    assert sms.body == "Hi Ana, your receipt is in your inbox."
    assert (sms.segments, sms.encoding, sms.action) == (1, "GSM-7", "send")
    email = _by(plan, 1, "email")
    assert email.to == "c1@example.com"
    assert email.subject == "Your receipt"
    assert "1 Example Street" in email.body and "<p>Hello Ana,</p>" in email.html


def test_skip_reasons_in_plain_words() -> None:
    contacts = [
        _contact(1, phone=None),
        _contact(2, phone_kind="fixed_line"),
        _contact(3),
        _contact(4, email=None),
        _contact(5),
    ]
    consent = {"sms": {3: "opted_out", 5: "opted_in"}, "email": {5: "opted_out"}}

    plan = build_plan(contacts, consent, _template(), SETTINGS)

    assert _by(plan, 1, "sms").reason == "no phone number"
    assert _by(plan, 1, "sms").to == ""
    assert _by(plan, 2, "sms").reason == "phone is a landline"
    assert _by(plan, 3, "sms").reason == "opted out of SMS"
    assert _by(plan, 4, "email").reason == "no email address"
    assert _by(plan, 5, "email").reason == "unsubscribed from email"
    assert _by(plan, 5, "sms").action == "send"
    assert all(m.action == "skip" for m in plan.messages if m.reason)
    assert plan.skipped == {
        "no phone number": 1,
        "phone is a landline": 1,
        "opted out of SMS": 1,
        "no email address": 1,
        "unsubscribed from email": 1,
    }
    assert plan.to_send == {"sms": 2, "email": 3}


def test_unknown_consent_is_allowed_for_now() -> None:
    plan = build_plan([_contact(1)], {"sms": {1: "unknown"}}, _template(), SETTINGS)
    assert _by(plan, 1, "sms").action == "send"


def test_empty_message_after_merge_is_skipped() -> None:
    plan = build_plan([_contact(1, first_name="")], {}, _template(sms="{first_name}"),
                      SETTINGS)  # fmt: skip
    assert _by(plan, 1, "sms").reason == "message is empty"
    assert _by(plan, 1, "email").action == "send"


def test_custom_field_only_for_contacts_that_have_it() -> None:
    template = _template(sms="Order {order_number} shipped")
    contacts = [_contact(1, custom={"order_number": "1001"}), _contact(2)]

    plan = build_plan(contacts, {}, template, SETTINGS)

    assert _by(plan, 1, "sms").body == "Order 1001 shipped"
    reason = _by(plan, 2, "sms").reason
    assert reason == "merge field problem: SMS text: unknown merge field {order_number}"
    assert _by(plan, 2, "email").action == "send"


def test_email_waits_for_postal_address() -> None:
    settings = {**SETTINGS, "shop.address": ""}
    plan = build_plan([_contact(1)], {}, _template(), settings)
    assert _by(plan, 1, "email").reason == planning.NO_ADDRESS
    assert _by(plan, 1, "sms").action == "send"


def test_totals_segments_cost_and_worst_case() -> None:
    template = _template(sms="Hi {first_name}, " + "x" * 160)
    contacts = [_contact(1, first_name="Al"), _contact(2, first_name="Zoë"),
                _contact(3, phone=None)]  # fmt: skip

    plan = build_plan(contacts, {}, template, SETTINGS)

    assert _by(plan, 1, "sms").segments == 2
    assert (_by(plan, 2, "sms").segments, _by(plan, 2, "sms").encoding) == (3, "UCS-2")
    assert plan.total_segments == 5
    assert plan.worst_case_segments == 3
    assert plan.estimated_cost == 0.05
    text = plan.summary_text()
    assert "2 SMS and 3 emails" in text
    assert "Skipped 1: no phone number" in text
    assert "$0.05" in text
