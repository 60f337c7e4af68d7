"""Pull mode: delivery reports and inbound SMS polled from the providers.

Both accounts are switched to ``report_mode: poll`` (and the Infobip account
pulls its inbox every few seconds) through the options flow, as a user would
in the UI; the test puts the options back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import E2E, pretty, wait_until
from .wire import (
    ALICE_WIRE,
    INFOBIP_SEND,
    SMS365_SEND,
    form,
    inbound,
    infobip_message,
    one_send,
    received,
    replies_to,
    send_action,
    turn_off,
)

REPORT_POLL_SECONDS = 30  # const.REPORT_POLL_INTERVAL_SECONDS
INBOUND_INTERVAL = 3


def set_options(e2e: E2E, entry_id: str, **changes: Any) -> None:
    """Change options and wait until the entry reloaded."""
    e2e.options(entry_id, **changes)
    wait_until(lambda: e2e.entry_state(entry_id) == "loaded", f"{entry_id} loaded", timeout=30)


@pytest.fixture
def polling(e2e: E2E) -> Iterator[None]:
    """Switch both accounts to polling; switch them back afterwards."""
    infobip, sms365 = e2e.info.infobip_entry_id, e2e.info.sms365_entry_id
    set_options(e2e, infobip, report_mode="poll", inbound_interval=INBOUND_INTERVAL)
    set_options(e2e, sms365, report_mode="poll")
    try:
        yield
    finally:
        set_options(e2e, infobip, report_mode="auto", inbound_interval=60)
        set_options(e2e, sms365, report_mode="auto")


def test_pulled_delivery_reports_and_inbound_sms(e2e: E2E, polling: None) -> None:
    """The inbox is pulled and runs the blueprint; reports are polled (no notifyUrl/callback)."""
    # Inbound, pull only: the simulator keeps the SMS in the Infobip inbox.
    at_home = e2e.info.input_boolean
    turn_off(e2e, at_home)
    seq = e2e.last_seq()
    replies_before = len(replies_to(e2e, ALICE_WIRE))
    answer = inbound(e2e, ALICE_WIRE, "HOME pulled", deliver="pull")
    assert answer["delivered_by"] == ["pull"], pretty(answer)
    event = wait_until(lambda: received(e2e, "HOME pulled"), "the pulled SMS", timeout=30)
    assert event["attributes"]["trusted"] is True
    wait_until(lambda: e2e.state(at_home)["state"] == "on", f"{at_home} on", timeout=20)
    assert [r for r in e2e.requests_since(seq) if r["path"].endswith("/inbox/reports")]
    # The blueprint's reply is the account's latest message until the next send.
    wait_until(
        lambda: len(replies_to(e2e, ALICE_WIRE)) > replies_before, "the reply SMS", timeout=20
    )

    # Delivery reports, polled.
    sent: dict[str, str] = {}
    for entry, key, path in (
        (e2e.info.infobip_entry_id, "infobip_last_delivery_status", INFOBIP_SEND),
        (e2e.info.sms365_entry_id, "sms365_last_delivery_status", SMS365_SEND),
    ):
        before = e2e.last_seq()
        sent[key] = send_action(e2e, entry, "sms", f"E2E pulled report {key}")["message_id"]
        request = one_send(e2e, before, path)
        if path == INFOBIP_SEND:
            assert "notifyUrl" not in infobip_message(request), pretty(request)
        else:
            assert "callback" not in form(request), pretty(request)

    for key, message_id in sent.items():
        sensor = e2e.info.entities[key]

        def delivered(sensor: str = sensor, message_id: str = message_id) -> bool:
            state = e2e.state(sensor)
            return (
                state["attributes"].get("message_id") == message_id
                and state["state"] == "delivered"
            )

        wait_until(delivered, f"{sensor} = delivered", timeout=REPORT_POLL_SECONDS + 30)
    pushed = [
        p
        for p in e2e.sim("GET", "/_sim/pushes")
        if p["kind"] == "delivery_report" and any(m in p["body"] + p["url"] for m in sent.values())
    ]
    assert not pushed, f"reports were pushed in poll mode: {pretty(pushed)}"
    pulls = {r["path"] for r in e2e.requests_since(seq)}
    assert "/restapi/sms/1/reports" in pulls, sorted(pulls)
    assert "/api/status/get" in pulls, sorted(pulls)
