"""What every SMS and email provider offers: small protocols and a receipt.

The sending service talks only to these protocols, so the test outbox, Twilio and SMTP
are interchangeable. A provider translates its library's exceptions into the
``ProviderError`` family of ``desktop_app.errors`` at this boundary.
"""

from dataclasses import dataclass, field
from typing import Protocol


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
