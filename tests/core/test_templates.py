"""Merge fields, template checks and rendering one customer's pair."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.core.templates import (
    KNOWN_FIELDS,
    ShopInfo,
    check_template,
    merge_fields,
    render,
    render_pair,
)
from desktop_app.storage.templates import Template

SHOP = ShopInfo(
    name="Corner Shop & Co",
    address="1 Example Street\nSpringfield",
    email="shop@example.com",
)


def _template(sms: str, subject: str = "Your order", body: str = "Hello") -> Template:
    return Template(
        id=1,
        name="t",
        sms_body=sms,
        email_subject=subject,
        email_body=body,
        transactional=False,
        created_at="",
        updated_at="",
    )


def test_merge_fields_lists_each_name_once_in_order() -> None:
    text = "{last_name} {first_name|there} {last_name} {shop_name}"
    assert merge_fields(text) == ["last_name", "first_name", "shop_name"]


def test_known_fields_include_the_contact_basics() -> None:
    assert {"first_name", "last_name", "email", "phone", "shop_name"} <= set(
        KNOWN_FIELDS
    )


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("Hi {first_name}, your order", {"first_name": "Ana"}, "Hi Ana, your order"),
        ("Hi {first_name}, your order", {}, "Hi, your order"),
        ("Hi {first_name}, your order", {"first_name": "  "}, "Hi, your order"),
        ("Hi {first_name|there}, your order", {}, "Hi there, your order"),
        (
            "Hi {first_name|there}, your order",
            {"first_name": "Bo"},
            "Hi Bo, your order",
        ),
        ("{first_name}, your order is in", {}, "Your order is in"),
        ("Dear {first_name} {last_name},\nThanks", {}, "Dear,\nThanks"),
        ("Hi {first_name}!", {}, "Hi!"),
        ("Hi {first_name} ({company}) today", {}, "Hi today"),
        ("Order for {company} ready", {"company": "A\nB"}, "Order for A B ready"),
        ("Hi {nickname}, hello", {}, "Hi, hello"),
    ],
)
def test_render_fills_or_tidies_fields(
    text: str, values: dict[str, str], expected: str
) -> None:
    assert render(text, values) == expected


def test_render_never_leaves_a_token_or_a_lonely_comma() -> None:
    result = render("Hi {first_name}, {last_name}, see {company}.", {})
    assert "{" not in result
    assert " ," not in result
    assert result == "Hi, see."


def test_render_html_escapes_values_and_text() -> None:
    result = render(
        "Hi {first_name} & welcome", {"first_name": "<b>Zoë</b>"}, html=True
    )
    assert result == "Hi &lt;b&gt;Zoë&lt;/b&gt; &amp; welcome"


def test_render_plain_does_not_escape() -> None:
    assert render("{company}", {"company": "A&B <x>"}) == "A&B <x>"


def test_check_template_names_unknown_field_and_its_place() -> None:
    problems = check_template("Hi {frist_name}", "Order {first_name}", "{ordr}")
    texts = [str(problem) for problem in problems]
    assert "SMS text: unknown merge field {frist_name}" in texts
    assert "Email body: unknown merge field {ordr}" in texts
    assert len(texts) == 2


def test_check_template_accepts_extra_fields() -> None:
    assert check_template("Your order {order_number}", "s", "b", ["order_number"]) == []
    assert check_template("Your order {order_number}", "s", "b")


def test_check_template_finds_unbalanced_braces() -> None:
    problems = check_template("Hi {first_name", "ok", "b}")
    assert [p.field for p in problems] == ["SMS text", "Email body"]
    assert all("partner" in p.message for p in problems)


def test_check_template_refuses_empty_and_overlong_sms() -> None:
    empty = check_template("   ", "s", "b")
    assert [(p.field, p.kind) for p in empty] == [("SMS text", "empty")]
    long = check_template("x" * 1700, "s", "b")
    assert [(p.field, p.kind) for p in long] == [("SMS text", "body")]


def test_render_pair_subject_is_one_line() -> None:
    pair = render_pair(
        _template("Hi", subject="Your order\n{first_name}\r\nis here"),
        {"first_name": "Ann\nLee"},
        SHOP,
    )
    assert pair.email_subject == "Your order Ann Lee is here"


def test_render_pair_sms_is_trimmed_and_filled() -> None:
    pair = render_pair(
        _template("Hi {first_name|there}, from {shop_name}\n\n"), {}, SHOP
    )
    assert pair.sms_body == "Hi there, from Corner Shop & Co"


def test_render_pair_email_text_and_html_end_with_footer() -> None:
    body = "Hello {first_name},\n\nYour <receipt> is below.\nThanks\n\nBye"
    pair = render_pair(_template("x", body=body), {"first_name": "Bo & Co"}, SHOP)

    assert pair.email_text.startswith("Hello Bo & Co,\n\nYour <receipt> is below.")
    assert "1 Example Street\nSpringfield" in pair.email_text
    assert "unsubscribe" in pair.email_text.lower()
    assert pair.email_text.rstrip().endswith("shop@example.com.")

    assert "<p>Hello Bo &amp; Co,</p>" in pair.email_html
    assert "Your &lt;receipt&gt; is below.<br>\nThanks" in pair.email_html
    assert "<receipt>" not in pair.email_html
    assert "1 Example Street<br>\nSpringfield" in pair.email_html
    assert "Corner Shop &amp; Co" in pair.email_html
    footer_at = pair.email_html.index("To unsubscribe")
    assert footer_at > pair.email_html.index("<p>Bye</p>")


def test_render_pair_footer_without_shop_email_still_says_how() -> None:
    pair = render_pair(_template("x", body="b"), {}, ShopInfo(name="S", address="A"))
    assert "reply to this email with UNSUBSCRIBE" in pair.email_text


@given(
    first=st.sampled_from(["", " ", "Ana", "Zoë", "O'Neil", "A\nB"]),
    last=st.sampled_from(["", "Lee", "  "]),
    company=st.sampled_from(["", "A&B"]),
    opener=st.sampled_from(["Hi {first_name}, ", "{first_name} {last_name}: ", ""]),
)
def test_render_never_leaves_tokens_or_stray_spaces(
    first: str, last: str, company: str, opener: str
) -> None:
    text = opener + "your order from {company} ({last_name}) is ready, {first_name}!"
    result = render(text, {"first_name": first, "last_name": last, "company": company})

    assert "{" not in result and "}" not in result
    assert " ," not in result and " !" not in result and "  " not in result
    assert "()" not in result and "( )" not in result
    assert not result.startswith((" ", ",", ":"))
