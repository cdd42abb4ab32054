"""Template lints: STOP wording, the shop's name, promotion in transactional texts."""

from dataclasses import dataclass

from desktop_app.core.lint import lint_template, promotional_words


@dataclass(frozen=True)
class _Text:
    sms_body: str
    email_subject: str = "Your receipt"
    email_body: str = "Thanks for your order."
    transactional: bool = False


def test_clean_marketing_template_has_no_notes() -> None:
    template = _Text("{shop_name}: new stock is in! Reply STOP to opt out.")
    assert lint_template(template, "Corner Shop") == []


def test_missing_stop_wording_and_shop_name() -> None:
    notes = lint_template(_Text("New stock is in!"), "Corner Shop")

    assert [(n.level, n.field) for n in notes] == [
        ("warning", "SMS text"),
        ("warning", "SMS text"),
    ]
    assert "Reply STOP to opt out" in notes[0].message
    assert "{shop_name}" in notes[1].message
    assert str(notes[0]).startswith("SMS text: no 'Reply STOP")


def test_shop_name_written_out_counts() -> None:
    template = _Text("Corner  shop: new stock. Text STOP to quit")
    assert lint_template(template, "Corner Shop") == []
    assert len(lint_template(template, "")) == 1


def test_transactional_template_with_promotional_words() -> None:
    template = _Text(
        "{shop_name}: your order shipped. Use code SAVE10 for 10% off! Reply STOP to "
        "opt out",
        email_subject="Your receipt + a coupon",
        email_body="Free shipping on your next order. Thanks!",
        transactional=True,
    )

    notes = lint_template(template, "Corner Shop")

    assert [n.field for n in notes] == ["SMS text", "Email subject", "Email body"]
    assert "'10% off'" in notes[0].message
    assert "'coupon'" in notes[1].message
    assert "'Free shipping'" in notes[2].message
    assert all(n.level == "warning" for n in notes)


def test_promotion_is_fine_in_marketing_and_flag_can_be_overridden() -> None:
    template = _Text("{shop_name}: big SALE today. Reply STOP to opt out")
    assert lint_template(template, "Corner Shop") == []
    notes = lint_template(template, "Corner Shop", transactional=True)
    assert len(notes) == 1 and "'SALE'" in notes[0].message


def test_promotional_words_table() -> None:
    text = (
        "Sale! 20 % off, a discount, coupons, deals, promo code X, $5 off, "
        "wholesale dealer"
    )
    assert promotional_words(text) == [
        "Sale", "20 % off", "discount", "coupons", "deals", "promo code", "$5 off",
    ]  # fmt: skip
    assert promotional_words("Your order #1001 has shipped.") == []


def test_shop_name_field_with_no_name_set_is_flagged() -> None:
    template = _Text("{shop_name}: new stock is in! Reply STOP to opt out.")

    (note,) = lint_template(template, "  ")

    assert "shop's name is not set in Settings" in note.message
    assert lint_template(template, "Corner Shop") == []
