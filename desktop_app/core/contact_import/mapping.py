"""Recognise a CSV export from its header and map its columns to contact fields.

Header names are compared after folding case and accents and dropping everything
that is not a letter or digit, so ``E-mail Address``, ``EmailAddress`` and
``E-Mail-Adresse`` look alike. The exporter (Shopify, Square, WooCommerce, Mailchimp,
HubSpot, Google, Outlook, or a generic spreadsheet) is told from signature columns.
"""

import functools
import logging
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from desktop_app.core.contact_import.records import ConsentValue, RawRecord, SourceValue

logger = logging.getLogger(__name__)

ROLES = (
    "first_name",
    "middle_name",
    "last_name",
    "full_name",
    "company",
    "email",
    "phone",
    "tags",
    "country",
    "consent_email",
    "consent_sms",
    "timezone",
    "ignore",
)
_TIMEZONE_KEYS = {"timezone", "timezonename", "tz", "zeitzone"}

_NAME_ROLES = {
    "firstname": "first_name",
    "givenname": "first_name",
    "vorname": "first_name",
    "prenom": "first_name",
    "nombre": "first_name",
    "forename": "first_name",
    "middlename": "middle_name",
    "additionalname": "middle_name",
    "weiterevornamen": "middle_name",
    "lastname": "last_name",
    "familyname": "last_name",
    "nachname": "last_name",
    "surname": "last_name",
    "apellido": "last_name",
    "apellidos": "last_name",
    "name": "full_name",
    "fullname": "full_name",
    "displayname": "full_name",
    "contactname": "full_name",
    "customername": "full_name",
    "company": "company",
    "companyname": "company",
    "organization": "company",
    "organisation": "company",
    "organizationname": "company",
    "organization1name": "company",
    "firma": "company",
    "unternehmen": "company",
    "empresa": "company",
    "defaultaddresscompany": "company",
    "associatedcompany": "company",
}
_TAG_KEYS = {"tags", "tag", "labels", "groupmembership", "categories", "kategorien"}
# Country columns in order of trust: ISO codes first, then names.
_COUNTRY_KEYS = (
    "defaultaddresscountrycode",
    "countrycode",
    "cc",
    "countryregion",
    "country",
    "address1country",
    "land",
    "landregion",
    "homecountry",
    "businesscountry",
    "othercountry",
    "landregionprivat",
    "landregiongeschaftlich",
    "billingcountry",
    "shippingcountry",
)
_CONSENT_KEYS = {
    "acceptsemailmarketing": "email",
    "acceptsmarketing": "email",
    "emailsubscriptionstatus": "email",
    "emailoptin": "email",
    "emailconsent": "email",
    "emailmarketing": "email",
    "newsletter": "email",
    "unsubscribed": "email",
    "marketingcontactstatus": "email",
    "unsubtime": "email",
    "cleantime": "email",
    "acceptssmsmarketing": "sms",
    "smsoptin": "sms",
    "smsconsent": "sms",
    "smsmarketing": "sms",
    "smssubscriptionstatus": "sms",
}
_CUSTOM_KEYS = {
    "customerid": "customer_id",
    "recordid": "record_id",
    "referenceid": "reference_id",
    "squarecustomerid": "square_customer_id",
    "totalspent": "total_spent",
    "totalspend": "total_spent",
    "lifetimespend": "total_spent",
    "totalorders": "total_orders",
    "orders": "total_orders",
    "transactioncount": "total_orders",
    "note": "note",
    "notes": "note",
    "notizen": "note",
    "memo": "note",
    "birthday": "birthday",
    "geburtstag": "birthday",
    "username": "username",
    "leadstatus": "lead_status",
}
_EMAIL_KEY = re.compile(
    r"^(?:e?mail\d*(?:value|address|adresse)?\d*"
    r"|(?:primary|work|home|personal|business|other)e?mail(?:address)?)$"
)
_PAIRED = re.compile(r"^(e?mail|phone)(\d+)value$")
_PHONE_EXCLUDE = re.compile(r"(type|label|status|marketing|consent|optin|telex)$")
_PHONE_WORDS = ("phone", "telefon", "mobil", "handy", "fax", "pager")
_PHONE_EXACT = {"tel", "cell", "cellular", "mobile", "mobilenumber", "gsm"}
_OPTED_IN = {
    "yes",
    "y",
    "true",
    "1",
    "ja",
    "si",
    "subscribed",
    "optedin",
    "opted_in",
    "optin",
    "confirmed",
}
# "Stop" and the other opt-out keywords in a consent cell record an opt-out too
# (a till that logs the customer's own word).
_OPTED_OUT = {
    "unsubscribed",
    "optedout",
    "opted_out",
    "optout",
    "revoked",
    "stop",
    "stopped",
    "stopall",
    "end",
    "quit",
    "cancel",
    "cancelled",
    "canceled",
    "withdrawn",
}
# An explicit "no" in a consent column (compared like consent cells: folded, no
# spaces or dashes). On a first import it means nothing is known; for a customer
# who had agreed before, it withdraws the consent.
_REFUSED = {
    "no",
    "n",
    "false",
    "f",
    "0",
    "nein",
    "non",
    "notsubscribed",
    "nonsubscribed",
    "optedout",
    "optout",
    "unsubscribed",
    "declined",
    "refused",
    "revoked",
    "withdrawn",
}
# Columns whose values say nothing about the customer's wish: Mailchimp's cleaned
# addresses, HubSpot's non-marketing contacts, and an "Unsubscribed" column, where
# "no" means "still subscribed".
_NEUTRAL_KEYS = {"cleantime", "marketingcontactstatus", "unsubscribed"}
_SYSTEM_GROUPS = {"* mycontacts", "* my contacts", "* starred"}
_TAG_SPLIT = re.compile(r"\s+:::\s+|[;,]")
_COUNTRY_NAMES = {
    "unitedstates": "US",
    "unitedstatesofamerica": "US",
    "usa": "US",
    "us": "US",
    "canada": "CA",
    "unitedkingdom": "GB",
    "uk": "GB",
    "greatbritain": "GB",
    "england": "GB",
    "germany": "DE",
    "deutschland": "DE",
    "austria": "AT",
    "osterreich": "AT",
    "switzerland": "CH",
    "schweiz": "CH",
    "france": "FR",
    "spain": "ES",
    "espana": "ES",
    "italy": "IT",
    "italia": "IT",
    "mexico": "MX",
    "brazil": "BR",
    "brasil": "BR",
    "india": "IN",
    "pakistan": "PK",
    "china": "CN",
    "japan": "JP",
    "chile": "CL",
    "peru": "PE",
    "australia": "AU",
    "netherlands": "NL",
    "nederland": "NL",
    "ireland": "IE",
}


