"""The ``activity_errors`` texts: deliberately not a format anyone can parse.

The swagger documents no format for them, so the emulator varies it: some texts start with
"Row N" (1-based, or counting a header row as the file imports do), some give a 0-based
``import_data`` index, some quote the e-mail, some name nothing at all, and the wording of the
reason varies too. The choice is a pure function of the activity's text seed and the row, so a
seeded emulator writes the same texts every time. A client must account contacts from the
activity's counters and keep these texts for people only.
"""

from __future__ import annotations

from collections.abc import Mapping

from cc_tui.emulator.refusals import Reason, Refusal

__all__ = ["contact_error", "ending_error"]

# Each template may use: row (1-based), header_row (row + 1), index (0-based), who (the e-mail
# or sms_number), field, what (the reason) and What (capitalised).
_TEMPLATES = (
    "Row {row}: {what}: {who}",
    "Row {header_row} - {field}: {what}",
    'Contact "{who}" was not imported: {what}',
    "{What}.",
    "import_data[{index}].{field} rejected ({what})",
    "Could not import a contact: {what}",
    "Line {row}, {field}: {What}",
    "{who} -- {what}",
)
_WORDINGS: Mapping[Reason, tuple[str, ...]] = {
    Reason.INVALID_EMAIL: ("invalid email address", "email address format is not valid"),
    Reason.HALF_BIRTHDAY: (
        "birthday needs both birthday_month and birthday_day",
        "incomplete birthday",
    ),
    Reason.IMPOSSIBLE_BIRTHDAY: ("invalid birthday", "birthday is not a real day"),
    Reason.INVALID_ANNIVERSARY: ("invalid anniversary date", "anniversary format error"),
    Reason.TOO_LONG: ("value is too long", "exceeds the maximum length"),
    Reason.CONTROL_CHARACTER: ("invalid characters", "value contains control characters"),
    Reason.INVALID_PHONE: ("invalid phone number", "phone number is not supported"),
    Reason.INVALID_SMS_NUMBER: ("invalid SMS number", "sms_number format is not valid"),
    Reason.INVALID_DATE: ("invalid date", "date format error"),
    Reason.NO_SMS_CONSENT_DATE: (
        "SMS consent date required for explicit permission",
        "missing sms_consent_date",
    ),
    Reason.CONSENT_WITHOUT_NUMBER: (
        "sms_consent_date without an sms_number",
        "SMS consent date given for no SMS number",
    ),
    Reason.INVALID_NUMBER: ("invalid number", "value is not a valid number"),
    Reason.TOO_MANY_PHONES: ("more than three phone numbers", "too many phone numbers"),
    Reason.TOO_MANY_ADDRESSES: ("more than three addresses", "too many street addresses"),
    Reason.KIND_TWICE: (
        "two phone numbers or addresses of the same kind",
        "only one address and one phone number of each kind",
    ),
    Reason.INVALID_CHOICE: ("not one of the field's choices", "invalid selection"),
}
_ENDINGS: Mapping[str, tuple[str, ...]] = {
    "failed": (
        "Activity failed after {done} of {total} items: internal error while importing",
        "Import job failed",
        "An unexpected error stopped the import.",
    ),
    "cancelled": ("The request was cancelled", "Activity cancelled after {done} items"),
    "timed_out": ("The request timed out before completing", "Timed out"),
}
_ROW_MIX = 0x9E3779B1  # spreads neighbouring rows over the templates


def _pick(options: tuple[str, ...], seed: int, salt: int) -> str:
    # hash() of a tuple of ints is stable across runs (no string hashing involved).
    return options[hash((seed, salt)) % len(options)]


def contact_error(seed: int, row: int, refusal: Refusal, who: str) -> str:
    """The text for the refused contact at 0-based ``row`` of an import."""
    what = _pick(_WORDINGS[refusal.reason], seed, -row - 1)
    template = _pick(_TEMPLATES, seed, row * _ROW_MIX)
    return template.format(
        row=row + 1,
        header_row=row + 2,
        index=row,
        who=who,
        field=refusal.field,
        what=what,
        What=what[:1].upper() + what[1:],
    )


def ending_error(seed: int, state: str, done: int, total: int) -> str:
    """The text added when an activity ends ``failed``, ``cancelled`` or ``timed_out``."""
    return _pick(_ENDINGS[state], seed, total).format(done=done, total=total)
