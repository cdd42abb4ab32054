"""What an SMS template costs over a whole audience, counted per recipient, and why.

Each customer's copy is counted after the merge fields are filled in, exactly as it
will be sent: a name with "á" turns that customer's message into UCS-2, a long name
can push it into a second segment. ``audience_breakdown`` sums this up for the compose
view: how many customers pay how many segments, the worst case and who hits it, the
reasons in plain words, and the total and estimated cost.

It must keep up with typing over 10,000 contacts, so work is shared: customers whose
merge values are the same are counted once, and a body is assembled from its fixed
pieces and values, whose units simply add up. Only a body that needs more than one
segment and holds an escape pair or an emoji is laid out by ``segments.count_segments``;
every other count follows from the units alone. A blank value (the text around it is
tidied) always goes through ``templates.render``, so the result is always the count of
the exact text that would be sent.
"""

import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, NamedTuple

from desktop_app.core import segments
from desktop_app.core.segments import GSM7, UCS2
from desktop_app.core.templates import CompiledTemplate, compile_template, tidy_neutral
from desktop_app.core.words import counted

logger = logging.getLogger(__name__)

_DOUBLED_EXTENSION: Final = {
    ord(char): char * 2 for char in segments.GSM7_EXTENSION_CHARS
}
# Most values are plain GSM-7 (no extension character): one search settles them.
_NOT_GSM7_DEFAULT: Final = re.compile(
    "[^" + re.escape(segments.GSM7_DEFAULT_CHARS) + "]"
).search
_REASON_CHARS: Final = 3
_EXAMPLES_IN_JSON: Final = 50
_MEDIAN_SAMPLE: Final = 1000
_NAME_FIELDS: Final = frozenset({"first_name", "last_name", "full_name"})
_REASON_LABELS: Final = {
    "company": "company name",
    "email": "email address",
    "phone": "phone number",
    "shop_name": "shop name",
}
_LONG: Final = "long"
_UCS2: Final = "ucs2"


