r"""SMS text: GSM-7 or UCS-2, and how many segments a text takes.

Single messages carry 160 GSM-7 septets or 70 UCS-2 code units; concatenated
ones 153 / 67 per segment (the rest holds the concatenation header). Characters
of the GSM-7 extension table (``€ [ ] { } \\ ~ ^ |`` and form feed) take two
septets, and an escape sequence is never split across two segments; neither is
a UTF-16 surrogate pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

from .models import Encoding

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True, slots=True)
class TextInfo:
    """How a text goes over the air."""

    encoding: Encoding
    segments: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)


def is_gsm7(text: str) -> bool:
    """Return whether every character is in the GSM 03.38 default alphabet or extension."""
    try:
        text.encode("gsm03.38")
    except UnicodeEncodeError:
        return False
    return True


def _char_units(char: str, encoding: Encoding) -> int:
    if encoding is Encoding.GSM7:
        return len(char.encode("gsm03.38"))
    return len(char.encode("utf-16-le")) // 2


def analyze(text: str) -> TextInfo:
    """Return the encoding, segment count and size of a text."""
    encoding = Encoding.GSM7 if is_gsm7(text) else Encoding.UCS2
    single, multi = (
        (GSM7_SINGLE, GSM7_MULTI) if encoding is Encoding.GSM7 else (UCS2_SINGLE, UCS2_MULTI)
    )
    sizes = [_char_units(char, encoding) for char in text]
    units = sum(sizes)
    if units <= single:
        return TextInfo(encoding, 1, units)
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments += 1
            used = 0
        used += size
    return TextInfo(encoding, segments, units)
