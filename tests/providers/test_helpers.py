"""Phone numbers, text segments and sender rules (with property-based tests)."""

from hypothesis import given, settings, strategies as st
import phonenumbers
import pytest

from custom_components.sms_gateway.providers.errors import (
    InvalidRecipientError,
    InvalidRequestError,
)
from custom_components.sms_gateway.providers.models import Encoding
from custom_components.sms_gateway.providers.phone import (
    digits,
    from_provider,
    normalize_number,
    region_of,
)
from custom_components.sms_gateway.providers.sender import validate_sender
from custom_components.sms_gateway.providers.text import analyze, is_gsm7

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[~]|€\f"


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+30 697 123 4567", None, "+306971234567"),
        ("6971234567", "GR", "+306971234567"),
        ("6971234567", "gr", "+306971234567"),
        ("00306971234567", None, "+306971234567"),
        ("(0)79 302 67 27", "CH", "+41793026727"),
        ("+1 281-234-5678", "GR", "+12812345678"),
    ],
)
def test_normalize_number(raw: str, region: str | None, expected: str) -> None:
    assert normalize_number(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("hello", "GR", "not_a_number"),
        ("6971234567", None, "no_country"),
        ("+30 12", None, "invalid"),
        ("+999 1234567", None, "no_country"),
    ],
)
def test_normalize_number_rejects(raw: str, region: str | None, reason: str) -> None:
    with pytest.raises(InvalidRecipientError) as err:
        normalize_number(raw, region)
    assert err.value.provider_code == reason
    assert err.value.recipient == raw


def test_provider_formats() -> None:
    assert digits("+306971234567") == "306971234567"
    assert from_provider("306971234567") == "+306971234567"
    assert from_provider("+41793026727") == "+41793026727"
    assert from_provider("InfoSMS") == "InfoSMS"
    assert from_provider("12") == "12"
    assert from_provider("") == ""
    assert region_of("+306971234567") == "GR"
    assert region_of("garbage") is None


@settings(max_examples=300, deadline=None)
@given(
    region=st.sampled_from(["GR", "DE", "US", "CH", "GB", "FR", "IT", "CY"]),
    seed=st.integers(min_value=0, max_value=10**9),
)
def test_normalization_round_trips(region: str, seed: int) -> None:
    """Any valid number, written nationally or internationally, normalises to one E.164."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    national = str(example.national_number)
    # Vary the subscriber part while keeping the number valid.
    candidate = national[:-4] + f"{seed % 10000:04d}"
    number = phonenumbers.parse(candidate, region)
    if not phonenumbers.is_valid_number(number):
        return
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    for written in (
        e164,
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        "00" + e164[1:],
    ):
        assert normalize_number(written, region) == e164
    assert normalize_number(e164, None) == e164
    assert from_provider(digits(e164)) == e164


@settings(max_examples=200)
@given(st.text(max_size=60))
def test_normalize_never_raises_anything_else(raw: str) -> None:
    try:
        result = normalize_number(raw, "GR")
    except InvalidRecipientError:
        return
    assert result.startswith("+")
    assert result[1:].isdigit()


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", Encoding.GSM7, 1),
        ("a" * 160, Encoding.GSM7, 1),
        ("a" * 161, Encoding.GSM7, 2),
        ("a" * 306, Encoding.GSM7, 2),
        ("a" * 307, Encoding.GSM7, 3),
        ("€" * 80, Encoding.GSM7, 1),
        ("€" * 81, Encoding.GSM7, 2),
        # 152 septets then a two-septet character: it cannot be split, so it
        # starts segment two.
        ("a" * 152 + "€" + "a" * 10, Encoding.GSM7, 2),
        ("a" * 152 + "€" + "a" * 152, Encoding.GSM7, 3),
        ("Καλημέρα", Encoding.UCS2, 1),
        ("λ" * 70, Encoding.UCS2, 1),
        ("λ" * 71, Encoding.UCS2, 2),
        ("λ" * 134, Encoding.UCS2, 2),
        ("λ" * 135, Encoding.UCS2, 3),
        ("😀" * 35, Encoding.UCS2, 1),
        ("λ" * 66 + "😀" + "λ" * 66, Encoding.UCS2, 3),  # 134 units, but the pair cannot straddle
    ],
)
def test_analyze(text: str, encoding: Encoding, segments: int) -> None:
    info = analyze(text)
    assert (info.encoding, info.segments) == (encoding, segments)


@settings(max_examples=300)
@given(
    basic=st.text(alphabet=GSM_BASIC, max_size=400),
    ext=st.text(alphabet=GSM_EXTENSION, max_size=60),
)
def test_gsm7_segments_property(basic: str, ext: str) -> None:
    text = basic + ext
    info = analyze(text)
    assert info.encoding is Encoding.GSM7
    assert info.units == len(basic) + 2 * len(ext)
    if info.units <= 160:
        assert info.segments == 1
    else:
        # Never fewer than a perfect split, at most one extra segment per
        # escape sequence that would straddle a boundary.
        assert -(-info.units // 153) <= info.segments <= -(-info.units // 152)


@settings(max_examples=300)
@given(st.text(min_size=1, max_size=300).filter(lambda t: not is_gsm7(t)))
def test_ucs2_segments_property(text: str) -> None:
    info = analyze(text)
    assert info.encoding is Encoding.UCS2
    assert info.units == len(text.encode("utf-16-le")) // 2
    if info.units <= 70:
        assert info.segments == 1
    else:
        assert -(-info.units // 67) <= info.segments <= -(-info.units // 66)


@pytest.mark.parametrize(
    ("sender", "rules", "expected"),
    [
        ("InfoSMS", "alphanumeric", "InfoSMS"),
        ("Home", "alphanumeric", "Home"),
        ("+41793026700", "alphanumeric", "41793026700"),
        ("123", "alphanumeric", "123"),
        ("Alarm", "latin11", "Alarm"),
        ("306971234567", "latin11", "306971234567"),
        ("+17134567890", "own_number", "17134567890"),
    ],
)
def test_sender_accepted(sender: str, rules: str, expected: str) -> None:
    assert validate_sender(sender, rules) == expected


@pytest.mark.parametrize(
    ("sender", "rules"),
    [
        ("AB", "alphanumeric"),
        ("TwelveChars1", "alphanumeric"),
        ("12", "alphanumeric"),
        ("123456789012345", "alphanumeric"),
        ("Σπίτι", "alphanumeric"),
        ("My Home", "latin11"),
        ("TwelveChars1", "latin11"),
        ("123456789012345", "latin11"),
        ("Home", "own_number"),
        ("12345", "own_number"),
    ],
)
def test_sender_refused(sender: str, rules: str) -> None:
    with pytest.raises(InvalidRequestError) as err:
        validate_sender(sender, rules)
    assert err.value.provider_code == "sender"
