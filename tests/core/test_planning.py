"""Planning a send: what goes out, what waits, what is skipped and why, and the cost."""

from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.core import planning
from desktop_app.core.planning import build_plan
from desktop_app.storage.contacts import Contact
from desktop_app.storage.templates import Template

SETTINGS = {
    "shop.name": "Corner Shop",
    "shop.address": "1 Example Street, Springfield",
    "shop.email": "shop@example.com",
    "shop.timezone": "America/Chicago",
    "sms.price_per_segment": "0.01",
}
# Saturday 7 March 2026, 18:00 UTC: 12:00 in Chicago, 13:00 in Miami. Allowed.
NOON = datetime(2026, 3, 7, 18, 0, tzinfo=UTC)
# The night before the US clocks go forward (Sunday 8 March 2026, 02:00 local).
NIGHT_BEFORE_DST = datetime(2026, 3, 7, 6, 0, tzinfo=UTC)
NIGHT_OF_DST = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)
# Sunday 1 November 2026, 05:30 UTC: 01:30 EDT, just before the clocks go back.
NIGHT_OF_FALL_BACK = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)

MIAMI = "+13055550123"  # Florida rule: 08:00-20:00
AUSTIN = "+15125550142"  # Texas rule: 09:00-21:00, Sundays from noon
HARTFORD = "+18605550111"  # Connecticut rule: 09:00-20:00
PARIS = "+33639980012"  # France: no marketing SMS on Sundays and holidays

STOP = " Corner Shop: Reply STOP to opt out."


def _template(sms: str = "Hi {first_name|there}, your receipt is in your inbox.",
              body: str = "Hello {first_name},\n\nThanks.",
              transactional: bool = False) -> Template:  # fmt: skip
    return Template(
        id=7,
        name="Receipt",
        sms_body=sms,
        email_subject="Your receipt",
        email_body=body,
        transactional=transactional,
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


def _real(contacts: list[Contact], consent: dict[str, dict[int, str]] | None = None,
          template: Template | None = None, now: datetime = NOON,
          **kwargs: object) -> planning.SendPlan:  # fmt: skip
    """Plan for a real provider (not test mode) at a fixed time."""
    return build_plan(
        contacts,
        consent if consent is not None else {},
        template or _template(),
        kwargs.pop("settings", SETTINGS),  # type: ignore[arg-type]
        template_name="Receipt",
        template_id=7,
        test_mode=False,
        now=now,
        **kwargs,  # type: ignore[arg-type]
    )


def _opted_in(*ids: int) -> dict[str, dict[int, str]]:
    return {"sms": dict.fromkeys(ids, "opted_in")}


# --- what the plan holds ----------------------------------------------------------


def test_plan_has_one_message_per_contact_and_channel() -> None:
    # Changed for #6: an SMS to a contact never texted before gets the STOP wording.
    plan = _real([_contact(1), _contact(2)], _opted_in(1, 2))

    assert [(m.contact_id, m.channel) for m in plan.messages] == [
        (1, "sms"), (1, "email"), (2, "sms"), (2, "email"),
    ]  # fmt: skip
    assert plan.to_send == {"sms": 2, "email": 2}
    assert plan.skipped == {}
    sms = _by(plan, 1, "sms")
    assert sms.body == "Hi Ana, your receipt is in your inbox." + STOP
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
        _contact(6),
    ]
    consent = {
        "sms": {3: "opted_out", 4: "opted_in", 5: "opted_in"},
        "email": {5: "opted_out"},
    }

    plan = _real(contacts, consent)

    assert _by(plan, 1, "sms").reason == "no phone number"
    assert _by(plan, 1, "sms").to == ""
    assert _by(plan, 2, "sms").reason == "phone is a landline"
    assert _by(plan, 3, "sms").reason == "opted out of SMS"
    assert _by(plan, 4, "email").reason == "no email address"
    assert _by(plan, 5, "email").reason == "unsubscribed from email"
    assert _by(plan, 6, "sms").reason == "no SMS marketing consent"
    assert _by(plan, 5, "sms").action == "send"
    assert all(m.action == "skip" for m in plan.messages if m.reason)
    assert plan.skipped == {
        "no phone number": 1,
        "phone is a landline": 1,
        "opted out of SMS": 1,
        "no email address": 1,
        "unsubscribed from email": 1,
        "no SMS marketing consent": 1,
    }
    assert plan.to_send == {"sms": 2, "email": 4}


