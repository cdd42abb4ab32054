"""The pairing check: what an SMS holds that belongs in the email."""

import pytest

from desktop_app.core.pairing import (
    ADDRESS,
    AMOUNT,
    BIRTH_DATE,
    CARD,
    EMPTY_EMAIL,
    INBOX_TIP,
    check_pairing,
    inbox_tip,
    mentions_email,
)

EMAIL = "Your receipt is below."


@pytest.mark.parametrize(
    ("sms", "kind", "excerpt"),
    [
        ("Your total is $59.90, thanks!", AMOUNT, "$59.90"),
        ("Paid 59,90 € today", AMOUNT, "59,90 €"),
        ("We charged USD 12 to your card", AMOUNT, "USD 12"),
        ("Refund of 1,250.00 EUR sent", AMOUNT, "1,250.00 EUR"),
        ("Order total: 59.90. See you!", AMOUNT, "total: 59.90"),
        ("Save 10 dollars this week", AMOUNT, "10 dollars"),
        ("Only £5 until Sunday", AMOUNT, "£5"),
        ("Hi {first_name}, your total is {order_total}.", AMOUNT, "{order_total}"),
        ("Now only ${price}!", AMOUNT, "${price}"),
        ("Card ending 4242 was charged", CARD, "Card ending 4242"),
        ("Paid with card ****1234.", CARD, "card ****1234"),
        ("Paid with XXXX-9876 today", CARD, "XXXX-9876"),
        ("acct 12345678 is overdue", CARD, "acct 12345678"),
        ("Card 4111 1111 1111 1111 saved", CARD, "Card 4111 1111 1111 1111"),
        ("Your number 4111111111111111 is saved", CARD, "4111111111111111"),
        ("Charged to {card_last4}", CARD, "{card_last4}"),
        ("Visit us at 12 Main St. today", ADDRESS, "12 Main St."),
        ("Come to 221B Baker Street", ADDRESS, "221B Baker Street"),
        ("Pick up at 1600 Example Ave", ADDRESS, "1600 Example Ave"),
        ("Te esperamos en Calle Mayor 5, Madrid", ADDRESS, "Calle Mayor 5"),
        ("Abholung: Hauptstraße 5", ADDRESS, "Hauptstraße 5"),
        ("Returns to P.O. Box 123", ADDRESS, "P.O. Box 123"),
        ("Delivering to {street_address}", ADDRESS, "{street_address}"),
        ("DOB 01/02/1990 confirmed", BIRTH_DATE, "DOB 01/02/1990"),
        ("You were born on March 3, 1990", BIRTH_DATE, "born on March 3, 1990"),
        ("Birthday: 1990-03-03", BIRTH_DATE, "Birthday: 1990-03-03"),
        ("We have your {date_of_birth}", BIRTH_DATE, "{date_of_birth}"),
    ],
)
def test_pairing_finds_what_belongs_in_the_email(
    sms: str, kind: str, excerpt: str
) -> None:
    warnings = check_pairing(sms, "Your order", EMAIL)

    assert [(w.kind, w.excerpt) for w in warnings] == [(kind, excerpt)]
    assert "email" in warnings[0].advice


@pytest.mark.parametrize(
    "sms",
    [
        "Pick-up from 10:30 today",
        "2 for 1 on all coffee",
        "Order #1042 is ready",
        "Order #1234567890123 is ready",
        "20% off this weekend",
        "Call +15550100101 with questions",
        "Open 7 days a week",
        "Happy birthday, Ana! A treat waits in your inbox",
        "Your birthday treat: 20% off until 12/31",
        "Track it: 9400111899223197428490",
        "Only 3 items left",
        "Valid until 2025-12-31",
        "Hi {first_name}, details in your inbox",
        "Your order {order_number} shipped",
        "Reference 123456789012",
        "Take 2 steps to the left",
    ],
)
def test_pairing_leaves_ordinary_texts_alone(sms: str) -> None:
    assert check_pairing(sms, "Your order", EMAIL) == []


def test_pairing_reports_findings_in_text_order() -> None:
    sms = "DOB 01/02/1990; total $20.00; card ending 4242; 12 Main St"
    kinds = [w.kind for w in check_pairing(sms, "s", EMAIL)]
    assert kinds == [BIRTH_DATE, AMOUNT, CARD, ADDRESS]


def test_pairing_says_when_the_email_already_has_it() -> None:
    sms = "Your total is {order_total}. Details in your inbox."
    already = check_pairing(sms, "s", "Total: {order_total}")
    missing = check_pairing(sms, "s", "Thanks for your order.")

    assert "already has it" in already[0].advice
    assert "already has it" not in missing[0].advice


def test_pairing_warns_when_the_sms_points_to_an_empty_email() -> None:
    warnings = check_pairing("Details in your inbox.", "Your order", "  \n")
    assert [w.kind for w in warnings] == [EMPTY_EMAIL]
    assert check_pairing("Details in your inbox.", "Your order", EMAIL) == []


def test_warning_to_json_and_str() -> None:
    (warning,) = check_pairing("Total $5.00", "s", EMAIL)
    assert warning.to_json() == {
        "kind": "amount",
        "excerpt": "$5.00",
        "advice": warning.advice,
    }
    assert str(warning).startswith("\u201c$5.00\u201d: ")


@pytest.mark.parametrize(
    ("sms", "expected"),
    [
        ("Your receipt is in your inbox", True),
        ("We sent you an email with the details", True),
        ("Check your e-mail, Ana", True),
        ("Emailed you the tracking link", True),
        ("Details: see your mailbox", True),
        ("Te enviamos un correo", True),
        ("Your order is ready for pick-up", False),
        ("Emilia, your order is ready", False),
        ("", False),
    ],
)
def test_mentions_email(sms: str, expected: bool) -> None:
    assert mentions_email(sms) is expected


def test_inbox_tip_only_when_the_sms_does_not_point_to_the_email() -> None:
    assert inbox_tip("Your order is ready") == INBOX_TIP
    assert INBOX_TIP.startswith("Tip: say the details are in their inbox")
    assert inbox_tip("Your order is ready, details in your inbox") is None
    assert inbox_tip("   ") is None
