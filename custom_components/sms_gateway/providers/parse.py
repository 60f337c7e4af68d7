"""Reading the values of a provider's JSON (or form) answer: one helper each.

Every client reads its answers with these, so a value means the same for all
of them: a JSON boolean is never a number nor a text, a text is stripped and
an empty one is missing. The shape helpers raise the ProtocolError of the
provider that sent the answer.
"""

from __future__ import annotations

from typing import Any

from .errors import ProtocolError


def shape_error(provider: str, what: str) -> ProtocolError:
    """Return the error for an answer of the wrong shape."""
    return ProtocolError(f"{provider} sent an unexpected answer: {what}")


def as_dict(value: Any, provider: str, what: str) -> dict[str, Any]:
    """Return value if it is a JSON object, else raise a ProtocolError."""
    if not isinstance(value, dict):
        raise shape_error(provider, f"{what} is not an object")
    return value


def as_opt_dict(value: Any, provider: str, what: str) -> dict[str, Any]:
    """Return an optional JSON object: a missing one (None) is empty."""
    return {} if value is None else as_dict(value, provider, what)


def as_list(value: Any, provider: str, what: str) -> list[Any]:
    """Return value if it is a JSON array, else raise a ProtocolError."""
    if not isinstance(value, list):
        raise shape_error(provider, f"{what} is not a list")
    return value


_ASCII_DIGITS = frozenset("0123456789")


def as_int(value: Any) -> int | None:
    """Return an integer given as a JSON number or a string of digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    # ASCII digits only: "²".isdigit() holds, and int("²") raises.
    if isinstance(value, str) and (text := value.strip()).isascii() and text.isdigit():
        return int(text)
    return None


def as_float(value: Any) -> float | None:
    """Return an amount given as a JSON number or a numeric string, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)  # float() itself ignores surrounding whitespace
    except ValueError:
        return None


def as_text(value: Any) -> str | None:
    """Return the stripped text of a JSON string or number; None if empty or other."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    return text or None


def as_json_number(value: Any) -> float | None:
    """Return a JSON number as a float; a numeric string is not one (None)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def digits_of(value: Any) -> str:
    """Return the digits of a number written any way (``+30 697...``); None has none."""
    return "".join(ch for ch in str(value if value is not None else "") if ch in _ASCII_DIGITS)