def test_empty_message_after_merge_is_skipped() -> None:
    plan = _real([_contact(1, first_name="")], _opted_in(1),
                 _template(sms="{first_name}"))  # fmt: skip
    assert _by(plan, 1, "sms").reason == "message is empty"
    assert _by(plan, 1, "email").action == "send"


def test_custom_field_only_for_contacts_that_have_it() -> None:
    # Changed for #6: the STOP wording follows a full stop the planner adds.
    template = _template(sms="Order {order_number} shipped")
    contacts = [_contact(1, custom={"order_number": "1001"}), _contact(2)]

    plan = _real(contacts, _opted_in(1, 2), template)

    assert _by(plan, 1, "sms").body == "Order 1001 shipped." + STOP
    reason = _by(plan, 2, "sms").reason
    assert reason == "merge field problem: SMS text: unknown merge field {order_number}"
    assert _by(plan, 2, "email").action == "send"


def test_totals_segments_cost_and_worst_case() -> None:
    template = _template(
        sms="Hi {first_name}, " + "x" * 146 + ". {shop_name}: Reply STOP to opt out"
    )
    contacts = [_contact(1, first_name="Al"), _contact(2, first_name="Zoë"),
                _contact(3, phone=None)]  # fmt: skip

    plan = _real(contacts, _opted_in(1, 2), template)

    assert _by(plan, 1, "sms").segments == 2
    assert (_by(plan, 2, "sms").segments, _by(plan, 2, "sms").encoding) == (3, "UCS-2")
    assert plan.total_segments == 5
    assert plan.worst_case_segments == 3
    assert plan.estimated_cost == 0.05
    text = plan.summary_text()
    assert "2 SMS and 3 emails" in text
    assert "Skipped 1: no phone number" in text
    assert "$0.05" in text


# --- consent x transactional x test mode --------------------------------------------

CASES = [
    # (sms status, transactional, test mode) -> (action, reason, note starts with)
    ("opted_in", False, False, "send", None, None),
    ("unknown", False, False, "skip", "no SMS marketing consent", None),
    ("unknown", False, True, "send", None, "test mode: would be skipped"),
    ("opted_out", False, False, "skip", "opted out of SMS", None),
    ("opted_out", False, True, "skip", "opted out of SMS", None),
    ("opted_out", True, False, "skip", "opted out of SMS", None),
    ("opted_out", True, True, "skip", "opted out of SMS", None),
    ("unknown", True, False, "send", None, None),
    ("opted_in", True, True, "send", None, None),
]


@pytest.mark.parametrize(
    ("status", "transactional", "test_mode", "action", "reason", "note"), CASES
)
def test_sms_consent_decisions(
    status: str,
    transactional: bool,
    test_mode: bool,
    action: str,
    reason: str | None,
    note: str | None,
) -> None:
    plan = build_plan(
        [_contact(1)],
        {"sms": {1: status}},
        _template(transactional=transactional),
        SETTINGS,
        transactional=transactional,
        test_mode=test_mode,
        now=NOON,
    )

    sms = _by(plan, 1, "sms")
    assert (sms.action, sms.reason) == (action, reason)
    if note is None:
        assert sms.note is None
    else:
        assert sms.note is not None and sms.note.startswith(note)
    if action == "send":
        assert sms.transactional is transactional


def test_test_mode_note_is_visible_in_the_summary() -> None:
    plan = build_plan([_contact(1), _contact(2)], {"sms": {2: "opted_in"}},
                      _template(), SETTINGS, test_mode=True, now=NOON)  # fmt: skip

    assert plan.to_send["sms"] == 2
    text = plan.summary_text()
    assert "Test mode: messages go to the local outbox only." in text
    assert (
        "Note (1 message): test mode: would be skipped for no SMS consent when sending "
        "for real" in text
    )
    assert plan.to_json()["test_mode"] is True


def test_email_with_unknown_consent_is_allowed_with_a_can_spam_note() -> None:
    plan = _real([_contact(1), _contact(2)], {"email": {2: "opted_in"}})

    assert _by(plan, 1, "email").action == "send"
    assert "CAN-SPAM" in (_by(plan, 1, "email").note or "")
    assert _by(plan, 2, "email").note is None
    assert "Note (1 message): email consent unknown: allowed" in plan.summary_text()


