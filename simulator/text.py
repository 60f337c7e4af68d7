"""SMS text encoding and segment counting, as an operator counts them."""

from __future__ import annotations

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM_SINGLE, GSM_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


def is_gsm7(text: str) -> bool:
    """Return whether the text can be sent in the GSM 03.38 default alphabet."""
    try:
        text.encode("gsm03.38")
    except UnicodeEncodeError:
        return False
    return True


def gsm_septets(text: str) -> int:
    """Return the septets a GSM-7 text takes (extension characters count 2)."""
    return len(text.encode("gsm03.38"))


def ucs2_units(text: str) -> int:
    """Return the UTF-16 code units a text takes (astral characters count 2)."""
    return len(text.encode("utf-16-le")) // 2


def segment_count(text: str, *, unicode: bool | None = None) -> tuple[int, str]:
    """Return (segments, encoding) for a text.

    ``unicode`` forces UCS-2 (True) or GSM-7 (False, non-GSM characters then
    count as one septet each, as they are replaced on the air); ``None``
    chooses GSM-7 when every character fits.
    """
    if unicode is None:
        unicode = not is_gsm7(text)
    if unicode:
        units, single, multi, encoding = ucs2_units(text), UCS2_SINGLE, UCS2_MULTI, "UCS2"
    else:
        units = sum(gsm_septets(ch) if is_gsm7(ch) else 1 for ch in text)
        single, multi, encoding = GSM_SINGLE, GSM_MULTI, "GSM7"
    if units <= single:
        return 1, encoding
    return -(-units // multi), encoding


def garble(text: str) -> str:
    """Return what a handset shows for a text sent as GSM-7 without ``ucs``."""
    return "".join(ch if is_gsm7(ch) else "?" for ch in text)
