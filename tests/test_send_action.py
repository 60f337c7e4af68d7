"""The sms_gateway.send_message action, end to end against the provider simulator."""

from dataclasses import replace
from datetime import datetime, timedelta
import json
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.translation import async_get_translations
from homeassistant.util import dt as dt_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateway.providers import InvalidRequestError, VoipCommunicationsClient
from simulator.demo import VOIP_NUMBER
from tests.conftest import ALICE, BOB, PROVIDERS, MakeEntry, RunningSimulator
from tests.wire import (
    INFOBIP_SEND,
    SIM_ACCOUNT,
    SIM_PROVIDER,
    SMS365_BULK,
    SMS365_SEND,
    SMS365_VIBER_BULK,
    SMS365_VIBER_SEND,
    VOIP_SEND,
    asked_for_flash,
    delivered,
    form,
    reauth_flows,
    sends,
    sent_numbers,
    sent_text,
)

DOMAIN = "sms_gateway"
SERVICE = "send_message"
CAROL = "+306971234563"

# A sender each provider accepts.
GOOD_SENDER = {"infobip": "Home", "sms365": "Home", "voip_communications": VOIP_NUMBER}

GREEK = "Καλημέρα κόσμε"  # not GSM-7: UCS-2, one segment
TWO_SEGMENTS = "x" * 200  # GSM-7: 153 characters per part
TOO_LONG = "y" * 1600  # 11 GSM-7 segments


async def send(
    hass: HomeAssistant, entry: MockConfigEntry, *, response: bool = False, **data: Any
) -> dict[str, Any] | None:
    """Call the action for an account, blocking; ask for the response or not."""
    return await hass.services.async_call(
        DOMAIN,
        SERVICE,
        {"config_entry_id": entry.entry_id, **data},
        blocking=True,
        return_response=response,
    )


async def answered(hass: HomeAssistant, entry: MockConfigEntry, **data: Any) -> dict[str, Any]:
    """Call the action for an account, blocking, and return its response."""
    result = await send(hass, entry, response=True, **data)
    assert result is not None
    return result


async def refused(
    hass: HomeAssistant, simulator: RunningSimulator, entry: MockConfigEntry, **data: Any
) -> ServiceValidationError:
    """Call the action, which must refuse it before anything reaches the provider."""
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, entry, **data)
    assert sends(simulator) == []
    return err.value