@dataclass(frozen=True)
class SegmentGroup:
    """The customers whose SMS costs the same number of segments.

    Attributes:
        segments: segments each of these messages costs.
        recipients: how many customers are in the group.
        encodings: customers per encoding (``GSM-7``, ``UCS-2``).
        reasons: why these customers pay more than most, most common first, e.g.
            ``long names`` or ``a name with á (UCS-2)``; empty for the typical group
            and for groups that pay less.
    """

    segments: int
    recipients: int
    encodings: Mapping[str, int]
    reasons: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the group as a JSON-ready dict."""
        return {
            "segments": self.segments,
            "recipients": self.recipients,
            "encodings": dict(self.encodings),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class AudienceBreakdown:
    """The SMS cost of one template over an audience, per recipient and in total.

    Recipients are named by their index in the sequence given to
    ``audience_breakdown``. A recipient is *sendable* unless their SMS renders empty
    or is refused (over 1,600 characters); only sendable messages are in the
    histogram, the groups, the worst case and the total.

    Attributes:
        recipients: how many recipients were counted.
        segments_per_recipient: each recipient's segment count (0 when empty).
        encodings_per_recipient: each recipient's encoding.
        histogram: segments to number of sendable recipients, fewest segments first.
        groups: one group per segment count, the typical one first, then by segments.
        typical_segments: the segment count most recipients pay (0 when none).
        worst_segments: the most segments any sendable recipient pays (0 when none).
        worst_encoding: the encoding of the worst case (``UCS-2`` if any worst-case
            message is UCS-2), or None when nobody is sendable.
        worst_recipients: indices of the recipients who pay ``worst_segments``.
        total_segments: segments of every sendable message.
        price_per_segment: the price used for the estimate.
        estimated_cost: ``total_segments`` times the price.
        empty_recipients: indices of recipients whose SMS renders empty.
        refused_recipients: indices of recipients whose SMS is too long to send.
        distinct_values: how many different combinations of merge values there were
            (each one is rendered and counted once).
        text_culprits: the characters of the template's own text that force
            UCS-2 on every recipient, each once, in order.
    """

    recipients: int
    segments_per_recipient: tuple[int, ...]
    encodings_per_recipient: tuple[str, ...]
    histogram: Mapping[int, int]
    groups: tuple[SegmentGroup, ...]
    typical_segments: int
    worst_segments: int
    worst_encoding: str | None
    worst_recipients: tuple[int, ...]
    total_segments: int
    price_per_segment: Decimal
    estimated_cost: Decimal
    empty_recipients: tuple[int, ...]
    refused_recipients: tuple[int, ...]
    distinct_values: int
    text_culprits: tuple[str, ...] = ()

    @property
    def sendable(self) -> int:
        """Return how many recipients get an SMS that can be sent."""
        return (
            self.recipients - len(self.empty_recipients) - len(self.refused_recipients)
        )

    @property
    def over_warning(self) -> int:
        """Return how many sendable recipients' SMS take more than 10 segments."""
        return sum(
            count
            for size, count in self.histogram.items()
            if size > segments.WARN_SEGMENTS
        )

    def to_json(self) -> dict[str, Any]:
        """Return the breakdown as a JSON-ready dict (recipient lists shortened).

        Returns:
            Totals, histogram (keys are segment counts as text), groups with their
            reasons, the worst case with up to 50 recipient indices, and the
            empty and refused recipients likewise.
        """
        return {
            "recipients": self.recipients,
            "sendable": self.sendable,
            "histogram": {str(size): count for size, count in self.histogram.items()},
            "groups": [group.to_json() for group in self.groups],
            "typical_segments": self.typical_segments,
            "worst_case": {
                "segments": self.worst_segments,
                "encoding": self.worst_encoding,
                "recipients": len(self.worst_recipients),
                "examples": list(self.worst_recipients[:_EXAMPLES_IN_JSON]),
            },
            "total_segments": self.total_segments,
            "price_per_segment": str(self.price_per_segment),
            "estimated_cost": float(round(self.estimated_cost, 4)),
            "empty": len(self.empty_recipients),
            "empty_examples": list(self.empty_recipients[:_EXAMPLES_IN_JSON]),
            "refused": len(self.refused_recipients),
            "refused_examples": list(self.refused_recipients[:_EXAMPLES_IN_JSON]),
            "over_warning": self.over_warning,
            "text_culprits": list(self.text_culprits),
            "summary": self.summary_text(),
        }

    def summary_text(self) -> str:
        """Return the breakdown in a few plain lines for the shop owner.

        Returns:
            For example ``most customers: 1 segment; 37 customers: 2 segments,
            because of long names / a name with á (UCS-2)``, then the worst case,
            the total with the estimated cost, and any empty or refused messages.
        """
        if not self.recipients:
            return "No customers chosen."

        lines = []
        if self.groups:
            lines.append("; ".join(self._group_text(group) for group in self.groups))
            lines.append(self._worst_text())
        if self.text_culprits:
            shown = ", ".join(self.text_culprits[:_REASON_CHARS])
            lines.append(f"Every SMS is UCS-2 because the text itself has {shown}.")
        lines.append(
            f"Total: {counted(self.total_segments, 'segment')}, estimated cost "
            f"${self.estimated_cost:,.2f} at ${self.price_per_segment} per segment."
        )
        if self.empty_recipients:
            lines.append(
                f"{counted(len(self.empty_recipients), 'customer')} would get an "
                "empty SMS; they are skipped."
            )
        if self.refused_recipients:
            lines.append(
                f"{counted(len(self.refused_recipients), 'customer')} would get an "
                f"SMS over {segments.MAX_BODY_CHARS:,} characters, which cannot be "
                "sent."
            )
        if self.over_warning:
            lines.append(
                f"Warning: {counted(self.over_warning, 'customer')} would get an SMS "
                f"of more than {segments.WARN_SEGMENTS} segments."
            )
        return "\n".join(lines)

    def _worst_text(self) -> str:
        worst = len(self.worst_recipients)
        group = next(g for g in self.groups if g.segments == self.worst_segments)
        ucs2 = group.encodings.get(segments.UCS2, 0)
        if ucs2 in (0, worst):
            how = f"({self.worst_encoding})"
        else:
            how = f"({ucs2:,} of them in {segments.UCS2})"
        return (
            f"Worst case: {counted(self.worst_segments, 'segment')} for "
            f"{counted(worst, 'customer')} {how}."
        )

    def _group_text(self, group: SegmentGroup) -> str:
        size = counted(group.segments, "segment")
        if group.recipients == self.sendable and self.sendable > 1:
            who = f"all {group.recipients:,} customers"
        elif group.segments == self.typical_segments and group.recipients * 2 > (
            self.sendable
        ):
            who = "most customers"
        else:
            who = counted(group.recipients, "customer")
        text = f"{who}: {size}"
        if group.reasons:
            text += ", because of " + " / ".join(group.reasons)
        return text


