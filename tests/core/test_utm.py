"""UTM tags: added to every http(s) link, other parameters and fragments kept."""

from urllib.parse import parse_qsl, urlsplit

from desktop_app.core.utm import add_utm, campaign_slug, tag_links


def _query(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def test_add_utm_to_a_bare_link() -> None:
    tagged = add_utm("https://shop.example.com", "Spring Sale", "sms")

    assert tagged == (
        "https://shop.example.com/?utm_source=duet&utm_medium=sms"
        "&utm_campaign=spring-sale"
    )


def test_existing_parameters_keep_their_order_and_the_fragment_stays() -> None:
    url = "https://shop.example.com/p/mug?colour=blue&size=&ref=a%20b#reviews"

    tagged = add_utm(url, "Spring", "email", variant="B")

    parts = urlsplit(tagged)
    assert parts.fragment == "reviews"
    assert parts.path == "/p/mug"
    assert _query(tagged) == [
        ("colour", "blue"), ("size", ""), ("ref", "a b"), ("utm_source", "duet"),
        ("utm_medium", "email"), ("utm_campaign", "spring"), ("utm_content", "B"),
    ]  # fmt: skip


def test_old_utm_values_are_replaced_not_doubled() -> None:
    url = "http://shop.example.com/?utm_medium=newsletter&UTM_SOURCE=x&id=7"

    tagged = add_utm(url, "Fall", "sms")

    query = _query(tagged)
    assert [k for k, _ in query].count("utm_medium") == 1
    assert ("utm_medium", "sms") in query
    assert ("id", "7") in query
    assert all(k != "UTM_SOURCE" for k, _ in query)


def test_non_web_links_are_left_alone() -> None:
    assert add_utm("mailto:shop@example.com", "X", "email") == "mailto:shop@example.com"
    assert add_utm("/relative/path", "X", "email") == "/relative/path"


def test_tag_links_tags_every_link_and_keeps_sentence_punctuation() -> None:
    text = (
        "Hi! See https://shop.example.com/sale. Or (https://shop.example.com/b?x=1), "
        "or http://example.com/a_(b)"
    )

    tagged = tag_links(text, "Sale", "sms")

    assert tagged.startswith("Hi! See https://shop.example.com/sale?utm_source=duet")
    assert "&utm_campaign=sale. Or (" in tagged
    assert "b?x=1&utm_source=duet&utm_medium=sms&utm_campaign=sale), or" in tagged
    assert tagged.endswith("http://example.com/a_(b)?utm_source=duet&utm_medium=sms"
                           "&utm_campaign=sale")  # fmt: skip
    assert tagged.count("utm_source=duet") == 3


def test_tag_links_in_html_escapes_ampersands() -> None:
    html = '<a href="https://shop.example.com/?a=1&amp;b=2">Shop</a>'

    tagged = tag_links(html, "Sale", "email", "A", is_html=True)

    assert tagged == (
        '<a href="https://shop.example.com/?a=1&amp;b=2&amp;utm_source=duet&amp;'
        'utm_medium=email&amp;utm_campaign=sale&amp;utm_content=A">Shop</a>'
    )


def test_text_without_links_is_unchanged() -> None:
    assert tag_links("No links here: shop.example.com", "X", "sms") == (
        "No links here: shop.example.com"
    )


def test_campaign_slug() -> None:
    assert campaign_slug("  Spring Sale 2024! ") == "spring-sale-2024"
    assert campaign_slug("Été — soldes") == "été-soldes"
    assert campaign_slug("!!!") == "campaign"
