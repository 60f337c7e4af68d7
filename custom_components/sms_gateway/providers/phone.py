"""Phone numbers: parse anything a person writes, normalise to E.164."""

from __future__ import annotations

import phonenumbers

from .errors import InvalidRecipientError, Reason

# Why a number was refused (stable keys, used in translations).
REASON_NOT_A_NUMBER = Reason.NOT_A_NUMBER
REASON_NO_COUNTRY = Reason.NO_COUNTRY
REASON_INVALID = Reason.INVALID_NUMBER


def normalize_number(raw: str, default_region: str | None = None) -> str:
    """Return the E.164 form (``+306971234567``) of a phone number.

    ``default_region`` (ISO 3166 alpha-2, e.g. "GR") applies to numbers written
    without a country code. A number starting with ``00`` is international.
    Raises InvalidRecipientError with ``provider_code`` set to the ``Reason``.
    """
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    region = default_region.upper() if default_region else None
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException as err:
        reason = (
            REASON_NO_COUNTRY
            if err.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
            else REASON_NOT_A_NUMBER
        )
        raise InvalidRecipientError(
            f"Not a valid phone number: {raw!r}", recipient=raw, provider_code=reason
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidRecipientError(
            f"Not a valid phone number: {raw!r}", recipient=raw, provider_code=REASON_INVALID
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def digits(e164: str) -> str:
    """Return an E.164 number without its ``+``: the international format the APIs take."""
    return e164.removeprefix("+")


def from_provider(number: str) -> str:
    """Return the E.164 form of a number a provider reported (digits, maybe ``+``).

    Numbers that do not parse (short codes, alphanumeric senders) come back
    unchanged.
    """
    text = number.strip()
    if not text:
        return text
    candidate = text if text.startswith("+") else "+" + text
    try:
        parsed = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(parsed):
        return text
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str | None:
    """Return the ISO country of an E.164 number."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
