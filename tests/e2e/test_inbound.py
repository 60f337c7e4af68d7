"""Inbound SMS pushed by the provider: trusted senders run the blueprint, others do not."""

from __future__ import annotations

import time

from .conftest import E2E, pretty, wait_until
from .wire import ALICE_WIRE, inbound, received, replies_to, turn_off

STRANGER_WIRE = "306970000999"


def test_trusted_sender_runs_the_blueprint_scene_and_gets_a_reply(e2e: E2E) -> None:
    """Alice texts HOME: the automation turns the scene on (input_boolean on) and replies."""
    at_home = e2e.info.input_boolean
    turn_off(e2e, at_home)
    replies_before = len(replies_to(e2e, ALICE_WIRE))
    answer = inbound(e2e, ALICE_WIRE, "HOME now")
    assert answer["delivered_by"] == ["push"], pretty(answer)

    wait_until(lambda: e2e.state(at_home)["state"] == "on", f"{at_home} on", timeout=20)
    event = wait_until(lambda: received(e2e, "HOME now"), "the SMS received event", timeout=10)
    assert event["attributes"]["trusted"] is True, pretty(event)
    assert event["attributes"]["sender"] == f"+{ALICE_WIRE}"
    wait_until(
        lambda: len(replies_to(e2e, ALICE_WIRE)) > replies_before,
        "the reply SMS at the provider",
        timeout=20,
    )
    pushes = [p for p in e2e.sim("GET", "/_sim/pushes") if p["kind"] == "inbound"]
    assert pushes, "the simulator pushed no inbound SMS"
    assert pushes[-1]["url"] == e2e.info.webhook_url
    assert pushes[-1]["status"] == 200, pretty(pushes[-1])
    automation = e2e.state(e2e.info.automations[1])
    assert automation["attributes"]["last_triggered"], pretty(automation)


def test_untrusted_sender_does_not_run_the_blueprint(e2e: E2E) -> None:
    """A stranger texts HOME: the message is recorded as untrusted, nothing else happens."""
    at_home = e2e.info.input_boolean
    turn_off(e2e, at_home)
    inbound(e2e, STRANGER_WIRE, "HOME please")
    event = wait_until(lambda: received(e2e, "HOME please"), "the SMS received event", timeout=20)
    assert event["attributes"]["trusted"] is False, pretty(event)
    time.sleep(3)  # give a (wrongly) triggered automation time to act
    assert e2e.state(at_home)["state"] == "off"
    assert not replies_to(e2e, STRANGER_WIRE)
