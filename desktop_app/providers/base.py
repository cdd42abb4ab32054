"""What every SMS and email provider offers: small protocols and a receipt.

The sending service talks only to these protocols, so the test outbox, Twilio and SMTP
are interchangeable. A provider translates its library's exceptions into the
``ProviderError`` family of ``desktop_app.errors`` at this boundary.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

from desktop_app.core import qr
from desktop_app.core.qr import InlineImage


@dataclass(frozen=True)
class SendReceipt:
    """What a provider returns for one accepted message.

    Attributes:
        provider: the provider's short name (``outbox``, ``twilio``, ``smtp``).
        provider_id: the provider's own id (Twilio SID, email Message-ID, file name).
        status: the provider's state right after sending (``sent``, ``queued``...).
        segments: segments the provider says it billed, when it says.
        price: the price the provider reported, when it did.
    """

    provider: str
    provider_id: str
    status: str = "sent"
    segments: int | None = None
    price: float | None = None


@dataclass(frozen=True)
class OutgoingEmail:
    """One fully rendered email, ready for a provider."""

    to: str
    subject: str
    text: str
    html: str
    to_name: str = ""
    from_address: str = ""
    from_name: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    inline_images: tuple[InlineImage, ...] = ()

    def images(self) -> tuple[InlineImage, ...]:
        """Return the inline images, else the QR codes the HTML points at."""
        return self.inline_images or qr.inline_images_in_html(self.html)


def add_inline_images(message: EmailMessage, images: Sequence[InlineImage]) -> None:
    """Attach ``images`` to the HTML part of ``message`` as ``multipart/related``.

    Args:
        message: a ``multipart/alternative`` message whose last part is the HTML.
        images: the images the HTML names with ``cid:``; nothing happens when empty.
    """
    if not images:
        return
    html_part = message.get_payload()[-1]
    for image in images:
        html_part.add_related(
            image.png,
            maintype="image",
            subtype="png",
            cid=f"<{image.cid}>",
            disposition="inline",
            filename=f"{image.cid.partition('@')[0]}.png",
        )


class SmsSender(Protocol):
    """Sends one SMS body to one E.164 number."""

    name: str

    def send_sms(self, to: str, body: str) -> SendReceipt:
        """Send ``body`` to ``to``.

        Raises:
            ProviderError: or one of its subclasses; never a library exception.
        """
        ...

    def close(self) -> None:
        """Release connections; safe to call twice."""
        ...


class EmailSender(Protocol):
    """Sends one rendered email."""

    name: str

    def send_email(self, email: OutgoingEmail) -> SendReceipt:
        """Send ``email``.

        Raises:
            ProviderError: or one of its subclasses; never a library exception.
        """
        ...

    def close(self) -> None:
        """Release connections; safe to call twice."""
        ...


@dataclass
class Senders:
    """The pair of providers one send uses."""

    sms: SmsSender
    email: EmailSender

    def close(self) -> None:
        """Close both providers."""
        self.sms.close()
        self.email.close()
