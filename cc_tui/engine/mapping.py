"""From segment columns to Constant Contact contact fields.

The mapping is checked before a run starts (every mapped column exists in every segment, at most
25 custom fields, custom fields known to the account), then applied by Polars expressions: every
value is trimmed, empty ones are left out, and every optional field is held to its rule
(:mod:`cc_tui.engine.field_rules`). A value that breaks its rule is left out of its contact,
never cut short; the contact is still sent, and each change or drop is reported with its row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import polars as pl

from cc_tui.engine.field_rules import (
    FieldKind,
    FieldRule,
    RulePlan,
    birthday_plans,
    cleaned_text,
    custom_field_rule,
    date_plan,
    has_control,
    over_length,
    rule_plan,
    special_in,
)
from cc_tui.models.api_rules import (
    ADDRESS_GROUPS,
    ATTRIBUTE_FIELDS,
    CUSTOM_FIELD_PREFIX,
    MAX_ADDRESSES_PER_CONTACT,
    MAX_CUSTOM_FIELDS_PER_CONTACT,
    MAX_PHONES_PER_CONTACT,
    NAME_FIELDS,
    PAIRED_STREET_LINE_MAX,
    PHONE_FIELDS,
    STREET_PAIRS,
)
from cc_tui.models.config import FieldMapping
from cc_tui.models.reasons import FieldReason

if TYPE_CHECKING:  # the client's package (httpx...) is not needed to read these
    from cc_tui.constant_contact.schemas import CustomField

__all__ = [
    "PROBLEM_COLUMNS",
    "ContactFields",
    "MappedField",
    "contact_fields",
    "custom_field_problems",
    "mapped_fields",
    "mapping_problems",
    "with_account_fields",
]

# field_problems rows: position in the chunk, field, reason, and the value as the segment held it.
PROBLEM_COLUMNS = ("index", "field", "reason", "value")
_PHONE_FIELDS = frozenset(PHONE_FIELDS)
_DATE_FIELDS = frozenset({"anniversary", "sms_consent_date"})
_BIRTHDAY = ("birthday_month", "birthday_day")
# Fields that give a contact two of one kind: street... is "the default kind ... home", as
# home_... is; phone's "Default kind is other", as other_phone's. One of each kind is sent
# (docs/api-rules.md section 3, assumed: a server keeping one per kind keeps one or refuses).
_OTHER_PHONES = ("phone", "other_phone")
# The SMS consent date is the consent of the number it comes with, so it is sent only beside an
# SMS number (docs/api-rules.md section 3, assumed).
_SMS_NUMBER, _SMS_CONSENT = "sms_number", "sms_consent_date"
_HOME_ADDRESSES = (ADDRESS_GROUPS[0], ADDRESS_GROUPS[1])
# Helper columns beside the fields while a chunk is turned into contacts (no field name starts
# with an underscore, so they cannot collide).
_CONTROL = "_control:"
_PRESENT = "_present:"
_LONG = "_long:"
_CHANGE = "_change:"
_DROP = "_drop:"
_REASON = "_reason:"
_HELPER = "_helper:"


@dataclass(frozen=True, slots=True)
class MappedField:
    """One Constant Contact field fed by one segment column, with the rule its values follow."""

    field: str
    column: str
    rule: FieldRule

    @property
    def is_custom(self) -> bool:
        """True for ``cf:<name>`` fields."""
        return self.field.startswith(CUSTOM_FIELD_PREFIX)

    @property
    def kind(self) -> FieldKind:
        """The kind of rule the field follows."""
        return self.rule.kind


def _attribute_rule(name: str) -> FieldRule:
    limit = ATTRIBUTE_FIELDS.get(name)
    if name in _BIRTHDAY:
        return FieldRule(FieldKind(name))
    if name in _DATE_FIELDS:
        return FieldRule(FieldKind.DATE)
    if name in _PHONE_FIELDS:
        return FieldRule(FieldKind.PHONE, limit)
    if name == "sms_number":
        return FieldRule(FieldKind.SMS_NUMBER)
    return FieldRule(FieldKind.TEXT, limit)


def mapped_fields(
    mapping: FieldMapping, custom_fields: Mapping[str, CustomField] | None = None
) -> list[MappedField]:
    """Every mapped field, e-mail first, in a fixed order (so batches are deterministic).

    ``custom_fields`` (the account's, by name) give ``cf:`` fields their type's rule; without
    them a custom field is text of at most 255 characters.
    """
    fields = [MappedField("email", mapping.email, FieldRule(FieldKind.EMAIL))]
    for name, column in mapping.columns().items():
        if name == "email":
            continue
        if name in NAME_FIELDS:
            rule = FieldRule(FieldKind.TEXT, NAME_FIELDS[name])
        elif name.startswith(CUSTOM_FIELD_PREFIX):
            known = (custom_fields or {}).get(name[len(CUSTOM_FIELD_PREFIX) :])
            rule = custom_field_rule(known)
        else:
            rule = _attribute_rule(name)
        fields.append(MappedField(name, column, rule))
    return _paired_streets(fields)


def _paired_streets(fields: list[MappedField]) -> list[MappedField]:
    """Both lines of a street mapped: each is held to half of the joined street's maximum."""
    names = {f.field for f in fields}
    paired = {name for pair in STREET_PAIRS if set(pair) <= names for name in pair}
    return [
        replace(f, rule=replace(f.rule, max_length=PAIRED_STREET_LINE_MAX))
        if f.field in paired
        else f
        for f in fields
    ]


def with_account_fields(
    fields: Iterable[MappedField], custom_fields: Iterable[CustomField]
) -> tuple[MappedField, ...]:
    """``fields`` with each ``cf:`` field's rule taken from the account's definition of it."""
    known = {custom.name: custom for custom in custom_fields}
    return tuple(
        replace(f, rule=custom_field_rule(known.get(f.field[len(CUSTOM_FIELD_PREFIX) :])))
        if f.is_custom
        else f
        for f in fields
    )


def mapping_problems(
    mapping: FieldMapping, columns_by_segment: Mapping[str, Sequence[str]]
) -> list[str]:
    """What is wrong with ``mapping`` for these segments (an empty list when nothing is)."""
    problems = []
    custom = [f for f in mapped_fields(mapping) if f.is_custom]
    if len(custom) > MAX_CUSTOM_FIELDS_PER_CONTACT:
        problems.append(
            f"{len(custom)} custom fields are mapped; Constant Contact takes at most "
            f"{MAX_CUSTOM_FIELDS_PER_CONTACT} per contact. Remove "
            f"{len(custom) - MAX_CUSTOM_FIELDS_PER_CONTACT}."
        )
    phones = [name for name in PHONE_FIELDS if name in mapping.attributes]
    if len(phones) > MAX_PHONES_PER_CONTACT:
        problems.append(
            f"{len(phones)} phone fields are mapped ({', '.join(phones)}); Constant Contact "
            f"imports at most {MAX_PHONES_PER_CONTACT} phone numbers per contact. Remove "
            f"{len(phones) - MAX_PHONES_PER_CONTACT}."
        )
    addresses = [g for g in ADDRESS_GROUPS if not g.isdisjoint(mapping.attributes)]
    if len(addresses) > MAX_ADDRESSES_PER_CONTACT:
        problems.append(
            f"{len(addresses)} addresses are mapped (street..., home_..., work_..., other_...);"
            f" Constant Contact imports at most {MAX_ADDRESSES_PER_CONTACT} addresses per "
            f"contact. Remove the fields of {len(addresses) - MAX_ADDRESSES_PER_CONTACT}."
        )
    problems += _same_kind_problems(mapping)
    if _SMS_CONSENT in mapping.attributes and _SMS_NUMBER not in mapping.attributes:
        problems.append(
            "Map sms_number with sms_consent_date (the date is the consent of a contact's SMS "
            "number, sent only beside it), or leave sms_consent_date out."
        )
    if ("birthday_month" in mapping.attributes) != ("birthday_day" in mapping.attributes):
        problems.append(
            "Map birthday_month and birthday_day together (Constant Contact "
            "needs both), or neither."
        )
    for segment, columns in columns_by_segment.items():
        missing = [f.column for f in mapped_fields(mapping) if f.column not in columns]
        if missing:
            # A name with spaces around it is quoted, so the spaces show; one that differs
            # from a mapped column only by them or by case is suggested.
            shown = ", ".join(repr(c) if c != c.strip() else c for c in columns)
            near = [
                c for m in missing for c in columns if c.strip().casefold() == m.strip().casefold()
            ]
            hint = f" Did you mean {', '.join(repr(c) for c in near)}?" if near else ""
            problems.append(
                f"Segment '{segment}' has no column {', '.join(repr(m) for m in missing)}; "
                f"its columns are: {shown or '(none)'}.{hint}"
            )
        # Polars names a header's repeats NAME_duplicated_0...: a mapped NAME is ambiguous.
        repeated = [
            f.column for f in mapped_fields(mapping) if f"{f.column}_duplicated_0" in columns
        ]
        if repeated:
            problems.append(
                f"Segment '{segment}' names the column {', '.join(repr(r) for r in repeated)} "
                "twice or more in its header line, so which one is meant cannot be told. Fix: "
                "rename the other columns in the file's header line, then map the one to send."
            )
    return problems


def _same_kind_problems(mapping: FieldMapping) -> list[str]:
    """Two phones or two addresses of one kind mapped (see ``_OTHER_PHONES``)."""
    problems = []
    if all(name in mapping.attributes for name in _OTHER_PHONES):
        problems.append(
            "phone and other_phone are both the other phone number (Constant Contact's default "
            "kind of phone is other), and a contact has one of each kind: map one of them."
        )
    homes = [
        [name for name in ATTRIBUTE_FIELDS if name in group and name in mapping.attributes]
        for group in _HOME_ADDRESSES
    ]
    if all(homes):
        default, home = (", ".join(names) for names in homes)
        problems.append(
            f"{default} and {home} are both the home address (Constant Contact's default kind "
            "of address is home), and a contact has one of each kind: map one of them, or "
            "map the second address as work_... or other_... fields."
        )
    return problems


def custom_field_problems(mapping: FieldMapping, account_fields: Collection[str]) -> list[str]:
    """Custom fields of ``mapping`` that the account does not have (names without ``cf:``)."""
    unknown = [
        f.field
        for f in mapped_fields(mapping)
        if f.is_custom and f.field[len(CUSTOM_FIELD_PREFIX) :] not in account_fields
    ]
    if not unknown:
        return []
    known = ", ".join(sorted(account_fields)) or "none"
    return [
        f"The account has no custom field {', '.join(unknown)} (its custom fields: {known}). "
        "Create it in Constant Contact first, or fix the name."
    ]


@dataclass(frozen=True, slots=True)
class ContactFields:
    """A chunk of rows as contacts, and what was changed or dropped on the way.

    ``contacts`` has one column per field (null: left out of that contact). ``problems`` has
    one row per changed or dropped value: ``index`` (the row's position in the chunk),
    ``field``, ``reason`` (a :class:`~cc_tui.models.reasons.FieldReason` value) and ``value``
    (as the segment held it, as text).
    """

    contacts: pl.DataFrame
    problems: pl.DataFrame
    plain: frozenset[str] = frozenset()
    """Fields whose values in this chunk hold no character JSON escapes (see
    :func:`~cc_tui.engine.batching.contact_lines`)."""


def contact_fields(rows: pl.DataFrame, fields: Sequence[MappedField]) -> ContactFields:
    """``rows`` (source columns) as Constant Contact contacts, each field held to its rule.

    In stages, so that each value is trimmed and each regular expression runs once (eager
    Polars computes an expression used twice twice): the trimmed text; then empty text as null
    and, only for the fields of this chunk that hold a control character, the text cleaned of
    them; then the steps of each rule (a parsed date, an SMS number's digits); then each value
    with what its reason depends on; then the reasons. Whether a field needs the slower steps is
    decided per chunk from its values, so the result never depends on chunking.
    """
    schema = rows.schema
    # One frame, replaced stage by stage, so a stage's columns are freed once the next exists
    # (two chunks are prepared at once: their intermediate copies are most of pass 2's memory).
    staged = rows.select(_trimmed(f, schema[f.column]).alias(f.field) for f in fields)
    types = staged.schema
    special, long = _chunk_needs(staged, fields)
    texts = [
        f.field for f in fields if f.kind is not FieldKind.EMAIL and types[f.field] == pl.String
    ]
    staged = staged.with_columns(
        *(has_control(pl.col(name)).alias(_CONTROL + name) for name in special),
        *(
            _non_empty(cleaned_text(pl.col(name)) if name in special else pl.col(name)).alias(name)
            for name in texts
        ),
    )
    plans = _plans(fields, types)
    for step in range(max((len(plan.steps) for plan in plans.values()), default=0)):
        staged = staged.with_columns(
            expr.alias(name)
            for plan in plans.values()
            if step < len(plan.steps)
            for name, expr in plan.steps[step].items()
        )
    staged = staged.select(_outcome_exprs(fields, plans, special, long))
    staged = staged.select(_value_and_reason_exprs(fields, plans, special, long))
    problems = _problems(rows, staged, fields)
    # Every value sent is its field's text or made of it (a choice equal to it, its digits, a
    # date), so a field whose text holds no character JSON escapes sends none; the e-mail's
    # pattern allows none.
    plain = frozenset(f.field for f in fields if f.field not in special)
    return ContactFields(staged.select(f.field for f in fields), problems, plain)


def _trimmed(field: MappedField, dtype: pl.DataType) -> pl.Expr:
    """The column as trimmed text (e-mails lower-cased; Polars dates kept for date fields)."""
    column = pl.col(field.column)
    if field.kind is FieldKind.DATE and (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
        return column
    value = column.cast(pl.String).str.strip_chars()
    return value.str.to_lowercase() if field.kind is FieldKind.EMAIL else value


def _non_empty(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.len_bytes() > 0).then(text)


def _chunk_needs(text: pl.DataFrame, fields: Sequence[MappedField]) -> tuple[set[str], set[str]]:
    """Text fields of this chunk holding a control character or a character JSON escapes
    (one scan finds both), and fields with a value over its length in bytes (only those can be
    over it in characters or UTF-16 units)."""
    texts = [
        f for f in fields if f.kind is not FieldKind.EMAIL and text.schema[f.field] == pl.String
    ]
    limited = [f for f in texts if f.rule.max_length is not None]
    if not texts or text.height == 0:
        return set(), set()
    found = text.select(
        *(special_in(pl.col(f.field)).any().alias(_CONTROL + f.field) for f in texts),
        *(
            (pl.col(f.field).str.len_bytes() > f.rule.max_length).any().alias(f.field)
            for f in limited
        ),
    ).row(0, named=True)
    special = {f.field for f in texts if found[_CONTROL + f.field]}
    long = {f.field for f in limited if found[f.field]}
    return special, long


def _plans(fields: Sequence[MappedField], types: Mapping[str, pl.DataType]) -> dict[str, RulePlan]:
    """Each field's rule plan (the e-mail has none: pass 1 checked it)."""
    plans: dict[str, RulePlan] = {}
    for field in fields:
        name = field.field
        if field.kind is FieldKind.EMAIL or name in plans:
            continue
        if field.kind is FieldKind.DATE:
            plans[name] = date_plan(name, types[name], _helper(name))
        elif field.kind in (FieldKind.BIRTHDAY_MONTH, FieldKind.BIRTHDAY_DAY):
            if not set(_BIRTHDAY) <= set(types):
                raise ValueError(
                    "birthday_month and birthday_day are mapped together or not at all"
                )
            month, day = _BIRTHDAY
            plans[month], plans[day] = birthday_plans(month, day, _helper(month), _helper(day))
        else:
            plans[name] = rule_plan(field.rule, name, _helper(name))
    return plans


def _helper(field: str) -> Callable[[str], str]:
    return lambda key: f"{_HELPER}{field}:{key}"


def _outcome_exprs(
    fields: Sequence[MappedField],
    plans: Mapping[str, RulePlan],
    special: Collection[str],
    long: Collection[str],
) -> list[pl.Expr]:
    """Each field's value under its rule, and the columns its reason is decided from: whether
    it had text, control characters, too many characters, a change, the reason of a drop."""
    exprs: list[pl.Expr] = []
    for field in fields:
        name = field.field
        plan = plans.get(name)
        if plan is None:
            exprs.append(pl.col(name))
            continue
        text = pl.col(name)
        exprs.append(plan.value.alias(name))
        if not _has_reasons(field, plan, special, long):
            continue
        exprs.append(text.is_not_null().alias(_PRESENT + name))
        if name in special:
            exprs.append(pl.col(_CONTROL + name))
        if name in long and field.rule.max_length is not None:
            exprs.append(over_length(text, field.rule.max_length).alias(_LONG + name))
        if plan.change is not None:
            exprs.append(plan.change.alias(_CHANGE + name))
        if isinstance(plan.dropped, pl.Expr):
            exprs.append(plan.dropped.alias(_DROP + name))
    return exprs


def _value_and_reason_exprs(
    fields: Sequence[MappedField],
    plans: Mapping[str, RulePlan],
    special: Collection[str],
    long: Collection[str],
) -> list[pl.Expr]:
    """Every field's value to send, and its reason column where the field can have one.

    One reason per value, the first that applies: nothing but control characters, too long,
    the rule's drop, an SMS consent date without its number, control characters changed, the
    rule's change.
    """
    exprs: list[pl.Expr] = []
    # The SMS number as its rule left it (this select reads the frame before it).
    has_sms = any(field.field == _SMS_NUMBER for field in fields)
    for field in fields:
        name = field.field
        plan = plans.get(name)
        if plan is None or not _has_reasons(field, plan, special, long):
            exprs.append(pl.col(name))
            continue
        value, present = pl.col(name), pl.col(_PRESENT + name)
        control = pl.col(_CONTROL + name) if name in special else None
        too_long = pl.col(_LONG + name) if name in long and field.rule.max_length else None
        dropped = plan.dropped
        if isinstance(dropped, pl.Expr):
            dropped = pl.col(_DROP + name)
        # The consent date is sent only beside the contact's SMS number.
        numberless = pl.col(_SMS_NUMBER).is_null() if name == _SMS_CONSENT and has_sms else None
        reasons = [
            _reason(control, ~present, FieldReason.DROPPED_CONTROL_CHARACTERS),
            _reason(too_long, None, FieldReason.DROPPED_TOO_LONG),
            _reason(present, value.is_null(), dropped),
            _reason(numberless, value.is_not_null(), FieldReason.DROPPED_WITHOUT_SMS_NUMBER),
            _reason(control, present, FieldReason.CHANGED_CONTROL_CHARACTERS),
            _reason(
                pl.col(_CHANGE + name) if plan.change is not None else None,
                value.is_not_null(),
                plan.changed,
            ),
        ]
        sent = pl.when(~too_long).then(value) if too_long is not None else value
        if numberless is not None:
            sent = pl.when(~numberless).then(sent)
        exprs.append(sent.alias(name))
        found = [reason for reason in reasons if reason is not None]
        if found:
            exprs.append(pl.coalesce(found).alias(_REASON + name))
    return exprs


def _has_reasons(
    field: MappedField, plan: RulePlan, special: Collection[str], long: Collection[str]
) -> bool:
    """Whether the field can have a reason in this chunk (plain text without control
    characters or long values has none, and needs no reason columns)."""
    return (
        field.field in special
        or field.field in long
        or plan.dropped is not None
        or plan.change is not None
    )


def _reason(
    flag: pl.Expr | None, condition: pl.Expr | None, reason: FieldReason | pl.Expr | None
) -> pl.Expr | None:
    """``reason`` where ``flag`` (and ``condition``) hold; None when there is no flag or
    reason to give."""
    if flag is None or reason is None:
        return None
    test = flag if condition is None else flag & condition
    given = pl.lit(reason.value) if isinstance(reason, FieldReason) else reason
    return pl.when(test).then(given)


def _problems(
    rows: pl.DataFrame, frame: pl.DataFrame, fields: Sequence[MappedField]
) -> pl.DataFrame:
    """One row per value with a reason: its position, field, reason and value as given."""
    parts = []
    for field in fields:
        reason = frame.get_column(_REASON + field.field, default=None)
        if reason is None or reason.null_count() == frame.height:
            continue
        parts.append(
            rows.select(
                pl.int_range(pl.len(), dtype=pl.UInt32).alias("index"),
                pl.lit(field.field).alias("field"),
                reason.alias("reason"),
                pl.col(field.column).cast(pl.String).alias("value"),
            ).filter(pl.col("reason").is_not_null())
        )
    if not parts:
        return pl.DataFrame(
            schema={"index": pl.UInt32, "field": pl.String, "reason": pl.String, "value": pl.String}
        )
    # In row order (then field order), so field_problems.csv follows the segment whatever the
    # chunks.
    return pl.concat(parts).sort("index", maintain_order=True)
