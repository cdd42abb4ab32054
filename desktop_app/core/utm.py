"""UTM tags on the links Duet sends, so the shop's web analytics can tell the sources.

A desktop app sees no clicks. Instead every http(s) link in an SMS or email carries
``utm_source=duet``, ``utm_medium`` (``sms`` or ``email``), ``utm_campaign`` and, for
A/B tests, ``utm_content`` (the variant). The shop's own analytics (Shopify, Google
Analytics, Plausible...) then reports SMS-driven and email-driven visits apart.
"""

import html
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

SOURCE = "duet"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")

# A link starts at http:// or https:// and runs to whitespace or a character that
# cannot end a bare URL in prose; trailing punctuation is trimmed afterwards.
_LINK = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?*"
_PAIRS = {")": "(", "]": "[", "}": "{"}


def campaign_slug(name: str) -> str:
    """Return a campaign name as analytics tools show it best: lower case, dashes.

    Args:
        name: the campaign's name, e.g. ``"Spring Sale 2024"``.

    Returns:
        The slug, e.g. ``"spring-sale-2024"``; ``"campaign"`` when nothing is left.
    """
    slug = re.sub(r"[^\w]+", "-", name.strip().casefold()).strip("-_")
    return slug or "campaign"


def add_utm(url: str, campaign: str, channel: str, variant: str | None = None) -> str:
    """Add Duet's UTM parameters to one URL.

    Other query parameters keep their order and value, and the fragment stays. UTM
    keys the link already has are replaced, because the tag must say what really
    carried this visit.

    Args:
        url: an absolute http(s) URL.
        campaign: the campaign name (slugged).
        channel: ``sms`` or ``email``.
        variant: the A/B variant, as ``utm_content``; omitted when None.

    Returns:
        The tagged URL; other URLs (mailto:, relative) come back unchanged.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return url

    kept = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in UTM_KEYS
    ]
    tags = [
        ("utm_source", SOURCE),
        ("utm_medium", channel),
        ("utm_campaign", campaign_slug(campaign)),
    ]
    if variant:
        tags.append(("utm_content", variant))

    query = urlencode(kept + tags, quote_via=quote)
    path = parts.path or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def _split_trailing(link: str) -> tuple[str, str]:
    """Return (url, tail): punctuation that ends a sentence is not part of a link."""
    tail = ""
    while link:
        last = link[-1]
        unbalanced = last in _PAIRS and link.count(last) > link.count(_PAIRS[last])
        if last not in _TRAILING and not unbalanced:
            break
        tail = last + tail
        link = link[:-1]
    return link, tail


def tag_links(
    text: str,
    campaign: str,
    channel: str,
    variant: str | None = None,
    *,
    is_html: bool = False,
) -> str:
    """Tag every http(s) link in a message body with :func:`add_utm`.

    Args:
        text: an SMS text, email text or email HTML.
        campaign: the campaign name.
        channel: ``sms`` or ``email``.
        variant: the A/B variant, or None.
        is_html: True for HTML bodies, where ``&`` in a link is written ``&amp;``.

    Returns:
        The body with every link tagged; everything else unchanged.
    """

    def replace(found: re.Match[str]) -> str:
        link, tail = _split_trailing(found.group(0))
        url = html.unescape(link) if is_html else link
        tagged = add_utm(url, campaign, channel, variant)
        if is_html:
            tagged = tagged.replace("&", "&amp;")
        return tagged + tail

    return _LINK.sub(replace, text)
