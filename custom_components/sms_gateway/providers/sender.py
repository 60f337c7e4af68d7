"""Sender ID rules, checked before anything is sent."""

from __future__ import annotations

import re

from .errors import InvalidRequestError, Reason

_ALNUM = re.compile(r"[A-Za-z0-9 .\-_&]+")
_LATIN = re.compile(r"[A-Za-z0-9.\-_&]+")


def validate_sender(sender: str, rules: str) -> str:
    """Return the sender if the provider accepts it, else raise InvalidRequestError.

    ``rules`` is a provider's ``Capabilities.sender_rules``:

    * ``alphanumeric`` (Infobip-v1): 3-11 characters with at least one letter,
      or a numeric sender of 3-14 digits (a leading ``+`` is dropped).
    * ``latin11`` (sms365): up to 11 latin letters/digits without spaces, or a
      number of up to 14 digits.
    * ``own_number`` (voip-communications): one of the account's SMS enabled
      phone numbers, 7-15 digits.
    """
    value = sender.strip()
    numeric = value.removeprefix("+")
    if rules == "own_number":
        if numeric.isdigit() and 7 <= len(numeric) <= 15:
            return numeric
        raise InvalidRequestError(
            "The sender must be one of your SMS enabled numbers", provider_code=Reason.SENDER
        )
    if numeric.isdigit():
        if 3 <= len(numeric) <= 14 and rules == "alphanumeric":
            return numeric
        if 1 <= len(numeric) <= 14 and rules == "latin11":
            return numeric
        raise InvalidRequestError(
            "A numeric sender has 3 to 14 digits", provider_code=Reason.SENDER
        )
    if rules == "latin11":
        if 1 <= len(value) <= 11 and _LATIN.fullmatch(value):
            return value
        raise InvalidRequestError(
            "The sender has up to 11 latin letters or digits, without spaces",
            provider_code=Reason.SENDER,
        )
    if 3 <= len(value) <= 11 and _ALNUM.fullmatch(value):
        return value
    raise InvalidRequestError(
        "An alphanumeric sender has 3 to 11 letters or digits", provider_code=Reason.SENDER
    )
