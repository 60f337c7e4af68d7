"""The shared answer-reading helpers, the typed reasons and what a client class says."""

from typing import Any, cast

from aiohttp import ClientSession, hdrs
import pytest

from custom_components.sms_gateway.providers import (
    CLIENTS,
    InfobipClient,
    ProtocolError,
    ProviderClient,
    RateLimitedError,
    Reason,
    Sms365Client,
    TransientError,
    UnsupportedError,
    VoipCommunicationsClient,
    display_name,
)
from custom_components.sms_gateway.providers.base import RawResponse
from custom_components.sms_gateway.providers.parse import (
    as_dict,
    as_float,
    as_int,
    as_json_number,
    as_list,
    as_opt_dict,
    as_text,
    digits_of,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), ("12", 12), (" 7 ", 7), (True, None), ("1.5", None), ("", None), (None, None)],
)
def test_as_int(value: Any, expected: int | None) -> None:
    assert as_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2, 2.0), (1.5, 1.5), (" 0.25 ", 0.25), (False, None), ("x", None), ({}, None), (None, None)],
)
def test_as_float(value: Any, expected: float | None) -> None:
    assert as_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(" a ", "a"), (12, "12"), ("  ", None), (True, None), ([], None), ({}, None), (None, None)],
)
def test_as_text(value: Any, expected: str | None) -> None:
    assert as_text(value) == expected


def test_as_json_number_and_digits() -> None:
    assert as_json_number(3) == 3.0
    assert as_json_number("3") is None
    assert as_json_number(True) is None
    assert digits_of("+30 697-123") == "30697123"
    assert digits_of(None) == ""


def test_shapes() -> None:
    assert as_dict({"a": 1}, "infobip", "x") == {"a": 1}
    assert as_opt_dict(None, "infobip", "x") == {}
    assert as_list([1], "sms365", "x") == [1]
    with pytest.raises(ProtocolError, match=r"^sms365 sent an unexpected answer: x is not a list$"):
        as_list({}, "sms365", "x")
    with pytest.raises(
        ProtocolError, match=r"^infobip sent an unexpected answer: y is not an object"
    ):
        as_opt_dict([], "infobip", "y")


def test_reason_values_are_stable() -> None:
    """Stored queues, events and translations hold these strings."""
    assert Reason.EMPTY_TEXT == "empty_text"
    assert Reason.TOO_LONG == "too_long"
    assert Reason.SENDER == "sender"
    assert Reason.NO_COUNTRY == "no_country"
    assert Reason.INVALID_NUMBER == "invalid"
    assert str(Reason.NOT_A_NUMBER) == "not_a_number"
    assert f"{Reason.SCHEDULING}" == "scheduling"


def test_rate_limited_is_transient() -> None:
    err = RateLimitedError("busy", retry_after=7.0, provider_code="429")
    assert isinstance(err, TransientError)
    assert err.key == "transient"
    assert not err.ambiguous


def test_what_a_client_class_says() -> None:
    assert set(CLIENTS.values()) == {InfobipClient, Sms365Client, VoipCommunicationsClient}
    assert display_name("sms365") == "sms365.gr"
    assert display_name("infobip") == "Infobip-compatible SMS API"
    assert display_name("voip_communications") == "voip-communications.net"
    assert display_name("other") == "other"
    assert Sms365Client.push_methods == (hdrs.METH_GET, hdrs.METH_POST)
    assert InfobipClient.push_methods == (hdrs.METH_POST,)
    assert VoipCommunicationsClient.push_methods == (hdrs.METH_POST,)

    class Quiet(ProviderClient):
        provider = "quiet"

    assert Quiet.push_methods == (hdrs.METH_POST,)
    with pytest.raises(UnsupportedError, match=r"^quiet pushes nothing$"):
        Quiet.parse_push({}, b"", {})


def test_parse_push_per_client() -> None:
    reports, inbound = Sms365Client.parse_push({"msgid": "1", "status": "d"}, b"", {})
    assert [r.message_id for r in reports] == ["1"]
    assert inbound == []
    reports, inbound = VoipCommunicationsClient.parse_push(
        {}, b"", {"from": "+306971234567", "msg": "hi"}
    )
    assert reports == []
    assert [m.text for m in inbound] == ["hi"]
    with pytest.raises(ProtocolError):
        InfobipClient.parse_push({}, b'{"results": []}', {})


@pytest.mark.parametrize(("status", "error"), [(429, RateLimitedError), (503, TransientError)])
def test_busy_statuses(status: int, error: type[TransientError]) -> None:
    client = InfobipClient(cast("ClientSession", None), username="u", password="p")
    with pytest.raises(TransientError) as err:
        client._raise_for_http_status(RawResponse(status, {"Retry-After": "7"}, b""))
    assert type(err.value) is error
    assert err.value.provider_code == str(status)
    assert err.value.retry_after == 7.0
    assert not err.value.ambiguous


@pytest.mark.parametrize("value", ["²", " ٣ ", "1²", "１２"])
def test_non_ascii_digits_are_not_numbers(value: str) -> None:
    """str.isdigit() accepts them, int() does not all: a hostile answer must not crash."""
    assert as_int(value) is None
    assert digits_of(value) == "".join(ch for ch in value if ch in "0123456789")
