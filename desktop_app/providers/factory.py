"""Choose the senders for a send: Twilio and SMTP when set up, the test outbox otherwise.

Each channel is chosen on its own: a channel whose credentials are saved uses the real
provider and the other one the test outbox. The mode string says which, for the banner
and the command line: ``"Twilio + SMTP"``, ``"test outbox"``, or a mix such as
``"Twilio + test outbox"``.
"""

import logging
from pathlib import Path

from desktop_app import credentials
from desktop_app.providers.base import EmailSender, Senders, SmsSender

logger = logging.getLogger(__name__)

OUTBOX_MODE = "test outbox"
REAL_MODE = "Twilio + SMTP"


def senders_from_credentials(
    data_dir: Path, *, use_outbox: bool = False
) -> tuple[Senders, str]:
    """Build the senders from the saved credentials.

    Args:
        data_dir: Duet's data folder (the outbox writes inside it).
        use_outbox: send into the test outbox even when credentials are saved.

    Returns:
        The senders (close them when done) and the mode string.

    Raises:
        CredentialsError: the keyring is locked or a saved entry is damaged.
    """
    twilio = None if use_outbox else credentials.load_twilio()
    smtp = None if use_outbox else credentials.load_smtp()
    sms: SmsSender | None = None
    email: EmailSender | None = None

    if twilio is not None:
        from desktop_app.providers.twilio_sms import TwilioSms

        config, secret = twilio
        sms = TwilioSms(
            config.account_sid,
            secret,
            config.sender,
            api_key=config.api_key,
            rate=config.rate,
        )
    if smtp is not None:
        from desktop_app.providers.smtp_email import SmtpEmail

        settings, password = smtp
        email = SmtpEmail(
            settings.host,
            settings.port,
            settings.security,
            settings.user,
            password,
            settings.from_address,
            settings.from_name,
        )

    if sms is not None and email is not None:
        return Senders(sms=sms, email=email), REAL_MODE

    from desktop_app.providers.outbox import outbox_senders

    outbox = outbox_senders(data_dir)
    if sms is None and email is None:
        return outbox, OUTBOX_MODE
    if sms is not None:
        outbox.sms.close()
        return Senders(sms=sms, email=outbox.email), "Twilio + test outbox"
    assert email is not None
    outbox.email.close()
    return Senders(sms=outbox.sms, email=email), "test outbox + SMTP"