# -- success ---------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_batch_to_names_national_and_e164_numbers(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """A saved name, a national number and an E.164 number go out in one request."""
    entry = await make_entry(provider)
    result = await send(
        hass, entry, target=["alice", "6971234562", CAROL], message="Door open", response=True
    )
    requests = sends(simulator)
    assert len(requests) == 1
    request = requests[0]
    assert request.method == "POST"
    assert sent_numbers(request) == ["306971234561", "306971234562", "306971234563"]
    assert sent_text(request) == "Door open"
    assert result is not None
    items = result["results"]
    assert [i["to"] for i in items] == [ALICE, BOB, CAROL]
    for item in items:
        assert item["status"] == "accepted"
        assert item["segments"] == 1
        assert item["encoding"] == "GSM-7"
        assert item["channel"] == "sms"
        assert item["error"] is None
        assert item["config_entry_id"] == entry.entry_id
        assert item["message_id"]
    assert len({i["message_id"] for i in items}) == 3

    if provider == "infobip":
        assert request.path == INFOBIP_SEND
        assert request.headers["Content-Type"].startswith("application/json")
        assert request.headers["Authorization"].startswith("Basic ")
        (spec,) = request.json["messages"]
        assert "from" not in spec
        assert "flash" not in spec
        assert "sendAt" not in spec
        # Our own message ids go out with the destinations and come back.
        assert [d["messageId"] for d in spec["destinations"]] == [i["message_id"] for i in items]
    elif provider == "sms365":
        assert request.path == SMS365_BULK
        fields = form(request)
        assert fields["key"] == "demo-sms365-key"
        assert fields["type"] == "json"
        assert fields["to"] == "306971234561,306971234562,306971234563"
        assert not {"ucs", "flash", "from", "timestamp"} & fields.keys()
        assert {i["message_id"] for i in items} <= set(simulator.state.messages)
    else:
        assert request.path == VOIP_SEND
        assert request.headers["Authorization"].startswith("Basic ")
        fields = form(request)
        assert fields == {"to": "306971234561,306971234562,306971234563", "msg": "Door open"}
        assert {i["message_id"] for i in items} <= set(simulator.state.messages)
    assert {m.to for m in delivered(simulator, provider)} == {
        "306971234561",
        "306971234562",
        "306971234563",
    }


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_duplicate_targets_collapse(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """Every spelling of Alice's number is one recipient, sent once."""
    entry = await make_entry(provider)
    result = await answered(
        hass,
        entry,
        target=["Alice", "ALICE", ALICE, "6971234561", "0030 697 123 4561", " alice "],
        message="Once",
    )
    assert [i["to"] for i in result["results"]] == [ALICE]
    (request,) = sends(simulator)
    assert sent_numbers(request) == ["306971234561"]
    if provider == "sms365":
        # One recipient: sms/send, not sms/bulk.
        assert request.path == SMS365_SEND
        assert form(request)["to"] == "306971234561"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_segments_and_encoding(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """A 161+ character text is two GSM-7 segments; Greek is UCS-2."""
    entry = await make_entry(provider)
    long_result = await send(hass, entry, target="Bob", message=TWO_SEGMENTS, response=True)
    greek_result = await send(hass, entry, target=["Alice", "Bob"], message=GREEK, response=True)
    greek_long = await send(hass, entry, target="Alice", message=GREEK * 6, response=True)
    assert long_result is not None
    assert greek_result is not None
    assert greek_long is not None
    (item,) = long_result["results"]
    assert (item["segments"], item["encoding"]) == (2, "GSM-7")
    for item in greek_result["results"]:
        assert (item["segments"], item["encoding"]) == (1, "UCS-2")
    (item,) = greek_long["results"]
    assert (item["segments"], item["encoding"]) == (2, "UCS-2")

    long_request, greek_request, greek_long_request = sends(simulator)
    assert sent_text(long_request) == TWO_SEGMENTS
    assert sent_text(greek_request) == GREEK
    if provider == "sms365":
        assert "ucs" not in form(long_request)
        assert form(greek_request)["ucs"] == "true"
        assert form(greek_long_request)["ucs"] == "true"
        account = simulator.state.accounts["sms365-demo"]
        greek_messages = [m for m in simulator.state.messages_for(account) if m.text == GREEK]
        assert {m.encoding for m in greek_messages} == {"UCS2"}
        assert not any(m.garbled for m in greek_messages)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_title_and_sender_from_call(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """The title is the first line; the call's sender wins over the options' one."""
    entry = await make_entry(provider, options={"sender": GOOD_SENDER[provider]})
    sender = {"infobip": "Alarm", "sms365": "Alarm", "voip_communications": VOIP_NUMBER}
    await send(
        hass,
        entry,
        target=["Alice", "Bob"],
        title=" Alarm ",
        message="Door open",
        sender=sender[provider],
    )
    (request,) = sends(simulator)
    assert sent_text(request) == "Alarm\nDoor open"
    if provider == "infobip":
        assert request.json["messages"][0]["from"] == "Alarm"
    else:
        assert form(request)["from"] == sender[provider]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_default_sender_from_options(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """Without a sender in the call, the options' default sender is used."""
    entry = await make_entry(provider, options={"sender": GOOD_SENDER[provider]})
    await send(hass, entry, target="Bob", message="Hi")
    (request,) = sends(simulator)
    if provider == "infobip":
        assert request.json["messages"][0]["from"] == "Home"
    else:
        assert form(request)["from"] == GOOD_SENDER[provider]
    (message,) = delivered(simulator, provider)
    assert message.sender == GOOD_SENDER[provider]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_scheduled_send(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """send_at schedules the message with each provider's own field."""
    entry = await make_entry(provider)
    when = (dt_util.utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    result = await send(
        hass,
        entry,
        target=["Alice", "Bob"],
        message="Later",
        send_at=when.isoformat(),
        response=True,
    )
    assert result is not None
    assert [i["status"] for i in result["results"]] == ["scheduled", "scheduled"]
    (request,) = sends(simulator)
    if provider == "infobip":
        sent_at = datetime.fromisoformat(request.json["messages"][0]["sendAt"])
        assert sent_at == when
    elif provider == "sms365":
        assert form(request)["timestamp"] == str(int(when.timestamp()))
    else:
        assert datetime.fromisoformat(form(request)["delivery_date"]) == when
    assert {m.status for m in delivered(simulator, provider)} == {"scheduled"}


async def test_naive_send_at_is_local_time(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A send_at without time zone is Home Assistant's local time."""
    await hass.config.async_set_time_zone("Europe/Athens")
    entry = await make_entry("voip_communications")
    year = dt_util.now().year + 1
    await send(hass, entry, target="Alice", message="Later", send_at=f"{year}-07-01 12:00:00")
    (request,) = sends(simulator)
    # Athens is UTC+3 in summer.
    assert form(request)["delivery_date"] == f"{year}-07-01T09:00:00+00:00"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "send_at",
    ["2020-01-01 10:00:00", "2020-01-01T10:00:00+00:00"],
    ids=["naive", "aware"],
)
async def test_send_at_in_the_past(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    provider: str,
    send_at: str,
) -> None:
    entry = await make_entry(provider)
    err = await refused(hass, simulator, entry, target="Alice", message="Late", send_at=send_at)
    assert err.translation_key == "send_at_in_past"


# -- flash and Viber ---------------------------------------------------------------


@pytest.mark.parametrize("provider", ["infobip", "sms365"])
async def test_flash(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    entry = await make_entry(provider)
    result = await answered(hass, entry, target=["Alice", "Bob"], message="Flash!", channel="flash")
    assert {i["channel"] for i in result["results"]} == {"flash"}
    (request,) = sends(simulator)
    assert asked_for_flash(request, provider)
    assert {m.channel for m in delivered(simulator, provider)} == {"flash"}


async def test_flash_not_supported(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("voip_communications")
    err = await refused(hass, simulator, entry, target="Alice", message="Flash!", channel="flash")
    assert err.translation_key == "flash_not_supported"
    assert err.translation_placeholders == {"provider": "Demo voip_communications"}


async def test_viber_sms365_single(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Viber to one number: viber/send with image, button, validity and fallback."""
    entry = await make_entry("sms365")
    result = await answered(
        hass,
        entry,
        target="Alice",
        message="Sale today",
        channel="viber",
        sender="DemoViber",
        image_url="https://example.com/sale.png",
        button_text="Open",
        button_url="https://example.com/sale",
        validity=3600,
    )
    (item,) = result["results"]
    assert item["channel"] == "viber"
    assert item["to"] == ALICE
    assert item["error"] is None
    (request,) = sends(simulator)
    assert request.path == SMS365_VIBER_SEND
    fields = form(request)
    assert fields["key"] == "demo-sms365-key"
    assert fields["to"] == "306971234561"
    assert fields["text"] == "Sale today"
    assert fields["from"] == "DemoViber"
    assert fields["image"] == "https://example.com/sale.png"
    assert fields["button_caption"] == "Open"
    assert fields["button_action"] == "https://example.com/sale"
    assert fields["validity"] == "60"  # minutes: sms365's error 513 unit
    assert fields["sms_fallback"] == "true"
    assert fields["sms_text"] == "Sale today"
    assert fields["sms_from"] == "DemoViber"
    message = simulator.state.messages[item["message_id"]]
    assert message.channel == "viber"


async def test_viber_sms365_bulk_without_fallback(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Viber to several numbers: viber/bulk; sms_fallback false is sent as such."""
    entry = await make_entry("sms365")
    result = await answered(
        hass,
        entry,
        target=["Alice", "Bob"],
        message="Hello",
        channel="viber",
        sender="DemoViber",
        sms_fallback=False,
    )
    assert [i["to"] for i in result["results"]] == [ALICE, BOB]
    assert {i["channel"] for i in result["results"]} == {"viber"}
    (request,) = sends(simulator)
    assert request.path == SMS365_VIBER_BULK
    fields = form(request)
    assert fields["to"] == "306971234561,306971234562"
    assert fields["sms_fallback"] == "false"
    assert "sms_text" not in fields


async def test_viber_uses_the_approved_viber_sender_by_default(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Without a sender, Viber goes out from the account's approved Viber sender id."""
    entry = await make_entry("sms365", options={"sender": "Home"})
    await send(hass, entry, target="Bob", message="Hi", channel="viber")
    (request,) = sends(simulator)
    assert form(request)["from"] == "DemoViber"


async def test_viber_image_only(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A Viber message may be an image without text."""
    entry = await make_entry("sms365")
    await send(
        hass,
        entry,
        target="Bob",
        message="",
        channel="viber",
        sender="DemoViber",
        image_url="https://example.com/cat.png",
    )
    (request,) = sends(simulator)
    fields = form(request)
    assert fields["image"] == "https://example.com/cat.png"
    assert fields["text"] == ""
    assert fields["sms_fallback"] == "false"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        # Valid for the action, outside what sms365 accepts (30 min - 24 h).
        ({"sender": "DemoViber", "validity": 60}, "invalid_message"),
        # Viber cannot be scheduled on sms365.
        (
            {"sender": "DemoViber", "send_at": "2099-01-01T00:00:00+00:00"},
            "not_supported",
        ),
    ],
    ids=["validity", "scheduled"],
)
async def test_viber_sms365_refused_before_sending(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    extra: dict[str, Any],
    key: str,
) -> None:
    entry = await make_entry("sms365")
    err = await refused(
        hass, simulator, entry, target="Bob", message="Hello", channel="viber", **extra
    )
    assert err.translation_key == key


@pytest.mark.parametrize("provider", ["infobip", "voip_communications"])
async def test_viber_falls_back_to_sms(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """Without Viber, sms_fallback (the default) sends a plain SMS."""
    entry = await make_entry(provider)
    result = await answered(
        hass,
        entry,
        target=["Alice", "Bob"],
        message="Hello",
        channel="viber",
        image_url="https://example.com/cat.png",
    )
    assert {i["channel"] for i in result["results"]} == {"sms"}
    (request,) = sends(simulator)
    assert request.path in (INFOBIP_SEND, VOIP_SEND)
    assert sent_text(request) == "Hello"
    assert {m.channel for m in delivered(simulator, provider)} == {"sms"}


@pytest.mark.parametrize("provider", ["infobip", "voip_communications"])
async def test_viber_not_supported_without_fallback(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    entry = await make_entry(provider)
    err = await refused(
        hass, simulator, entry, target="Alice", message="Hello", channel="viber", sms_fallback=False
    )
    assert err.translation_key == "viber_not_supported"
    assert err.translation_placeholders == {"provider": f"Demo {provider}"}


# -- the user's mistakes: refused before any request ---------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("fields", "key", "placeholders"),
    [
        ({"target": ["Alice", "12345"]}, "invalid_number", {"number": "12345"}),
        ({"target": "not a number"}, "invalid_number", {"number": "not a number"}),
        ({"target": "Carol"}, "invalid_number", {"number": "Carol"}),
        ({"target": ["  "]}, "no_target", {}),
        ({"message": "   "}, "empty_message", {}),
        ({"message": TOO_LONG}, "message_too_long", None),
        ({"message": "x", "title": "y" * 1600}, "message_too_long", None),
    ],
    ids=[
        "bad_number",
        "not_a_number",
        "unknown_name",
        "blank_target",
        "empty",
        "too_long",
        "title_too_long",
    ],
)
async def test_user_errors(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    provider: str,
    fields: dict[str, Any],
    key: str,
    placeholders: dict[str, str] | None,
) -> None:
    entry = await make_entry(provider)
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, entry, **{"target": "Alice", "message": "Hi", **fields})
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    if placeholders is not None:
        assert err.value.translation_placeholders == placeholders
    assert sends(simulator) == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_number_needs_country(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """No default country anywhere: a national number cannot be read."""
    hass.config.country = None
    entry = await make_entry(provider, options={"default_country": None})
    err = await refused(hass, simulator, entry, target=["Bob", "6971234561"], message="x")
    assert err.translation_key == "number_needs_country"
    assert err.translation_placeholders == {"number": "6971234561"}
    # Saved names and E.164 numbers still work.
    await send(hass, entry, target=["Bob", CAROL], message="x")
    (request,) = sends(simulator)
    assert sent_numbers(request) == ["306971234562", "306971234563"]


async def test_country_from_home_assistant(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Without a default country in the options, Home Assistant's country applies."""
    hass.config.country = "CY"
    entry = await make_entry("infobip", options={"default_country": None})
    await send(hass, entry, target="96123456", message="x")
    (request,) = sends(simulator)
    assert sent_numbers(request) == ["35796123456"]


@pytest.mark.parametrize(
    ("provider", "sender"),
    [
        ("infobip", "A"),
        ("infobip", "Far too long sender"),
        ("sms365", "Two words"),
        ("sms365", "Αλφα"),
        ("voip_communications", "Home"),
    ],
)
async def test_invalid_sender(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    provider: str,
    sender: str,
) -> None:
    entry = await make_entry(provider)
    err = await refused(hass, simulator, entry, target="Alice", message="x", sender=sender)
    assert err.translation_key == "invalid_sender"
    assert err.translation_placeholders is not None
    assert err.translation_placeholders["sender"] == sender


async def test_invalid_default_sender(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("infobip", options={"sender": "X"})
    err = await refused(hass, simulator, entry, target="Alice", message="x")
    assert err.translation_key == "invalid_sender"


async def test_voip_sender_not_the_accounts_number(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A well-formed number that is not the account's: the provider refuses it."""
    entry = await make_entry("voip_communications")
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, target="Alice", message="x", sender="12125550100")
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "send_failed"
    assert err.value.translation_placeholders == {"failed": f"{ALICE} (rejected)"}


async def test_entry_not_found(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    await make_entry("infobip")
    other = MockConfigEntry(domain="other_domain", title="Other")
    other.add_to_hass(hass)
    for entry_id in ("no-such-entry", other.entry_id):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                SERVICE,
                {"config_entry_id": entry_id, "target": "Alice", "message": "x"},
                blocking=True,
            )
        assert err.value.translation_key == "entry_not_found"
        assert err.value.translation_placeholders == {"entry_id": entry_id}
    assert sends(simulator) == []


async def test_entry_not_loaded(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("sms365")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    err = await refused(hass, simulator, entry, target="Alice", message="x")
    assert err.translation_key == "entry_not_loaded"
    assert err.translation_placeholders == {"account": "Demo sms365"}


@pytest.mark.parametrize(
    "fields",
    [
        {"channel": "mms"},
        {"validity": 0},
        {"validity": 86401},
        {"validity": "soon"},
        {"target": []},
        {"send_at": "tomorrow"},
        {"image_url": "not a url"},
        {"unknown": 1},
    ],
    ids=["channel", "validity_low", "validity_high", "validity_text", "no_target", "send_at",
         "image_url", "unknown_field"],
)  # fmt: skip
async def test_schema_errors(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    fields: dict[str, Any],
) -> None:
    entry = await make_entry("infobip")
    with pytest.raises(probatio.Invalid):
        await send(hass, entry, **{"target": "Alice", "message": "x", **fields})
    assert sends(simulator) == []


async def test_schema_requires_fields(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("infobip")
    for data in (
        {"target": "Alice", "message": "x"},
        {"config_entry_id": entry.entry_id, "message": "x"},
        {"config_entry_id": entry.entry_id, "target": "Alice"},
    ):
        with pytest.raises(probatio.Invalid):
            await hass.services.async_call(DOMAIN, SERVICE, data, blocking=True)
    assert sends(simulator) == []


# -- the provider's failures -----------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_auth_failed_starts_reauth(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    entry = await make_entry(provider)
    simulator.state.add_fault(kind="status", provider=SIM_PROVIDER[provider], status=401)
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, target="Alice", message="x")
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "auth_failed"
    assert err.value.translation_placeholders == {"account": f"Demo {provider}"}
    await hass.async_block_till_done()
    assert reauth_flows(hass) == [entry.entry_id]
    # The provider did answer 401 to the send request.
    (request,) = sends(simulator)
    assert request.status == 401


async def test_sms365_key_refused(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """sms365 answers its own error 101 (IP not whitelisted): reauth as well."""
    entry = await make_entry("sms365")
    simulator.state.accounts["sms365-demo"].ip_blocked = True
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, target="Alice", message="x")
    assert err.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    assert any(
        flow["context"].get("entry_id") == entry.entry_id
        for flow in hass.config_entries.flow.async_progress()
    )


async def test_insufficient_balance_sms365(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """sms365 refuses the whole request (error 105)."""
    entry = await make_entry("sms365")
    simulator.state.accounts["sms365-demo"].balance = 0
    for target in ("Alice", ["Alice", "Bob"]):
        with pytest.raises(HomeAssistantError) as err:
            await send(hass, entry, target=target, message="x")
        assert not isinstance(err.value, ServiceValidationError)
        assert err.value.translation_key == "insufficient_balance"
        assert err.value.translation_placeholders == {"account": "Demo sms365"}
    assert simulator.state.messages == {}


@pytest.mark.parametrize("provider", ["infobip", "voip_communications"])
async def test_insufficient_balance_per_recipient(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """Infobip (REJECTED_NOT_ENOUGH_CREDITS) and voip (402) reject each recipient."""
    entry = await make_entry(provider)
    simulator.state.accounts[SIM_ACCOUNT[provider]].balance = 0
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, target=["Alice", "Bob"], message="x")
    assert not isinstance(err.value, ServiceValidationError)
    # Every recipient failed for the same reason: the error says that reason.
    assert err.value.translation_key == "insufficient_balance"
    assert err.value.translation_placeholders == {
        "account": "Demo " + provider,
        "recipients": f"{ALICE}, {BOB}",
    }
    assert len(sends(simulator)) == 1
    if provider == "infobip":
        account = simulator.state.accounts["infobip-demo"]
        assert {m.status for m in simulator.state.messages_for(account)} == {"rejected"}
    # All failed: raised even when the response is asked for.
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, target="Alice", message="x", response=True)
    assert err.value.translation_key == "insufficient_balance"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("fault", "key"),
    [
        # Transient: queued for a retry (ambiguous ones only where resending is safe).
        ({"kind": "status", "status": 503, "retry_after": "30"}, "queued"),
        ({"kind": "status", "status": 500}, "ambiguous"),
        ({"kind": "drop"}, "ambiguous"),
        ({"kind": "html", "status": 200}, "provider_error"),
        ({"kind": "html"}, "ambiguous"),
        ({"kind": "malformed_json"}, "provider_error"),
        ({"kind": "empty"}, "provider_error"),
    ],
    ids=["503", "500", "drop", "html", "html_502", "malformed", "empty"],
)
async def test_provider_failures(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    provider: str,
    fault: dict[str, Any],
    key: str,
) -> None:
    entry = await make_entry(provider)
    simulator.state.add_fault(provider=SIM_PROVIDER[provider], **fault)
    data = {"target": ["Alice", "Bob"], "message": "x"}
    if key == "queued" or (key == "ambiguous" and provider == "infobip"):
        result = await send(hass, entry, response=True, **data)
        assert result is not None
        assert [i["status"] for i in result["results"]] == ["queued", "queued"]
        assert len(sends(simulator)) == 1
        return
    if key == "ambiguous":  # no idempotency key: not resent, the caller is told
        with pytest.raises(HomeAssistantError) as err:
            await send(hass, entry, **data)
        assert err.value.translation_key == "delivery_unknown"
        assert err.value.translation_placeholders == {
            "account": f"Demo {provider}",
            "recipients": f"{ALICE}, {BOB}",
        }
        assert len(sends(simulator)) == 1
        return
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, target=["Alice", "Bob"], message="x")
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == key
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["account"] == f"Demo {provider}"
    assert err.value.translation_placeholders["error"]
    assert len(sends(simulator)) == 1
    # No reauth for anything but refused credentials.
    assert not hass.config_entries.flow.async_progress()


@pytest.mark.parametrize(
    ("provider", "body", "error", "key"),
    [
        ("sms365", {"status": 0, "error": 518, "remarks": "Message failed"}, HomeAssistantError,
         "rejected"),
        ("sms365", {"status": 0, "error": 103, "remarks": "Invalid recipient"},
         ServiceValidationError, "invalid_number"),
        ("sms365", {"status": 0, "error": 104, "remarks": "Invalid text"},
         ServiceValidationError, "invalid_message"),
    ],
    ids=["rejected", "invalid_recipient", "invalid_request"],
)  # fmt: skip
async def test_provider_refusals(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    provider: str,
    body: dict[str, Any],
    error: type[HomeAssistantError],
    key: str,
) -> None:
    """Refusals the simulator only gives for input we check first: injected answers."""
    entry = await make_entry(provider)
    simulator.state.add_fault(
        kind="body", provider="sms365", path="sms/send", body=json.dumps(body)
    )
    with pytest.raises(error) as err:
        await send(hass, entry, target="Alice", message="x")
    assert err.value.translation_key == key
    if key == "invalid_number":
        assert err.value.translation_placeholders == {"number": ALICE}


async def test_infobip_bad_request(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Infobip's 400 requestError envelope is the user's (or our) fault."""
    entry = await make_entry("infobip")
    simulator.state.add_fault(kind="status", provider="infobip", status=400)
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, entry, target="Alice", message="x")
    assert err.value.translation_key == "invalid_message"
    assert "Injected fault" in (err.value.translation_placeholders or {})["error"]


# -- partial success ----------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["infobip", "voip_communications"])
async def test_partial_failure(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """Balance for one message, two recipients: the second is rejected."""
    entry = await make_entry(provider)
    account = simulator.state.accounts[SIM_ACCOUNT[provider]]
    account.balance = account.price_per_segment
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, target=["Alice", "Bob"], message="x")
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "partial_failure"
    assert err.value.translation_placeholders == {
        "sent": "1",
        "total": "2",
        "failed": f"{BOB} (insufficient_balance)",
    }
    assert [m.to for m in simulator.state.messages_for(account) if m.status != "rejected"] == [
        "306971234561"
    ]

    # With the response asked for, no error: the items say who failed.
    account.balance = account.price_per_segment
    result = await answered(hass, entry, target=["Alice", "Bob"], message="y")
    alice, bob = result["results"]
    assert alice["to"] == ALICE
    assert alice["error"] is None
    assert alice["status"] == "accepted"
    assert alice["message_id"]
    assert bob["to"] == BOB
    assert bob["error"] == "insufficient_balance"
    assert bob["status"] == "rejected"
    assert len(sends(simulator)) == 2


async def test_action_without_response_returns_nothing(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("infobip")
    assert await send(hass, entry, target="Alice", message="x") is None
    assert len(sends(simulator)) == 1


async def test_balance_refreshed_after_send(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A send asks the balance coordinator for a refresh."""
    entry = await make_entry("sms365")
    before = entry.runtime_data.coordinator.data.balance.amount
    await send(hass, entry, target="Alice", message="x")
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator.data.balance.amount == before - 1


# -- what callers see ------------------------------------------------------------------------


async def test_websocket_error_codes(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_ws_client: Any,
) -> None:
    """Over the websocket (what the UI uses) errors say whose fault they are."""
    entry = await make_entry("voip_communications")
    client = await hass_ws_client(hass)

    async def call(data: dict[str, Any]) -> dict[str, Any]:
        await client.send_json_auto_id(
            {
                "type": "call_service",
                "domain": DOMAIN,
                "service": SERVICE,
                "service_data": {"config_entry_id": entry.entry_id, "target": "Alice", **data},
                "return_response": True,
            }
        )
        return dict(await client.receive_json())

    # Our user errors are also probatio.Invalid (so REST answers 400): over the
    # websocket that is invalid_format, with the translated message.
    answer = await call({"message": "x", "channel": "flash"})
    assert not answer["success"]
    assert answer["error"]["code"] == "invalid_format"
    assert "Demo voip_communications cannot send flash SMS" in answer["error"]["message"]

    answer = await call({"message": "x", "channel": "pigeon"})
    assert answer["error"]["code"] == "invalid_format"

    simulator.state.add_fault(kind="status", provider="voip", status=503)
    answer = await call({"message": "x"})
    assert answer["success"]  # queued for a retry
    assert answer["result"]["response"]["results"][0]["status"] == "queued"

    answer = await call({"message": "x", "title": "T"})
    assert answer["success"]
    (item,) = answer["result"]["response"]["results"]
    assert item["to"] == ALICE
    assert item["error"] is None
    assert sent_text(sends(simulator)[-1]) == "T\nx"


async def test_translated_messages(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Error texts render with every placeholder filled in."""
    await async_get_translations(hass, "en", "exceptions", {DOMAIN})
    entry = await make_entry("infobip")
    account = simulator.state.accounts["infobip-demo"]
    account.balance = account.price_per_segment
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, target=["Alice", "Bob"], message="x")
    assert str(err.value) == (
        f"The message was sent to 1 of 2 recipients. Failed: {BOB} (insufficient_balance)"
    )
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, entry, target="123", message="x")
    assert str(err.value).rstrip(".") == "123 is not a valid phone number"


# -- cases no real provider produces ---------------------------------------------------------


async def test_scheduling_not_supported(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every provider here can schedule: pretend one cannot."""
    monkeypatch.setattr(
        VoipCommunicationsClient,
        "capabilities",
        replace(VoipCommunicationsClient.capabilities, scheduling=False),
    )
    entry = await make_entry("voip_communications")
    err = await refused(
        hass, simulator, entry, target="Alice", message="x", send_at="2099-01-01T00:00:00+00:00"
    )
    assert err.translation_key == "scheduling_not_supported"
    assert err.translation_placeholders == {"provider": "Demo voip_communications"}


async def test_client_refuses_empty_text(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client check for an empty text (the outbox checks first) maps to empty_message."""
    entry = await make_entry("infobip")

    def refuse(message: Any) -> None:
        raise InvalidRequestError("The message is empty", provider_code="empty_text")

    monkeypatch.setattr(entry.runtime_data.client, "validate", refuse)
    err = await refused(hass, simulator, entry, target="Alice", message="x")
    assert err.translation_key == "empty_message"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_title_without_message(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """A title alone is the message: no trailing line break is sent (or paid for)."""
    entry = await make_entry(provider)
    await send(hass, entry, target="Alice", message=" ", title="Alarm")
    (request,) = sends(simulator)
    assert sent_text(request) == "Alarm"
