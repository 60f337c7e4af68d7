"""What the end-to-end tests send and read: the action over REST, the simulator's log."""

from __future__ import annotations

from typing import Any

from .conftest import E2E, pretty, wait_until

ALICE = "+306971234561"
ALICE_WIRE = "306971234561"  # the saved recipient: trusted
INFOBIP_SEND = "/restapi/sms/1/text/advanced"
SMS365_SEND = "/api/sms/send"
SMS365_VIBER = "/api/viber/send"
REPLY = "Welcome home! The scene is on."  # the blueprint's reply


# -- sending ------------------------------------------------------------------------------


def sends(e2e: E2E, seq: int, path: str) -> list[dict[str, Any]]:
    """Return the protocol requests to ``path`` made after ``seq``."""
    return [r for r in e2e.requests_since(seq) if r["path"] == path and r["method"] == "POST"]


def one_send(e2e: E2E, seq: int, path: str) -> dict[str, Any]:
    """Return the single send request to ``path`` made after ``seq``."""
    found = sends(e2e, seq, path)
    assert len(found) == 1, f"expected one POST {path}, got:\n{pretty(e2e.requests_since(seq))}"
    return found[0]


def infobip_message(request: dict[str, Any]) -> dict[str, Any]:
    """Return the single message of an Infobip ``text/advanced`` request."""
    messages = request["json"]["messages"]
    assert len(messages) == 1, pretty(request["json"])
    message: dict[str, Any] = messages[0]
    return message


def form(request: dict[str, Any]) -> dict[str, str]:
    """Return an sms365 form request with single values."""
    return {key: values[0] for key, values in request["form"].items()}


def send_action(e2e: E2E, entry_id: str, channel: str, text: str) -> dict[str, Any]:
    """Call sms_gateway.send_message over REST with ``?return_response``; return the result."""
    answer = e2e.call(
        "sms_gateway",
        "send_message",
        {
            "config_entry_id": entry_id,
            "target": [ALICE],
            "message": text,
            "channel": channel,
            "sms_fallback": True,
        },
        response=True,
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()["service_response"]["results"]
    assert len(results) == 1, pretty(results)
    assert results[0]["status"] == "accepted", pretty(results)
    assert results[0]["to"] == ALICE
    result: dict[str, Any] = results[0]
    return result


# -- receiving ----------------------------------------------------------------------------


def turn_off(e2e: E2E, entity_id: str) -> None:
    """Turn an input_boolean off and wait until it is."""
    answer = e2e.call("input_boolean", "turn_off", {"entity_id": entity_id})
    assert answer.status_code == 200, answer.text
    wait_until(lambda: e2e.state(entity_id)["state"] == "off", f"{entity_id} off", timeout=10)


def received(e2e: E2E, text: str) -> dict[str, Any] | None:
    """Return the SMS-received event entity's state once it recorded ``text``."""
    state = e2e.state(e2e.info.entities["infobip_sms_received"])
    return state if state["attributes"].get("text") == text else None


def inbound(e2e: E2E, sender: str, text: str, deliver: str = "push") -> dict[str, Any]:
    """Let a handset text the Infobip demo account (simulator control API)."""
    answer: dict[str, Any] = e2e.sim(
        "POST",
        "/_sim/inbound",
        {"provider": "infobip", "from": sender, "text": text, "deliver": deliver},
    )
    return answer


def replies_to(e2e: E2E, number: str) -> list[dict[str, Any]]:
    """Return the messages the simulator accepted for ``number`` with the blueprint's reply."""
    return [m for m in e2e.messages(to=number) if m["text"] == REPLY]