def test_transactional_messages_are_marked_and_summarised() -> None:
    template = _template(transactional=True)
    plan = _real([_contact(1), _contact(2)], {"sms": {2: "opted_out"}}, template,
                 transactional=True)  # fmt: skip

    queued = [m for m in plan.messages if m.is_queued]
    assert len(queued) == 3
    assert all(m.transactional for m in queued)
    assert _by(plan, 2, "sms").reason == "opted out of SMS"
    assert _by(plan, 1, "email").note is None
    assert "Transactional template: 3 messages recorded as transactional" in (
        plan.summary_text()
    )


# --- quiet hours ---------------------------------------------------------------------


def test_marketing_sms_is_held_in_the_recipients_time() -> None:
    contacts = [_contact(1, phone=MIAMI), _contact(2, phone=AUSTIN),
                _contact(3, phone=HARTFORD)]  # fmt: skip

    plan = _real(contacts, _opted_in(1, 2, 3), now=NIGHT_BEFORE_DST)

    miami = _by(plan, 1, "sms")
    assert miami.action == "hold"
    assert miami.reason == "held until 08:00 EST, Florida rule"
    assert miami.not_before == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)
    assert miami.not_before_text == "2026-03-07T13:00:00+00:00"
    assert miami.is_queued and not miami.is_send
    assert miami.body.endswith(STOP) and miami.segments == 1
    assert _by(plan, 2, "sms").reason == "held until 09:00 CST, Texas rule"
    assert _by(plan, 3, "sms").reason == "held until 09:00 EST, Connecticut rule"
    assert _by(plan, 1, "email").action == "send"

    assert plan.held == {"quiet_hours": 3, "address": 0, "review": 0}
    assert plan.to_send == {"sms": 0, "email": 3}
    assert plan.skipped == {}
    assert plan.total_segments == 3
    assert "3 held for quiet hours, sent automatically when allowed." in (
        plan.summary_text()
    )


def test_quiet_hours_across_the_spring_dst_change() -> None:
    contacts = [_contact(1, phone=MIAMI), _contact(2, phone=AUSTIN)]

    before = _real(contacts, _opted_in(1, 2), now=NIGHT_BEFORE_DST)
    during = _real(contacts, _opted_in(1, 2), now=NIGHT_OF_DST)

    # 08:00 in Miami is 13:00 UTC on Saturday and 12:00 UTC once EDT has begun.
    assert _by(before, 1, "sms").not_before == datetime(2026, 3, 7, 13, tzinfo=UTC)
    assert _by(during, 1, "sms").not_before == datetime(2026, 3, 8, 12, tzinfo=UTC)
    assert _by(during, 1, "sms").reason == "held until 08:00 EDT, Florida rule"
    # Texas on a Sunday: from noon, Central Daylight Time.
    assert _by(during, 2, "sms").not_before == datetime(2026, 3, 8, 17, tzinfo=UTC)
    assert _by(during, 2, "sms").reason == "held until 12:00 CDT, Texas rule"


def test_quiet_hours_across_the_autumn_dst_change() -> None:
    plan = _real([_contact(1, phone=MIAMI)], _opted_in(1), now=NIGHT_OF_FALL_BACK)

    sms = _by(plan, 1, "sms")
    assert sms.not_before == datetime(2026, 11, 1, 13, tzinfo=UTC)
    assert sms.reason == "held until 08:00 EST, Florida rule"


def test_zone_comes_from_the_contact_before_the_number() -> None:
    # 18:00 UTC is noon in Chicago but 19:00 in Paris on a Saturday: France allows.
    sunday_morning = datetime(2026, 3, 8, 9, 0, tzinfo=UTC)
    contacts = [_contact(1, phone=PARIS, timezone="Europe/Paris"),
                _contact(2, phone=MIAMI, timezone="America/Los_Angeles")]  # fmt: skip

    plan = _real(contacts, _opted_in(1, 2), now=sunday_morning)

    paris = _by(plan, 1, "sms")
    assert paris.reason == (
        "held until Monday 08:00 CET: no marketing SMS in France on Sundays"
    )
    assert paris.not_before == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    # Los Angeles time with the Florida rule (the number's state): 01:00 PST.
    la = _by(plan, 2, "sms")
    assert la.reason == "held until 08:00 PDT, Florida rule"
    assert la.not_before == datetime(2026, 3, 8, 15, 0, tzinfo=UTC)


