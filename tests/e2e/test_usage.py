"""Usage sensors in a real Home Assistant: they move after a send (REST only)."""

from __future__ import annotations

from .conftest import E2E, pretty, wait_until
from .wire import send_action


def _number(e2e: E2E, key: str) -> float:
    state = e2e.state(e2e.info.entities[key])
    return float(state["state"])


def test_usage_sensors_move_after_a_send(e2e: E2E) -> None:
    """A 2-segment text: messages today +1, segments today +2; its report's price adds up."""
    messages = _number(e2e, "infobip_messages_today")
    segments = _number(e2e, "infobip_segments_today")
    cost = e2e.state(e2e.info.entities["infobip_cost_this_month"])
    assert cost["attributes"]["state_class"] == "total", pretty(cost)
    assert cost["attributes"]["last_reset"], pretty(cost)
    spent = _number(e2e, "infobip_cost_this_month")

    result = send_action(e2e, e2e.info.infobip_entry_id, "sms", "E2E usage " + "x" * 160)
    assert result["segments"] == 2, pretty(result)

    wait_until(
        lambda: _number(e2e, "infobip_messages_today") == messages + 1,
        "messages today + 1",
        timeout=20,
    )
    assert _number(e2e, "infobip_segments_today") == segments + 2
    today = e2e.state(e2e.info.entities["infobip_messages_today"])
    assert today["attributes"]["state_class"] == "total_increasing", pretty(today)
    # Infobip prices a message in its delivery report, pushed to the webhook.
    wait_until(
        lambda: _number(e2e, "infobip_cost_this_month") > spent,
        "the cost this month grows with the report's price",
        timeout=30,
    )
