"""Assist over SMS in a real Home Assistant, over HTTP only.

The simulator's control API delivers the SMS (pushed to the account's
webhook); the answer is read from the simulator's request log.
"""

from __future__ import annotations

from typing import Any

from .conftest import E2E, pretty, wait_until
from .wire import ALICE_WIRE, INFOBIP_SEND, inbound, infobip_message, sends

LIGHT = "light.kitchen_light"


def answers_since(e2e: E2E, seq: int) -> list[dict[str, Any]]:
    """Return the Infobip messages sent to Alice after ``seq``."""
    messages = [infobip_message(r) for r in sends(e2e, seq, INFOBIP_SEND)]
    return [m for m in messages if m["destinations"][0]["to"] == ALICE_WIRE]


def test_a_trusted_sms_turns_on_the_light_and_gets_the_answer(e2e: E2E) -> None:
    """Alice texts "Turn on the kitchen light": the light goes on, and she gets Assist's answer."""
    entry_id = e2e.info.infobip_entry_id
    options = e2e.options(entry_id, assist=True)
    try:
        assert options["assist"] is True, pretty(options)
        wait_until(lambda: e2e.entry_state(entry_id) == "loaded", "the account reloaded")
        answer = e2e.call("light", "turn_off", {"entity_id": LIGHT})
        assert answer.status_code == 200, answer.text
        wait_until(lambda: e2e.state(LIGHT)["state"] == "off", "the light off", timeout=10)
        seq = e2e.last_seq()

        sent = inbound(e2e, ALICE_WIRE, "Turn on the kitchen light")
        assert sent["delivered_by"] == ["push"], pretty(sent)

        wait_until(lambda: e2e.state(LIGHT)["state"] == "on", "the light on", timeout=30)
        [reply] = wait_until(lambda: answers_since(e2e, seq), "the answer at the provider", 30)
        assert reply["text"] == "Turned on the light", pretty(reply)
        assert reply["from"] == "41793026727", pretty(reply)  # the number Alice texted
    finally:
        e2e.options(entry_id, assist=False)
        wait_until(lambda: e2e.entry_state(entry_id) == "loaded", "the account reloaded")