# What a piece of text adds to a body: its text, GSM-7 or not, septets (GSM-7 only),
# UTF-16 units and characters. Units add up when texts are joined; a joined text has
# no escape pair when septets == chars and no emoji when units == chars.
_Part = tuple[str, bool, int, int, int]


class _Body(NamedTuple):
    """The count of one distinct combination of values, and the text each field put in."""

    segments: int
    encoding: str
    empty: bool
    refused: bool
    effective: tuple[str, ...]


class _Shape:
    """The template as it reads with some fields removed: fixed text and kept fields.

    Attributes:
        pieces: the fixed text around the kept fields, the last piece trimmed as the
            provider trims (exact, since a kept value never ends in a line break).
        kept: for each kept field, its index in the template's fields.
        gsm: the fixed text is all GSM-7.
        septets, units, chars: the fixed text's GSM-7 septets, UTF-16 units and
            characters.
        layouts: segments of stand-in bodies, by encoding and value lengths.
    """

    def __init__(self, pieces: tuple[str, ...], kept: tuple[int, ...]) -> None:
        self.pieces = (*pieces[:-1], segments.trim_for_sending(pieces[-1]))
        self.kept = kept
        parts = [_part_of(piece) for piece in self.pieces]
        self.gsm = all(part[1] for part in parts)
        self.septets = sum(part[2] for part in parts)
        self.units = sum(part[3] for part in parts)
        self.chars = sum(part[4] for part in parts)
        self.layouts: dict[tuple[Any, ...], int] = {}

    def join(self, texts: Sequence[str]) -> str:
        """Return the body with ``texts`` (one per kept field) in place."""
        joined = [piece + text for piece, text in zip(self.pieces, texts, strict=False)]
        return "".join(joined) + self.pieces[-1]


def audience_breakdown(
    sms_template: str,
    recipients: Sequence[Mapping[str, str]],
    *,
    price_per_segment: Decimal | float,
    defaults: Mapping[str, str] | None = None,
) -> AudienceBreakdown:
    """Count each recipient's SMS after merge fields are filled in, and sum it up.

    Args:
        sms_template: the SMS text as written, with merge fields.
        recipients: each recipient's merge values (``Contact.merge_values()``).
        price_per_segment: the price of one segment, in dollars.
        defaults: values a recipient does not have, e.g. ``{"shop_name": "..."}``
            as ``render_pair`` adds them; a recipient's own value wins.

    Returns:
        The breakdown: histogram, worst case, reasons, total and estimated cost.
    """
    counter = _Counter(compile_template(sms_template), defaults or {})
    ids = counter.key_ids(recipients)
    bodies = counter.bodies
    price = _decimal(price_per_segment)

    per_recipient = tuple(bodies[key_id].segments for key_id in ids)
    encodings = tuple(bodies[key_id].encoding for key_id in ids)
    empty = tuple(i for i, key_id in enumerate(ids) if bodies[key_id].empty)
    refused = tuple(i for i, key_id in enumerate(ids) if bodies[key_id].refused)
    sendable_ids = Counter(
        key_id for key_id in ids if not (bodies[key_id].empty or bodies[key_id].refused)
    )

    histogram: Counter[int] = Counter()
    for key_id, count in sendable_ids.items():
        histogram[bodies[key_id].segments] += count
    typical = min(histogram, key=lambda size: (-histogram[size], size), default=0)
    worst = max(histogram, default=0)
    worst_ids = {key_id for key_id in sendable_ids if bodies[key_id].segments == worst}
    worst_encoding = None
    if worst_ids:
        worst_codings = {bodies[key_id].encoding for key_id in worst_ids}
        worst_encoding = segments.UCS2 if segments.UCS2 in worst_codings else GSM7
    total = sum(size * count for size, count in histogram.items())

    breakdown = AudienceBreakdown(
        recipients=len(ids),
        segments_per_recipient=per_recipient,
        encodings_per_recipient=encodings,
        histogram=dict(sorted(histogram.items())),
        groups=counter.groups(sendable_ids, typical),
        typical_segments=typical,
        worst_segments=worst,
        worst_encoding=worst_encoding,
        worst_recipients=tuple(
            i for i, key_id in enumerate(ids) if key_id in worst_ids
        ),
        total_segments=total,
        price_per_segment=price,
        estimated_cost=price * total,
        empty_recipients=empty,
        refused_recipients=refused,
        distinct_values=len(counter.bodies),
        text_culprits=counter.text_culprits(),
    )
    logger.debug(
        "breakdown: %d recipients, %d distinct values, %d segments",
        len(ids),
        len(bodies),
        total,
    )
    return breakdown