def test_zone_falls_back_to_the_shop() -> None:
    plan = _real([_contact(1)], _opted_in(1), now=NIGHT_BEFORE_DST)
    assert _by(plan, 1, "sms").reason == "held until 08:00 CST, quiet hours 08:00–21:00"


def test_transactional_sms_is_exempt_from_quiet_hours() -> None:
    plan = _real([_contact(1, phone=MIAMI)], {}, _template(transactional=True),
                 now=NIGHT_OF_DST, transactional=True)  # fmt: skip

    sms = _by(plan, 1, "sms")
    assert (sms.action, sms.not_before, sms.transactional) == ("send", None, True)
    assert plan.held["quiet_hours"] == 0


def test_test_mode_sends_at_night_with_a_note() -> None:
    plan = build_plan([_contact(1, phone=MIAMI)], _opted_in(1), _template(),
                      SETTINGS, test_mode=True, now=NIGHT_BEFORE_DST)  # fmt: skip

    sms = _by(plan, 1, "sms")
    assert (sms.action, sms.not_before) == ("send", None)
    assert sms.note == (
        "test mode: would be held until 08:00 EST, Florida rule when sending for real"
    )


# --- opt-out wording -------------------------------------------------------------------


def test_stop_wording_only_for_contacts_not_texted_in_30_days() -> None:
    contacts = [_contact(1), _contact(2), _contact(3)]
    last_sms = {2: NOON - timedelta(days=29), 3: NOON - timedelta(days=30)}

    plan = _real(contacts, _opted_in(1, 2, 3), last_sms_at=last_sms)

    assert _by(plan, 1, "sms").body.endswith(STOP)
    assert _by(plan, 2, "sms").body == "Hi Ana, your receipt is in your inbox."
    assert _by(plan, 3, "sms").stop_added is True
    assert plan.stop_added == 2
    assert (
        "Added the shop's name and 'Reply STOP to opt out' for 2 first-time recipients"
        in plan.summary_text()
    )


def test_stop_wording_already_present_is_not_repeated() -> None:
    template = _template(sms="Corner Shop: sale today! Text STOP to unsubscribe")
    plan = _real([_contact(1)], _opted_in(1), template)

    assert _by(plan, 1, "sms").body == template.sms_body
    assert plan.stop_added == 0


def test_stop_wording_recounts_segments() -> None:
    template = _template(sms="x" * 150)
    plan = _real([_contact(1)], _opted_in(1), template)

    sms = _by(plan, 1, "sms")
    assert len(sms.body) == 150 + 1 + len(STOP)
    assert sms.segments == 2
    assert plan.total_segments == 2


def test_sms_too_long_once_stop_is_added_is_skipped() -> None:
    template = _template(sms="x" * 1595)
    plan = _real([_contact(1)], _opted_in(1), template)

    reason = _by(plan, 1, "sms").reason or ""
    assert reason.startswith("too long once 'Reply STOP to opt out' is added: ")


# --- email waits for the postal address ------------------------------------------------


def test_email_waits_for_postal_address() -> None:
    settings = {**SETTINGS, "shop.address": ""}
    plan = _real([_contact(1), _contact(2, email=None)], _opted_in(1, 2),
                 settings=settings)  # fmt: skip

    email = _by(plan, 1, "email")
    assert (email.action, email.reason, email.not_before) == (
        "hold", planning.NO_ADDRESS, None,
    )  # fmt: skip
    assert email.hold_kind == "address" and email.is_queued
    assert _by(plan, 1, "sms").action == "send"
    assert plan.held == {"quiet_hours": 0, "address": 1, "review": 0}
    assert plan.skipped == {"no email address": 1}
    assert (
        "Waiting for the shop's postal address: 1 email. Every email must "
        "carry it; set it in Settings to send." in plan.summary_text()
    )
    assert plan.to_json()["held"] == {"quiet_hours": 0, "address": 1, "review": 0}


def test_every_email_ends_with_address_and_unsubscribe_line() -> None:
    plan = _real([_contact(1)], {})
    email = _by(plan, 1, "email")
    tail = email.body.rstrip().splitlines()[-3:]
    assert tail[0] == "Corner Shop"
    assert tail[1] == "1 Example Street, Springfield"
    assert "To unsubscribe" in tail[2]
    assert "To unsubscribe" in email.html


