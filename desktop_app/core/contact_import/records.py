"""The record every reader produces: one CSV row or one vCard, before checking."""

import logging
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class SourceValue:
    """One phone or e-mail cell with where it came from.

    Attributes:
        value: the text as found.
        label: a label such as ``mobile`` or ``work`` ('' when none).
        field: the column or vCard property it came from.
    """

    value: str
    label: str = ""
    field: str = ""


@dataclass(slots=True)
class ConsentValue:
    """A marketing-consent cell: channel, the status it means, and the evidence.

    Attributes:
        refusal: the cell explicitly says no ("no", "false", "nein"...). Its
            status stays ``unknown``, but for a customer who had agreed before it
            withdraws the consent.
    """

    channel: str
    status: str
    column: str
    value: str
    refusal: bool = False


@dataclass(slots=True)
class RawRecord:
    """One record as read from a file, before validation and merging.

    Attributes:
        row: the record number (1 = first record after the header, or first card).
        blank: True when every cell is empty or whitespace.
        truncated: True for a record cut off by the end of the file.
    """

    row: int
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    full_name: str = ""
    company: str = ""
    phones: list[SourceValue] = field(default_factory=list)
    emails: list[SourceValue] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    country: str = ""
    timezone: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    consent: list[ConsentValue] = field(default_factory=list)
    blank: bool = False
    truncated: bool = False
