"""Segment counting in the simulator (what the provider charges for)."""

import pytest

from simulator.text import garble, is_gsm7, segment_count


@pytest.mark.parametrize(
    ("text", "unicode", "expected"),
    [
        ("", None, (1, "GSM7")),
        ("x" * 160, None, (1, "GSM7")),
        ("x" * 161, None, (2, "GSM7")),
        ("x" * 306, None, (2, "GSM7")),
        ("x" * 307, None, (3, "GSM7")),
        ("€" * 80, None, (1, "GSM7")),  # extension table: two septets each
        ("€" * 81, None, (2, "GSM7")),
        ("ΓΔΘΛΞΠΣΦΨΩ" * 16, None, (1, "GSM7")),  # Greek capitals of the GSM alphabet
        ("Γειά" + "x" * 66, None, (1, "UCS2")),  # lowercase Greek is not GSM-7
        ("ει" * 35, None, (1, "UCS2")),
        ("ει" * 35 + "x", None, (2, "UCS2")),
        ("😀" * 35, None, (1, "UCS2")),  # surrogate pairs: two units each
        ("😀" * 36, None, (2, "UCS2")),
        ("plain", True, (1, "UCS2")),
        ("ει" * 100, False, (2, "GSM7")),  # sent without ucs: one septet each, garbled
    ],
)
def test_segment_count(text: str, unicode: bool | None, expected: tuple[int, str]) -> None:
    assert segment_count(text, unicode=unicode) == expected


def test_gsm7_detection_and_garbling() -> None:
    assert is_gsm7("Hello @ £ ΔΦ {}")
    assert not is_gsm7("γειά")
    assert garble("Γειά σου") == "Γ??? ???"