def header_key(name: str) -> str:
    """Return the comparison form of a header: no accents, case or punctuation.

    Args:
        name: a column name as written.

    Returns:
        Lower-case letters and digits only.
    """
    folded = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in folded if ch.isalnum() and ch.isascii())


@dataclass
class ColumnRole:
    """What one column means."""

    role: str
    label: str = ""
    label_column: int | None = None


@dataclass
class Mapping:
    """The exporter and the meaning of every column."""

    format: str
    layout: str
    header: list[str]
    columns: list[ColumnRole]
    mailchimp_status: str | None = None
    mailchimp_column: int | None = None
    indices: dict[str, list[int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return header -> role, as stored with the import batch."""
        return {
            name: (col.role if not col.label else f"{col.role} ({col.label})")
            for name, col in zip(self.header, self.columns, strict=True)
            if col.role != "ignore"
        }

    def finish(self) -> "Mapping":
        """Index the columns by role for fast row reading; returns self."""
        self.indices = {}
        for index, column in enumerate(self.columns):
            self.indices.setdefault(column.role, []).append(index)
        return self


def detect_format(keys: set[str]) -> tuple[str, str]:
    """Tell the exporter from the set of header keys.

    Args:
        keys: the :func:`header_key` forms of every column.

    Returns:
        (format, layout), e.g. ``("shopify", "shopify-legacy")``.
    """
    if keys & {"acceptsemailmarketing", "acceptssmsmarketing"}:
        return "shopify", "shopify-current"
    if "acceptsmarketing" in keys and "totalspent" in keys:
        return "shopify", "shopify-legacy"
    if keys & {"squarecustomerid", "emailsubscriptionstatus"}:
        return "square", "square"
    if keys & {"memberrating", "leid", "euid"}:
        return "mailchimp", "mailchimp"
    if "recordid" in keys and keys & {"marketingcontactstatus", "contactowner"}:
        return "hubspot", "hubspot"
    if "username" in keys and keys & {"aov", "totalspend"}:
        return "woocommerce", "woocommerce"
    if "groupmembership" in keys or "givennameyomi" in keys:
        return "google", "google-legacy"
    if "labels" in keys and keys & {"email1label", "phone1label"}:
        return "google", "google-labels"
    if keys & {"emaildisplayname", "businessfax", "homefax"}:
        return "outlook", "outlook-en"
    if keys & {"emailangezeigtername", "faxgeschaftlich"}:
        return "outlook", "outlook-de"
    return "generic", "generic"


def _phone_label(header: str, key: str) -> str:
    if "mobil" in key or "cell" in key or "handy" in key:
        return "mobile"
    if "fax" in key:
        return "fax"
    if "business" in key or "geschaftlich" in key or "work" in key:
        return "work"
    if "home" in key or "privat" in key:
        return "home"
    return "" if key in ("phone", "phonenumber", "telefon", "tel") else header.lower()


def _role_for(key: str, header: str) -> ColumnRole:
    if key in _NAME_ROLES:
        return ColumnRole(_NAME_ROLES[key])
    if key in _TAG_KEYS:
        return ColumnRole("tags")
    if key in _COUNTRY_KEYS:
        return ColumnRole("country")
    if key in _CONSENT_KEYS:
        return ColumnRole("consent_" + _CONSENT_KEYS[key], label=key)
    if key in _TIMEZONE_KEYS:
        return ColumnRole("timezone")
    if key in _CUSTOM_KEYS:
        return ColumnRole("custom", label=_CUSTOM_KEYS[key])
    if _EMAIL_KEY.match(key):
        return ColumnRole("email")
    is_phone = key in _PHONE_EXACT or any(word in key for word in _PHONE_WORDS)
    if is_phone and not _PHONE_EXCLUDE.search(key):
        return ColumnRole("phone", label=_phone_label(header, key))
    return ColumnRole("ignore")


def build_mapping(
    header: list[str], overrides: dict[str, str] | None = None
) -> Mapping:
    """Recognise the exporter and map each column.

    Args:
        header: the column names.
        overrides: header name -> role chosen by the user (see :data:`ROLES`,
            plus ``custom:<name>``); they win over the detected roles.

    Returns:
        The mapping.
    """
    keys = [header_key(name) for name in header]
    fmt, layout = detect_format(set(keys))
    columns = [_role_for(key, name) for key, name in zip(keys, header, strict=True)]

    position = {key: index for index, key in enumerate(keys)}
    for index, key in enumerate(keys):
        paired = _PAIRED.match(key)
        if not paired:
            continue
        for suffix in ("type", "label"):
            partner = position.get(f"{paired.group(1)}{paired.group(2)}{suffix}")
            if partner is not None:
                columns[index].label_column = partner
                columns[index].label = ""

    mailchimp_status = None
    if fmt == "mailchimp":
        if "unsubtime" in position:
            mailchimp_status = "opted_out"
        elif "cleantime" in position:
            mailchimp_status = "unknown"
        else:
            mailchimp_status = "opted_in"

    for name, role in (overrides or {}).items():
        if name not in header:
            continue
        index = header.index(name)
        if role.startswith("custom:"):
            columns[index] = ColumnRole("custom", label=role[7:])
        else:
            known = role in ROLES
            columns[index] = ColumnRole(role if known else "ignore")
    mailchimp_column = next(
        (
            position[key]
            for key in ("unsubtime", "cleantime", "confirmtime", "optintime")
            if key in position
        ),
        None,
    )
    mapping = Mapping(
        fmt, layout, list(header), columns, mailchimp_status, mailchimp_column
    )
    return mapping.finish()


def consent_status(column_key: str, value: str) -> str | None:
    """Return the consent status a cell means, or None for an empty cell.

    Args:
        column_key: the header key of the consent column.
        value: the cell.

    Returns:
        ``opted_in``, ``opted_out`` or ``unknown``; None when there is nothing.
    """
    text = value.strip().casefold().replace(" ", "").replace("-", "")
    if not text:
        return None
    if column_key == "unsubtime":
        return "opted_out"
    if column_key in ("cleantime", "marketingcontactstatus"):
        return "unknown"
    if column_key == "unsubscribed":
        return "opted_out" if text in _OPTED_IN else "unknown"
    if text in _OPTED_OUT:
        return "opted_out"
    if text in _OPTED_IN:
        return "opted_in"
    return "unknown"


def is_refusal(column_key: str, value: str) -> bool:
    """Tell whether a consent cell explicitly says no (not empty, not neutral).

    Args:
        column_key: the header key of the consent column.
        value: the cell.

    Returns:
        True for "no", "false", "0", "nein", "non", "not subscribed" and the like
        in a column that states the customer's wish.
    """
    if column_key in _NEUTRAL_KEYS:
        return False
    text = value.strip().casefold().replace(" ", "").replace("-", "")
    return text.replace("_", "") in _REFUSED


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


def timezone_name(value: str) -> str:
    """Return the IANA time zone a cell names, in its proper case, else ''.

    Args:
        value: the cell, e.g. ``america/chicago`` (Mailchimp writes lower case).

    Returns:
        e.g. ``America/Chicago``; '' for a blank cell or an unknown name.
    """
    text = value.strip()
    if not text:
        return ""
    return _zone_names().get(text.casefold(), "")


def country_code(value: str) -> str:
    """Return an ISO country code for a cell (a code or a common name), else ''.

    Args:
        value: the cell, e.g. ``CL``, ``Deutschland`` or ``  India``.
    """
    text = value.strip()
    if len(text) == 2 and text.isalpha() and text.isascii():
        return text.upper()
    return _COUNTRY_NAMES.get(header_key(text), "")


def split_tags(cell: str) -> list[str]:
    """Split a tags cell on ``' ::: '``, ``;`` or ``,``, dropping Google groups.

    Args:
        cell: the cell text.

    Returns:
        The tags in order, without Google's system groups.
    """
    tags: list[str] = []
    for piece in _TAG_SPLIT.split(cell):
        tag = piece.strip().strip('"').strip()
        if not tag or tag.casefold() in _SYSTEM_GROUPS:
            continue
        if tag.startswith("* "):
            tag = tag[2:].strip()
        if tag not in tags:
            tags.append(tag)
    return tags


def row_to_record(cells: list[str], mapping: Mapping, row: int) -> RawRecord:
    """Read one CSV record with a mapping.

    Args:
        cells: the record's cells (short records read missing cells as empty).
        mapping: the column mapping.
        row: the record number, from 1.

    Returns:
        The raw record; ``blank`` is True when every cell is empty.
    """
    if not "".join(cells).strip():
        return RawRecord(row=row, blank=True)
    missing = len(mapping.header) - len(cells)
    if missing > 0:
        cells = [*cells, *([""] * missing)]
    record = RawRecord(row=row)
    indices = mapping.indices

    _read_names(record, cells, mapping)
    _read_channels(record, cells, mapping)
    for index in indices.get("tags", ()):
        for tag in split_tags(cells[index]):
            if tag not in record.tags:
                record.tags.append(tag)
    for index in indices.get("country", ()):
        code = country_code(cells[index])
        if code:
            record.country = code
            break
    for index in indices.get("timezone", ()):
        zone = timezone_name(cells[index])
        if zone:
            record.timezone = zone
            break
    custom = record.custom
    for index in indices.get("custom", ()):
        value = cells[index]
        if value:
            value = value.strip().lstrip("'").strip()
            if value:
                custom.setdefault(mapping.columns[index].label, value[:500])
    _read_consent(record, cells, mapping)
    return record


def _read_names(record: RawRecord, cells: list[str], mapping: Mapping) -> None:
    indices = mapping.indices
    for role in ("first_name", "middle_name", "last_name", "full_name", "company"):
        for index in indices.get(role, ()):
            value = cells[index]
            if value:
                value = " ".join(value.split())
                if value:
                    setattr(record, role, value)
                    break


def _read_channels(record: RawRecord, cells: list[str], mapping: Mapping) -> None:
    for role, target in (("email", record.emails), ("phone", record.phones)):
        for index in mapping.indices.get(role, ()):
            value = cells[index]
            if value:
                value = value.strip()
                if value:
                    column = mapping.columns[index]
                    target.append(
                        SourceValue(value, _label(cells, column), mapping.header[index])
                    )


def _label(cells: list[str], column: ColumnRole) -> str:
    if column.label_column is None:
        return column.label
    index = column.label_column
    text = cells[index].strip() if index < len(cells) else ""
    return text.lstrip("*").strip().lower()


_CHANNEL = {"consent_email": "email", "consent_sms": "sms"}


@functools.lru_cache(maxsize=1024)
def _consent_value(
    channel: str, status: str, column: str, value: str, refusal: bool
) -> ConsentValue:
    """Share one object per distinct consent cell ("yes", "no" ...) across rows."""
    return ConsentValue(channel, status, column, value, refusal)


def _read_consent(record: RawRecord, cells: list[str], mapping: Mapping) -> None:
    width = len(cells)
    for role in ("consent_email", "consent_sms"):
        for index in mapping.indices.get(role, ()):
            value = cells[index].strip()
            column = mapping.columns[index]
            key = column.label or header_key(mapping.header[index])
            status = consent_status(key, value)
            if status is not None:
                refusal = status == "unknown" and is_refusal(key, value)
                record.consent.append(
                    _consent_value(
                        _CHANNEL[role], status, mapping.header[index], value, refusal
                    )
                )
    if mapping.mailchimp_status is not None and record.emails:
        index = mapping.mailchimp_column
        column = "Mailchimp audience"
        value = "member"
        if index is not None and index < width and cells[index].strip():
            column, value = mapping.header[index], cells[index].strip()
        record.consent.append(
            ConsentValue("email", mapping.mailchimp_status, column, value)
        )
