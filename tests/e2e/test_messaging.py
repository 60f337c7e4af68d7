"""Sending over HTTP through every surface; the simulator checks the wire requests."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.util import slugify

from .conftest import E2E, ROOT, pretty, wait_until
from .wire import (
    ALICE,
    ALICE_WIRE,
    INFOBIP_SEND,
    SMS365_SEND,
    SMS365_VIBER,
    form,
    infobip_message,
    one_send,
    send_action,
    sends,
)


def legacy_service(e2e: E2E, entry_id: str, suffix: str = "") -> str:
    """Return the legacy notify service name of an account (``<slug of title><suffix>``)."""
    for entry in e2e.rest("GET", "/api/config/config_entries/entry").json():
        if entry["entry_id"] == entry_id:
            return slugify(entry["title"]) + suffix
    raise AssertionError(f"no entry {entry_id}")


def test_send_action_infobip_text_flash_viber_fallback(e2e: E2E) -> None:
    """Infobip-compatible: text, flash (``flash: true``) and Viber falling back to SMS."""
    entry = e2e.info.infobip_entry_id
    for channel, text, flash, sent_as in (
        ("sms", "E2E action text", None, "sms"),
        ("flash", "E2E action flash", True, "flash"),
        ("viber", "E2E action viber", None, "sms"),  # no Viber on Infobip: plain SMS
    ):
        seq = e2e.last_seq()
        result = send_action(e2e, entry, channel, text)
        assert result["channel"] == sent_as, pretty(result)
        message = infobip_message(one_send(e2e, seq, INFOBIP_SEND))
        assert message["text"] == text
        assert message.get("flash") is flash, pretty(message)
        assert [d["to"] for d in message["destinations"]] == [ALICE_WIRE]
        assert message["destinations"][0]["messageId"] == result["message_id"]
        accepted = e2e.sim("GET", f"/_sim/messages/{result['message_id']}")
        assert (accepted["channel"], accepted["to"], accepted["text"]) == (
            sent_as,
            ALICE_WIRE,
            text,
        )


def test_send_action_sms365_text_flash_viber(e2e: E2E) -> None:
    """sms365: ``/api/sms/send`` (``flash=true`` for flash) and ``/api/viber/send`` with fallback."""
    entry = e2e.info.sms365_entry_id
    seq = e2e.last_seq()
    send_action(e2e, entry, "sms", "E2E sms365 text")
    sent = form(one_send(e2e, seq, SMS365_SEND))
    assert (sent["to"], sent["text"], sent["key"]) == (
        ALICE_WIRE,
        "E2E sms365 text",
        "demo-sms365-key",
    )
    assert "flash" not in sent

    seq = e2e.last_seq()
    send_action(e2e, entry, "flash", "E2E sms365 flash")
    sent = form(one_send(e2e, seq, SMS365_SEND))
    assert (sent["to"], sent["text"], sent.get("flash")) == (ALICE_WIRE, "E2E sms365 flash", "true")

    seq = e2e.last_seq()
    result = send_action(e2e, entry, "viber", "E2E sms365 viber")
    assert result["channel"] == "viber", pretty(result)
    assert not sends(e2e, seq, SMS365_SEND)
    sent = form(one_send(e2e, seq, SMS365_VIBER))
    assert sent["to"] == ALICE_WIRE
    assert sent["text"] == "E2E sms365 viber"
    assert sent["sms_fallback"] == "true"
    assert sent["sms_text"] == "E2E sms365 viber"


def test_notify_entity_sends_text_to_the_saved_recipient(e2e: E2E) -> None:
    """``notify.send_message`` on the recipient's notify entity sends a text SMS to Alice."""
    entity = "notify.alice_sms"
    assert e2e.state(entity)["attributes"]["friendly_name"] == "Alice SMS"
    seq = e2e.last_seq()
    answer = e2e.call("notify", "send_message", {"entity_id": entity, "message": "E2E entity"})
    assert answer.status_code == 200, answer.text
    message = infobip_message(one_send(e2e, seq, INFOBIP_SEND))
    assert message["text"] == "E2E entity"
    assert [d["to"] for d in message["destinations"]] == [ALICE_WIRE]
    assert "flash" not in message


