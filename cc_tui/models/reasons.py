"""Why a row is rejected (:class:`RejectReason`) and why a field value is changed or dropped
(:class:`FieldReason`): the words of rejected.csv, field_problems.csv and every face.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "FIELD_CHANGED_PREFIX",
    "FIELD_DROPPED_PREFIX",
    "REJECT_REASONS",
    "FieldReason",
    "RejectReason",
]


class RejectReason(StrEnum):
    """Why an input row was not sent: the ``reason`` column of rejected.csv.

    The values are the names users already have in rejected.csv, the JSON summary's
    ``rejected`` keys and the history's columns.
    """

    MISSING_EMAIL = "missing_email"
    """No e-mail after trimming."""
    INVALID_EMAIL = "invalid_email"
    """Not an address Constant Contact accepts (syntax, or longer than EMAIL_MAX_LENGTH)."""
    DUPLICATE_EMAIL = "duplicate_email"
    """The same normalised e-mail came earlier in the run, in any of its segments."""
    OVER_CAP = "over_cap"
    """A new contact past the run's contact cap."""
    REFUSED = "refused_by_constant_contact"
    """Sent, and Constant Contact counted it as an error (counted as ``refused``, not here)."""


# The reasons pass 1 gives a row from its e-mail alone, in the order every face lists them:
# the keys of RunRecord.rejected and of the summary's ``rejected``, the history's columns.
REJECT_REASONS = (
    RejectReason.MISSING_EMAIL,
    RejectReason.INVALID_EMAIL,
    RejectReason.DUPLICATE_EMAIL,
    RejectReason.OVER_CAP,
)
# Reasons of RunRecord.fields and field_problems.csv start with one of these: a changed value is
# still sent, a dropped one is left out of its contact (which is still sent).
FIELD_CHANGED_PREFIX = "changed_"
FIELD_DROPPED_PREFIX = "dropped_"


class FieldReason(StrEnum):
    """Why an optional field of a contact was changed or left out (docs/api-rules.md §3).

    The values are stable: they are the keys of the summary's ``fields`` object, of the run
    history and of the ``reason`` column of field_problems.csv. One reason per value: a drop
    wins over a change, and a control-character change over a format change.
    """

    CHANGED_CONTROL_CHARACTERS = "changed_control_characters"
    """Line breaks and tabs (the Unicode line and paragraph separators too) became single
    spaces; other control characters (C0, DEL, C1) were removed."""
    CHANGED_DATE_FORMAT = "changed_date_format"
    """An ISO date-time (``1995-05-11T00:00:00``, ``1995-05-11 00:00:00.000000000``) was sent
    as its date, ``1995-05-11``. Dates in a documented format are sent as ``YYYY-MM-DD`` too,
    without being counted: Constant Contact would read the same date from either."""
    CHANGED_SMS_NUMBER_FORMAT = "changed_sms_number_format"
    """A North American number in another form (``(508) 123-1235``, ``+1 508 123 1235``) was
    sent as ``5081231235``."""
    DROPPED_CONTROL_CHARACTERS = "dropped_control_characters"
    """Nothing but control characters and spaces."""
    DROPPED_TOO_LONG = "dropped_too_long"
    """Longer than the field's maximum, counted in characters or UTF-16 units (an emoji is
    two), whichever is more. Values are never cut short."""
    DROPPED_INVALID_DATE = "dropped_invalid_date"
    """Not a real calendar date from 1900 to 2099 in a recognised format."""
    DROPPED_INVALID_BIRTHDAY = "dropped_invalid_birthday"
    """Month or day not a whole number in range, or not a real day of that month (29 February
    is allowed). Both parts are left out."""
    DROPPED_INCOMPLETE_BIRTHDAY = "dropped_incomplete_birthday"
    """A birthday month without a day, or a day without a month."""
    DROPPED_INVALID_PHONE = "dropped_invalid_phone"
    """Not a North American number (international numbers are not supported)."""
    DROPPED_INVALID_NUMBER = "dropped_invalid_number"
    """A number or currency custom field: not a plain decimal, negative where the field does
    not allow it, or more decimals than the field keeps."""
    DROPPED_INVALID_CHOICE = "dropped_invalid_choice"
    """A select custom field: not one of the field's choices."""
    DROPPED_WITHOUT_SMS_NUMBER = "dropped_without_sms_number"
    """An SMS consent date of a contact whose SMS number was empty or left out: it is the
    consent of the number it comes with."""

    @property
    def is_drop(self) -> bool:
        """True when the value was left out of its contact."""
        return self.value.startswith(FIELD_DROPPED_PREFIX)
