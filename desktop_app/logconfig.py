"""Logging set-up: a rotating file in the per-user log folder, with redaction.

Only ``app.py`` and ``cli.py`` call :func:`setup_logging`. Every other module just
does ``logger = logging.getLogger(__name__)``.
"""

import logging
import re
from pathlib import Path

_PHONE = re.compile(r"\+?\d[\d ().-]{6,}\d")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")


def redact(text: str) -> str:
    """Mask phone numbers (all but the last 2 digits) and email local parts."""

    def mask_phone(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return "…" + digits[-2:]

    text = _EMAIL.sub(lambda m: f"{m.group(1)}…@{m.group(2)}", text)
    return _PHONE.sub(mask_phone, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with :func:`redact` before it is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def setup_logging(log_dir: Path | None, *, verbose: bool = False) -> None:
    """Send Duet's log to a rotating file in ``log_dir`` (nothing when ``None``)."""
    root = logging.getLogger("desktop_app")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("twilio.http_client", "urllib3", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for old in [h for h in root.handlers if getattr(h, "duet_file_handler", False)]:
        root.removeHandler(old)
        old.close()
    if log_dir is None:
        return
    from logging.handlers import RotatingFileHandler  # costs start-up time

    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            log_dir / "duet.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        return
    handler.duet_file_handler = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