class _Counter:
    """Counts the bodies of one template, sharing work between equal values."""

    def __init__(self, compiled: CompiledTemplate, defaults: Mapping[str, str]) -> None:
        self.compiled = compiled
        self.names = compiled.names
        self.defaults = [(name, defaults.get(name)) for name in self.names]
        self.bodies: list[_Body] = []
        self._parts: dict[Any, _Part] = {}
        self._texts: dict[str, tuple[int, str]] = {}
        self._shapes: dict[tuple[bool, ...], _Shape] = {}
        position = {name: index for index, name in enumerate(self.names)}
        self._slots = [
            (position[name], _part_of(fallback) if fallback else None)
            for name, fallback in compiled.fields
        ]
        self._full = self._shape((False,) * len(self._slots))
        self._fixed_gsm = self._full.gsm

    def key_ids(self, recipients: Sequence[Mapping[str, str]]) -> list[int]:
        """Return, per recipient, the id of its distinct values (counted once each)."""
        ids: dict[tuple[Any, ...], int] = {}
        result = []
        names, defaults = self.names, self.defaults
        plain_get = all(default is None for _name, default in defaults)
        for values in recipients:
            if plain_get:
                key = tuple(map(values.get, names))
            else:
                key = tuple([values.get(name, default) for name, default in defaults])
            key_id = ids.get(key)
            if key_id is None:
                key_id = ids[key] = len(self.bodies)
                self.bodies.append(self._count(key))
            result.append(key_id)
        return result

    def text_culprits(self) -> tuple[str, ...]:
        """The characters of the template's own text that are not GSM-7, each once."""
        text = "".join(self._full.pieces)
        return tuple(dict.fromkeys(c for c in text if not segments.is_gsm7(c)))

    def groups(self, sendable: Counter[int], typical: int) -> tuple[SegmentGroup, ...]:
        """Group the sendable bodies by segments and explain the costlier groups."""
        by_kind: Counter[tuple[int, str]] = Counter()
        bodies = self.bodies
        for key_id, count in sendable.items():
            body = bodies[key_id]
            by_kind[body.segments, body.encoding] += count
        sizes: dict[int, Counter[str]] = {}
        for (size, encoding), count in by_kind.items():
            sizes.setdefault(size, Counter())[encoding] = count
        medians = (
            self._median_lengths(sendable) if max(sizes, default=0) > typical else {}
        )

        groups = []
        for size in sorted(sizes, key=lambda size: (size != typical, size)):
            reasons: tuple[str, ...] = ()
            if size > typical:
                members = {
                    k: c for k, c in sendable.items() if self.bodies[k].segments == size
                }
                reasons = self._reasons(members, medians)
            encodings = dict(sorted(sizes[size].items()))
            groups.append(
                SegmentGroup(size, sum(encodings.values()), encodings, reasons)
            )
        return tuple(groups)

    def _count(self, key: tuple[Any, ...]) -> _Body:
        """Count the body of one combination of raw values."""
        gsm = True
        septets = units = chars = 0
        effective: list[str] = []
        removed = False
        parts = self._parts
        for index, fallback in self._slots:
            raw = key[index]
            part = parts.get(raw)
            if part is None:
                part = parts[raw] = _part_of(_clean(raw))
            if not part[0]:
                if fallback is None:
                    removed = True
                    effective.append("")
                    continue
                part = fallback
            effective.append(part[0])
            gsm = gsm and part[1]
            septets += part[2]
            units += part[3]
            chars += part[4]

        shape = self._full
        if not removed and shape.kept:
            # The common case, settled without a call: one segment.
            both_gsm = gsm and shape.gsm
            if (
                septets + shape.septets <= segments.GSM7_SINGLE_CAPACITY
                if both_gsm
                else units + shape.units <= segments.UCS2_SINGLE_CAPACITY
            ):
                return _Body(1, GSM7 if both_gsm else UCS2, False, False, (*effective,))
        texts = effective
        if removed:
            if not all(tidy_neutral(text) for text in effective if text):
                return self._render_and_count(key, tuple(effective))
            shape = self._shape(tuple(not text for text in effective))
            texts = [effective[index] for index in shape.kept]
        size, encoding, empty, refused = self._count_filled(
            shape, texts, gsm, septets, units, chars
        )
        return _Body(size, encoding, empty, refused, tuple(effective))

    def _render_and_count(
        self, key: tuple[Any, ...], effective: tuple[str, ...]
    ) -> _Body:
        """Count the exact rendered text (a value next to a removed field may be tidied)."""
        values = dict(zip(self.names, key, strict=True))
        body = segments.trim_for_sending(self.compiled.render(values))
        size, encoding = self._count_text(body)
        empty = not body.strip()
        refused = not empty and segments.body_problem(body) is not None
        return _Body(0 if empty else size, encoding, empty, refused, effective)

    def _shape(self, blank: tuple[bool, ...]) -> _Shape:
        shape = self._shapes.get(blank)
        if shape is None:
            shape = self._shapes[blank] = _Shape(*self.compiled.without(blank))
        return shape

    def _count_filled(
        self,
        shape: _Shape,
        texts: list[str],
        gsm: bool,
        septets: int,
        units: int,
        chars: int,
    ) -> tuple[int, str, bool, bool]:
        """Count a body whose every kept field is filled: units are sums of parts'.

        Args:
            shape: the template as it reads for this body.
            texts: the kept fields' texts.
            gsm: every value is GSM-7.
            septets: the values' septets (meaningful when ``gsm``).
            units: the values' UTF-16 units.
            chars: the values' characters.

        Returns:
            Segments, encoding, empty and refused.
        """
        if not texts:
            body = shape.join(())
            size, encoding = self._count_text(body)
            empty = not body.strip()
            refused = not empty and segments.body_problem(body) is not None
            return 0 if empty else size, encoding, empty, refused

        gsm = gsm and shape.gsm
        total_chars = chars + shape.chars
        refused = total_chars > segments.MAX_BODY_CHARS
        if gsm:
            body_units, values_plain = septets + shape.septets, septets == chars
            single, multi = segments.GSM7_SINGLE_CAPACITY, segments.GSM7_MULTI_CAPACITY
        else:
            body_units, values_plain = units + shape.units, units == chars
            single, multi = segments.UCS2_SINGLE_CAPACITY, segments.UCS2_MULTI_CAPACITY
        encoding = segments.GSM7 if gsm else segments.UCS2

        if body_units <= single:
            size = 1
        elif body_units == total_chars:
            size = -(-body_units // multi)
        elif values_plain:
            size = self._count_layout(shape, gsm, texts)
        else:
            size, encoding = self._count_text(shape.join(texts))
        return size, encoding, False, refused

    def _count_layout(self, shape: _Shape, gsm: bool, texts: list[str]) -> int:
        """Count a body whose escape pairs or emoji all lie in the fixed text.

        Where such a body breaks into segments depends only on how long each value
        is, so one stand-in body per combination of lengths is laid out: a value
        becomes as many ``a`` (GSM-7) or ``ā`` (UCS-2) as it has characters.
        """
        lengths = (gsm, *map(len, texts))
        size = shape.layouts.get(lengths)
        if size is None:
            filler = "a" if gsm else "\u0101"
            stand_in = shape.join([filler * len(text) for text in texts])
            size = shape.layouts[lengths] = segments.count_segments(stand_in).segments
        return size

    def _count_text(self, body: str) -> tuple[int, str]:
        found = self._texts.get(body)
        if found is None:
            count = segments.count_segments(body)
            found = self._texts[body] = (count.segments, count.encoding)
        return found

    def _median_lengths(self, sendable: Counter[int]) -> dict[int, float]:
        """The typical length of each field occurrence's text over the audience.

        A large audience is sampled evenly: a typical length needs no precision.
        """
        items = list(sendable.items())
        sample = items[:: -(-len(items) // _MEDIAN_SAMPLE)] if items else []
        medians: dict[int, float] = {}
        for index in range(len(self.compiled.fields)):
            lengths: Counter[int] = Counter()
            for key_id, count in sample:
                lengths[len(self.bodies[key_id].effective[index])] += count
            medians[index] = _weighted_median(lengths)
        return medians

    def _reasons(
        self, members: Mapping[int, int], medians: Mapping[int, float]
    ) -> tuple[str, ...]:
        """Name why these bodies cost more: a value that forced UCS-2, or a long one."""
        counts: Counter[tuple[str, str]] = Counter()
        chars: dict[tuple[str, str], Counter[str]] = {}
        texts: dict[tuple[str, str], set[str]] = {}
        for key_id, count in members.items():
            reason, culprits, text = self._reason(self.bodies[key_id], medians)
            counts[reason] += count
            chars.setdefault(reason, Counter()).update(dict.fromkeys(culprits, count))
            texts.setdefault(reason, set()).add(text)
        return tuple(
            _reason_text(kind, label, len(texts[(kind, label)]), chars[(kind, label)])
            for (kind, label), _count in counts.most_common()
        )

    def _reason(
        self, body: _Body, medians: Mapping[int, float]
    ) -> tuple[tuple[str, str], str, str]:
        """Return the reason, the characters that forced UCS-2 and the value to blame."""
        fields = self.compiled.fields
        if body.encoding == segments.UCS2 and self._fixed_gsm:
            for index, text in enumerate(body.effective):
                culprits = "".join(c for c in text if not segments.is_gsm7(c))
                if culprits:
                    return (_UCS2, _reason_label(fields[index][0])), culprits, text

        excess = [
            (len(text) - medians.get(index, 0.0), index)
            for index, text in enumerate(body.effective)
        ]
        most, index = max(excess, default=(0.0, -1))
        if most <= 0:
            return (_LONG, ""), "", ""
        return (_LONG, _reason_label(fields[index][0])), "", body.effective[index]


def _reason_text(kind: str, label: str, values: int, chars: Counter[str]) -> str:
    """Phrase one reason; ``values`` is how many different values it covers."""
    if kind == _UCS2:
        shown = ", ".join(char for char, _n in chars.most_common(_REASON_CHARS))
        who = f"a {label}" if values == 1 else f"{label}s"
        return f"{who} with {shown} (UCS-2)"
    if not label:
        return "longer text once merge fields are filled in"
    return f"a long {label}" if values == 1 else f"long {label}s"


def _reason_label(name: str) -> str:
    if name in _NAME_FIELDS:
        return "name"
    return _REASON_LABELS.get(name, " ".join(name.replace("_", " ").split()).lower())


def _weighted_median(lengths: Counter[int]) -> float:
    total = sum(lengths.values())
    seen = 0
    for length in sorted(lengths):
        seen += lengths[length]
        if seen * 2 >= total:
            return float(length)
    return 0.0


def _decimal(price: Decimal | float) -> Decimal:
    return price if isinstance(price, Decimal) else Decimal(str(price))


def _part_of(text: str) -> _Part:
    """Measure one piece of text (see ``_Part``)."""
    chars = len(text)
    if _NOT_GSM7_DEFAULT(text) is None:
        return (text, True, chars, chars, chars)
    if segments.is_gsm7(text):
        return (text, True, len(text.translate(_DOUBLED_EXTENSION)), chars, chars)
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    return (text, False, chars, units, chars)


def _clean(raw: object) -> str:
    # The same cleaning templates.render applies to a value.
    return " ".join(str(raw).split()) if raw is not None else ""