def test_legacy_notify_services(e2e: E2E) -> None:
    """``notify.<account>``, ``notify.<account>_flash`` and ``notify.<sms365>_viber``."""
    infobip = legacy_service(e2e, e2e.info.infobip_entry_id)
    sms365 = legacy_service(e2e, e2e.info.sms365_entry_id)
    available = e2e.services("notify")
    expected = {infobip, f"{infobip}_flash", sms365, f"{sms365}_flash", f"{sms365}_viber"}
    assert expected <= available, sorted(available)
    assert f"{infobip}_viber" not in available  # Infobip-compatible APIs have no Viber

    # Without a target: every saved recipient of the account (Alice).
    seq = e2e.last_seq()
    assert e2e.call("notify", infobip, {"message": "E2E legacy text"}).status_code == 200
    message = infobip_message(one_send(e2e, seq, INFOBIP_SEND))
    assert (message["text"], message.get("flash")) == ("E2E legacy text", None)
    assert [d["to"] for d in message["destinations"]] == [ALICE_WIRE]

    seq = e2e.last_seq()
    answer = e2e.call(
        "notify", f"{infobip}_flash", {"message": "E2E legacy flash", "target": ["Alice"]}
    )
    assert answer.status_code == 200, answer.text
    message = infobip_message(one_send(e2e, seq, INFOBIP_SEND))
    assert (message["text"], message.get("flash")) == ("E2E legacy flash", True)
    assert [d["to"] for d in message["destinations"]] == [ALICE_WIRE]

    seq = e2e.last_seq()
    answer = e2e.call(
        "notify",
        f"{sms365}_flash",
        {"message": "E2E legacy sms365 flash", "target": [ALICE]},
    )
    assert answer.status_code == 200, answer.text
    sent = form(one_send(e2e, seq, SMS365_SEND))
    assert (sent["to"], sent["text"], sent.get("flash")) == (
        ALICE_WIRE,
        "E2E legacy sms365 flash",
        "true",
    )

    seq = e2e.last_seq()
    answer = e2e.call(
        "notify",
        f"{sms365}_viber",
        {"message": "E2E legacy viber", "target": [ALICE], "data": {"sms_fallback": True}},
    )
    assert answer.status_code == 200, answer.text
    sent = form(one_send(e2e, seq, SMS365_VIBER))
    assert (sent["to"], sent["text"], sent["sms_fallback"]) == (
        ALICE_WIRE,
        "E2E legacy viber",
        "true",
    )


def translated(key: str, **placeholders: str) -> str:
    """Return an exception message as Home Assistant renders it (English, no final period)."""
    strings = json.loads(
        (ROOT / "custom_components/sms_gateway/translations/en.json").read_text(encoding="utf-8")
    )
    message: str = strings["exceptions"][key]["message"]
    return message.rstrip(".").format(**placeholders)


def test_invalid_number_is_http_400_with_the_translated_message(e2e: E2E) -> None:
    """REST answers 400; the websocket (what the UI uses) carries the translated message."""
    data = {"config_entry_id": e2e.info.infobip_entry_id, "target": ["12"], "message": "x"}
    seq = e2e.last_seq()
    answer = e2e.call("sms_gateway", "send_message", data)
    assert answer.status_code == 400, f"{answer.status_code} {answer.text}"

    result = e2e.ws("call_service", domain="sms_gateway", service="send_message", service_data=data)
    assert result["success"] is False, pretty(result)
    assert result["error"]["code"] in ("invalid_format", "service_validation_error"), pretty(result)
    assert translated("invalid_number", number="12") in result["error"]["message"], pretty(result)

    # The legacy notify service refuses it the same way.
    service = legacy_service(e2e, e2e.info.infobip_entry_id)
    answer = e2e.call("notify", service, {"message": "x", "target": ["12"]})
    assert answer.status_code == 400, f"{answer.status_code} {answer.text}"
    assert not sends(e2e, seq, INFOBIP_SEND), "an invalid number reached the provider"