def test_a_panhandle_number_waits_for_central_time_too() -> None:
    from datetime import UTC

    half_past_eight_eastern = datetime(2027, 1, 12, 13, 30, tzinfo=UTC)
    pensacola = _contact(1, phone="+18505550102")
    miami = _contact(2, phone="+13055550103")

    plan = _real([pensacola, miami], _opted_in(1, 2), now=half_past_eight_eastern)

    held = _by(plan, 1, "sms")
    assert held.action == "hold"
    assert held.not_before == datetime(2027, 1, 12, 14, 0, tzinfo=UTC)
    assert "several time zones" in (held.reason or "")
    assert _by(plan, 2, "sms").action == "send"


def test_first_sms_names_the_shop_only_when_the_body_does_not() -> None:
    named = _template(sms="{shop_name}: your receipt is in your inbox.")
    plan = _real([_contact(1)], _opted_in(1), named)

    assert _by(plan, 1, "sms").body == (
        "Corner Shop: your receipt is in your inbox. Reply STOP to opt out."
    )


def test_without_a_shop_name_a_first_sms_waits_for_it() -> None:
    settings = {**SETTINGS, "shop.name": ""}
    plan = _real([_contact(1)], _opted_in(1), settings=settings)
    outbox = build_plan([_contact(1)], _opted_in(1), _template(), settings,
                        test_mode=True, now=NOON)  # fmt: skip

    assert _by(plan, 1, "sms").reason == planning.NO_SHOP_NAME
    assert _by(outbox, 1, "sms").body.endswith("inbox. Reply STOP to opt out.")
    assert "The shop's name is not set in Settings" in outbox.summary_text()
    assert "for 1 first-time recipient " in outbox.summary_text()


def test_stop_wording_without_the_shop_name_gets_the_name_first() -> None:
    template = _template(sms="Sale today! Reply STOP to opt out")
    plan = _real([_contact(1)], _opted_in(1), template)

    assert _by(plan, 1, "sms").body == "Corner Shop: Sale today! Reply STOP to opt out"


def test_a_customer_whose_reply_awaits_a_decision_waits_on_that_channel() -> None:
    plan = _real([_contact(1), _contact(2)], _opted_in(1, 2),
                 awaiting_review={"sms": {1}, "email": {2}})  # fmt: skip

    held = _by(plan, 1, "sms")
    assert (held.action, held.hold_kind) == ("hold", planning.HOLD_REVIEW)
    assert held.reason == planning.AWAITING_REVIEW and held.body
    assert _by(plan, 1, "email").action == "send"
    assert _by(plan, 2, "email").reason == planning.AWAITING_REVIEW_EMAIL
    assert _by(plan, 2, "sms").action == "send"
    assert plan.held["review"] == 2
    assert "Waiting for your decision on a reply" in plan.summary_text()


def test_email_to_an_address_that_bounced_is_skipped() -> None:
    bounced = {"C1@Example.com": "bounced on 2027-01-10 (5.1.1)"}
    plan = _real([_contact(1), _contact(2)], _opted_in(1, 2), bounced=bounced)

    assert _by(plan, 1, "email").action == "skip"
    assert _by(plan, 1, "email").reason == (
        "the address bounced: bounced on 2027-01-10 (5.1.1)"
    )
    assert _by(plan, 1, "sms").action == "send"
    assert _by(plan, 2, "email").action == "send"


def test_a_transactional_template_that_promotes_is_planned_as_marketing() -> None:
    from datetime import UTC

    receipt = _template(
        sms="Thanks for your order! 20% off your next visit.", transactional=True
    )
    night = datetime(2027, 1, 12, 8, 0, tzinfo=UTC)  # 02:00 in Chicago

    plan = _real([_contact(1, phone="+13125550101")], {}, receipt, now=night,
                 transactional=True)  # fmt: skip

    assert plan.transactional is False and plan.promotion == ("20% off",)
    assert _by(plan, 1, "sms").reason == "no SMS marketing consent"
    assert "promotes ('20% off'), so it is sent as marketing" in plan.summary_text()


def test_without_a_shop_name_a_receipt_still_goes() -> None:
    settings = {**SETTINGS, "shop.name": ""}
    receipt = _template(transactional=True)

    plan = _real([_contact(1)], {}, receipt, settings=settings, transactional=True)

    assert _by(plan, 1, "sms").action == "send"
    assert _by(plan, 1, "sms").body.endswith("inbox. Reply STOP to opt out.")
    assert "Added 'Reply STOP to opt out' for 1 first-time recipient" in (
        plan.summary_text()
    )
    assert "shop's name and" not in plan.summary_text()
