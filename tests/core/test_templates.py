"""Merge fields, template checks and rendering one customer's pair."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.core import qr
from desktop_app.core.templates import (
    KNOWN_FIELDS,
    FieldInfo,
    ShopInfo,
    check_template,
    compile_template,
    field_catalog,
    merge_fields,
    qr_values,
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


def test_field_catalog_lists_known_then_extra_fields() -> None:
    catalog = field_catalog(
        {"order_number": "1042", "first_name": "x", "bad name!": ""}
    )

    names = [info.name for info in catalog]
    assert names[: len(KNOWN_FIELDS)] == list(KNOWN_FIELDS)
    assert names[len(KNOWN_FIELDS) :] == ["order_number"]
    first = catalog[0]
    assert (first.name, first.label, first.token) == (
        "first_name",
        "First name",
        "{first_name}",
    )
    assert first.example
    assert catalog[-1] == FieldInfo("order_number", "Order number", "1042")
    assert [info.name for info in field_catalog(["vip_since"])][-1] == "vip_since"


@given(
    text=st.text(alphabet="{}|ab ,.\n\x00\ue000x", max_size=30),
    first=st.sampled_from(["", " ", "Ana", "a\nb", "<i>"]),
)
def test_compiled_template_renders_like_render(text: str, first: str) -> None:
    values = {"a": first, "ab": "Lee"}
    compiled = compile_template(text)
    assert compiled.render(values) == render(text, values)
    assert compiled.render(values, html=True) == render(text, values, html=True)
    assert len(compiled.pieces) == len(compiled.fields) + 1


def test_compiled_template_lists_names_once() -> None:
    compiled = compile_template("{b} {a|x} {b|y}")
    assert compiled.names == ("b", "a")
    assert compiled.fields == (("b", ""), ("a", "x"), ("b", "y"))


def test_empty_value_and_fallback_in_html_are_escaped() -> None:
    assert render("Hi {first_name|<friend>}!", {}, html=True) == "Hi &lt;friend&gt;!"
    assert render("Hi {first_name}, welcome", {"first_name": ""}, html=True) == (
        "Hi, welcome"
    )


def test_subject_value_with_line_breaks_and_empty_value_stays_tidy() -> None:
    pair = render_pair(
        _template("x", subject="{first_name}, your order\r\n{company} is in"),
        {"first_name": "", "company": "A\r\nB"},
        SHOP,
    )
    assert pair.email_subject == "Your order A B is in"


MARKDOWN_BODY = (
    "Hello **{first_name}**, thanks for your *order*!\n"
    "\n"
    "- Track it [here](https://example.com/t/{order_number})\n"
    "- Write to [us](mailto:shop@example.com)\n"
    "- Or visit https://example.com\n"
    "\n"
    "Not a link: [click](javascript:alert(1)) and \\*not italic\\*"
)


def test_markdown_body_becomes_html_and_readable_text() -> None:
    pair = render_pair(
        _template("x", body=MARKDOWN_BODY),
        {"first_name": "Bo & Co", "order_number": "10 42"},
        SHOP,
    )

    assert pair.email_html.count("<p>") == 2  # two body paragraphs; the footer differs
    assert (
        "<p>Hello <strong>Bo &amp; Co</strong>, thanks for your <em>order</em>!</p>"
        in pair.email_html
    )
    assert (
        '<ul>\n<li>Track it <a href="https://example.com/t/10%2042">here</a></li>\n'
        '<li>Write to <a href="mailto:shop@example.com">us</a></li>\n'
        "<li>Or visit https://example.com</li>\n</ul>"
    ) in pair.email_html
    assert "javascript" not in pair.email_html.split("Not a link: ")[0]
    assert "<p>Not a link: [click](javascript:alert(1)) and *not italic*</p>" in (
        pair.email_html
    )
    assert '<a href="javascript' not in pair.email_html

    assert pair.email_text.startswith(
        "Hello Bo & Co, thanks for your order!\n"
        "\n"
        "- Track it here (https://example.com/t/10%2042)\n"
        "- Write to us (shop@example.com)\n"
        "- Or visit https://example.com\n"
        "\n"
        "Not a link: [click](javascript:alert(1)) and *not italic*\n\n-- \n"
    )
    assert "**" not in pair.email_text


def test_values_are_never_read_as_formatting() -> None:
    pair = render_pair(
        _template("x", body="Hi {first_name}, see {company}"),
        {"first_name": "**Bo**", "company": "[win](https://example.com) <b>"},
        SHOP,
    )
    assert "<strong>" not in pair.email_html and "<a " not in pair.email_html
    assert "**Bo**" in pair.email_html
    assert "[win](https://example.com) &lt;b&gt;" in pair.email_html
    assert pair.email_text.startswith("Hi **Bo**, see [win](https://example.com) <b>\n")


def test_a_value_may_be_a_whole_link_target() -> None:
    pair = render_pair(
        _template("x", body="[Track]({tracking_url}) or [bad]({other})"),
        {"tracking_url": "https://example.com/t?a=1&b=2", "other": "file:///etc"},
        SHOP,
    )
    assert '<a href="https://example.com/t?a=1&amp;b=2">Track</a>' in pair.email_html
    assert '<a href="file' not in pair.email_html
    assert pair.email_text.startswith("Track (https://example.com/t?a=1&b=2) or ")


def test_qr_code_becomes_inline_image_and_scan_line() -> None:
    body = "Your coupon:\n{qr:SAVE10}\n\nOr online: {qr:https://example.com/c}"
    pair = render_pair(_template("x", body=body), {}, SHOP)

    assert [image.cid for image in pair.images] == [
        qr.qr_cid("SAVE10"),
        qr.qr_cid("https://example.com/c"),
    ]
    assert pair.images[0].png == qr.qr_png("SAVE10")
    assert f'<img src="cid:{qr.qr_cid("SAVE10")}"' in pair.email_html
    assert "Your coupon:\nScan code: SAVE10\n\n" in pair.email_text
    assert "Or online: Scan code: https://example.com/c" in pair.email_text
    assert "{qr" not in pair.email_text and "{qr" not in pair.email_html


def test_qr_codes_repeated_share_one_image() -> None:
    pair = render_pair(_template("x", body="{qr:A1}\n{qr:A1}\n{qr: }"), {}, SHOP)
    assert len(pair.images) == 1
    assert pair.email_html.count("<img ") == 2
    assert pair.email_text.count("Scan code: A1") == 2


def test_qr_codes_are_checked_where_they_stand() -> None:
    problems = check_template("Hi {qr:SAVE10}", "{qr:X}", "{qr:}\n{qr:ok}")
    assert [(p.field, p.kind) for p in problems] == [
        ("SMS text", "qr"),
        ("Email subject", "qr"),
        ("Email body", "qr"),
    ]
    assert check_template("Hi", "s", "{qr:SAVE10} {QR: https://example.com}") == []
    assert merge_fields("{qr:SAVE10} {first_name}") == ["first_name"]
    assert qr_values("a {qr: X1 } b {qr:Y}") == ["X1", "Y"]


def test_pair_without_images_keeps_default() -> None:
    pair = render_pair(_template("x", body="plain"), {}, SHOP)
    assert pair.images == ()
    assert render_pair(_template("x", body="  \n"), {}, SHOP).email_html == ""