def test_push_delivery_reports_turn_the_sensor_to_delivered(e2e: E2E) -> None:
    """The provider pushes the report to the entry's webhook; the sensor shows ``delivered``."""
    for entry, key in (
        (e2e.info.infobip_entry_id, "infobip_last_delivery_status"),
        (e2e.info.sms365_entry_id, "sms365_last_delivery_status"),
    ):
        sensor = e2e.info.entities[key]
        result = send_action(e2e, entry, "sms", f"E2E push report {key}")
        message_id = result["message_id"]

        def delivered(sensor: str = sensor, message_id: str = message_id) -> dict[str, Any] | None:
            state = e2e.state(sensor)
            if (
                state["attributes"].get("message_id") == message_id
                and state["state"] == "delivered"
            ):
                return state
            return None

        wait_until(delivered, f"{sensor} = delivered for {message_id}", timeout=30)
        pushes = [
            p
            for p in e2e.sim("GET", "/_sim/pushes")
            if p["kind"] == "delivery_report" and message_id in p["body"] + p["url"]
        ]
        assert pushes, "the report was not pushed"
        assert all(p["status"] == 200 and "/api/webhook/" in p["url"] for p in pushes), pretty(
            pushes
        )
        assert pushes[0]["url"].startswith(e2e.hass_url)


def test_balance_sensor_equals_the_providers_balance_after_sending(e2e: E2E) -> None:
    """After a send the integration refreshes the balance: it equals the simulator's."""
    for entry, sim_account, key in (
        (e2e.info.infobip_entry_id, "infobip-demo", "infobip_balance"),
        (e2e.info.sms365_entry_id, "sms365-demo", "sms365_balance"),
    ):
        before = e2e.sim("GET", f"/_sim/accounts/{sim_account}")["balance"]
        send_action(e2e, entry, "sms", f"E2E balance {key}")
        after = e2e.sim("GET", f"/_sim/accounts/{sim_account}")["balance"]
        assert after < before, "the simulator charged nothing"
        sensor = e2e.info.entities[key]

        def matches(sensor: str = sensor, after: float = after) -> str | None:
            state = e2e.state(sensor)["state"]
            try:
                return state if abs(float(state) - after) < 1e-6 else None
            except ValueError:
                return None

        wait_until(matches, f"{sensor} = {after}", timeout=20)


def test_recipient_has_its_own_device_and_the_account_keeps_its_entities(e2e: E2E) -> None:
    """The recipient added through its subentry flow got a device of its own.

    Home Assistant 2026.8+ ties a device to one subentry at most: a recipient's
    notify entity on the account's device moved that device into the subentry,
    and the account's event entity was deleted with it.
    """
    entry_id = e2e.info.infobip_entry_id
    devices = [
        d
        for d in e2e.ws("config/device_registry/list")["result"]
        if d["config_entry_id"] == entry_id
    ]
    account = [d for d in devices if d["config_subentry_id"] is None]
    recipients = [d for d in devices if d["config_subentry_id"] is not None]
    assert len(account) == 1, devices
    assert [d["name"] for d in recipients] == ["Alice"], devices
    assert recipients[0]["config_subentry_id"] == e2e.info.recipient_subentry_id
    assert recipients[0]["via_device_id"] == account[0]["id"]
    registry = e2e.ws("config/entity_registry/list")["result"]
    by_id = {entity["entity_id"]: entity for entity in registry}
    event = e2e.info.entities["infobip_sms_received"]
    assert by_id[event]["device_id"] == account[0]["id"]
    assert by_id["notify.alice_sms"]["device_id"] == recipients[0]["id"]
    assert e2e.state(event)["state"] != "unavailable"
    assert e2e.state("notify.alice_sms")["state"] != "unavailable"
