"""Spending limits and usage sensors, through the simulator, on a frozen clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.sms_gateway.const import DOMAIN, EVENT_LIMIT_REACHED
from custom_components.sms_gateway.providers import Channel
from custom_components.sms_gateway.usage import Period, limit_issue_id, segments_of
from tests.conftest import ALICE, BOB, MakeEntry, RunningSimulator
from tests.outage import advance
from tests.wire import INFOBIP_SEND, SEND_PATHS, send, sends, state_of

HOUR = 3600


def usage(hass: HomeAssistant, provider: str) -> dict[str, Any]:
    """Return the usage sensors' states of a demo account."""
    base = f"sensor.demo_{provider}"
    return {
        key: state_of(hass, f"{base}_{key}").state
        for key in (
            "messages_today",
            "sms_segments_today",
            "messages_this_month",
            "sms_segments_this_month",
            "cost_this_month",
        )
    }


def limit_issue(hass: HomeAssistant, entry: MockConfigEntry, window: str) -> ir.IssueEntry | None:
    """Return the account's limit notice of a window, if shown."""
    return ir.async_get(hass).async_get_issue(DOMAIN, limit_issue_id(entry.entry_id, window))


async def try_send(hass: HomeAssistant, entry: MockConfigEntry, message: str) -> str | None:
    """Send to Alice; return the translation key of the error, or None when sent."""
    try:
        await send(hass, entry, ALICE, message=message)
    except HomeAssistantError as err:
        return err.translation_key
    return None


def local(text: str) -> datetime:
    """Return a local date and time of Home Assistant's time zone."""
    parsed = dt_util.parse_datetime(text)
    assert parsed is not None
    return parsed.replace(tzinfo=dt_util.get_default_time_zone())


async def test_a_runaway_loop_of_500_sends_stops_at_the_limit(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Done: the default 100 segments an hour; the rest refused before any request."""
    freezer.move_to(local("2026-12-03T10:00:00"))
    entry = await make_entry("infobip")
    events = async_capture_events(hass, EVENT_LIMIT_REACHED)

    errors = [await try_send(hass, entry, f"loop {index}") for index in range(500)]

    assert errors[:100] == [None] * 100
    assert set(errors[100:]) == {"spending_limit_hour"}
    await simulator.drain()
    assert len(sends(simulator)) == 100  # nothing of the refused ones reached the provider
    [event] = events  # once per window, not 400 times
    assert event.data == {
        "config_entry_id": entry.entry_id,
        "window": "hour",
        "limit": 100,
        "used": 100,
        "refused": 1,
    }
    notice = limit_issue(hass, entry, "hour")
    assert notice is not None
    assert notice.translation_placeholders == {"account": entry.title, "limit": "100"}
    assert usage(hass, "infobip")["messages_today"] == "100"

    # The window passes: the notice goes, sending works again.
    await advance(hass, freezer, HOUR + 1)
    assert limit_issue(hass, entry, "hour") is None
    assert await try_send(hass, entry, "after an hour") is None


async def test_the_daily_limit_and_its_notice_are_separate(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """5 an hour and 8 a day: hours 1 and 2 allow 5 and 3; the day's notice and event follow."""
    freezer.move_to(local("2026-12-03T08:00:00"))
    entry = await make_entry("sms365", options={"limit_hour": 5, "limit_day": 8})
    events = async_capture_events(hass, EVENT_LIMIT_REACHED)

    first = [await try_send(hass, entry, f"a{i}") for i in range(6)]
    await advance(hass, freezer, HOUR)
    second = [await try_send(hass, entry, f"b{i}") for i in range(6)]

    assert first == [None] * 5 + ["spending_limit_hour"]
    assert second == [None] * 3 + ["spending_limit_day"] * 3
    assert [e.data["window"] for e in events] == ["hour", "day"]
    assert limit_issue(hass, entry, "day") is not None
    assert limit_issue(hass, entry, "hour") is None  # an hour after the first notice

    await advance(hass, freezer, 23 * HOUR)
    assert limit_issue(hass, entry, "day") is not None  # a day after it appeared, not before
    await advance(hass, freezer, HOUR)
    assert limit_issue(hass, entry, "day") is None


async def test_segments_are_counted_not_messages(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A 3-segment text takes 3 of 5; a second one would pass the limit; 2 short ones fit."""
    entry = await make_entry("infobip", options={"limit_hour": 5})
    long_text = "x" * 400  # 3 GSM-7 segments

    assert await try_send(hass, entry, long_text) is None
    assert await try_send(hass, entry, long_text) == "spending_limit_hour"
    assert await try_send(hass, entry, "short") is None
    assert await try_send(hass, entry, "short") is None
    assert await try_send(hass, entry, "short") == "spending_limit_hour"
    assert usage(hass, "infobip")["sms_segments_today"] == "5"
    assert usage(hass, "infobip")["messages_today"] == "3"


async def test_a_send_to_many_is_refused_whole(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
) -> None:
    """Two recipients need 2 segments; with 1 left nobody gets it."""
    entry = await make_entry("infobip", options={"limit_hour": 1})
    with pytest.raises(HomeAssistantError) as caught:
        await send(hass, entry, ALICE, BOB)
    assert caught.value.translation_key == "spending_limit_hour"
    assert caught.value.translation_placeholders == {"account": entry.title, "limit": "1"}
    assert sends(simulator) == []


async def test_queued_retries_count_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A message that waits through 5 failed attempts takes 1 segment of the limit, once."""
    entry = await make_entry("infobip", options={"limit_day": 2})
    simulator.state.add_fault(
        kind="status", provider="infobip", path=INFOBIP_SEND, status=503, count=5
    )

    await send(hass, entry, ALICE, message="waits")  # queued: the provider is down
    for _ in range(60):
        await advance(hass, freezer, 60)
    await simulator.drain()

    assert len([m for m in simulator.state.messages.values() if m.text == "waits"]) == 1
    assert len([r for r in simulator.state.requests if r.path in SEND_PATHS]) == 6
    assert entry.runtime_data.usage.used("day") == 1
    assert await try_send(hass, entry, "one more fits") is None
    assert await try_send(hass, entry, "this one not") == "spending_limit_day"


async def test_limits_and_usage_survive_a_restart(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Reloading the account keeps what the limit counted, the counters and the notice."""
    freezer.move_to(local("2026-12-03T10:00:00"))
    entry = await make_entry("voip_communications", options={"limit_hour": 2})
    assert await try_send(hass, entry, "one") is None
    assert await try_send(hass, entry, "two") is None
    assert await try_send(hass, entry, "three") == "spending_limit_hour"

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.usage"]["data"]
    assert stored["today"]["messages"] == 2
    assert await try_send(hass, entry, "after the restart") == "spending_limit_hour"
    assert limit_issue(hass, entry, "hour") is not None
    counters = usage(hass, "voip_communications")
    assert counters["messages_today"] == "2"
    assert counters["messages_this_month"] == "2"
    assert float(counters["cost_this_month"]) == pytest.approx(0.02)  # voip's "sale": 0.01 each

    # The notice's hour passes while the account is loaded again.
    await advance(hass, freezer, HOUR)
    assert limit_issue(hass, entry, "hour") is None


async def test_counters_start_again_at_local_midnight_and_on_the_first(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Done: across a restart and a day boundary (and a month boundary), frozen clock."""
    freezer.move_to(local("2026-12-31T23:50:00"))
    entry = await make_entry("sms365")
    await send(hass, entry, ALICE, message="x" * 200)  # 2 segments
    await send(hass, entry, BOB, message="short")
    before = usage(hass, "sms365")
    assert before["messages_today"] == "2"
    assert before["sms_segments_today"] == "3"
    assert before["sms_segments_this_month"] == "3"
    assert float(before["cost_this_month"]) > 0  # sms365's cost, in credits
    assert (
        state_of(hass, "sensor.demo_sms365_cost_this_month").attributes["unit_of_measurement"]
        == "credits"
    )

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert usage(hass, "sms365") == before

    # Local midnight, and the first of the month: everything starts again.
    freezer.move_to(local("2027-01-01T00:00:01"))
    await advance(hass, freezer, 0)
    after = usage(hass, "sms365")
    assert after == {
        "messages_today": "0",
        "sms_segments_today": "0",
        "messages_this_month": "0",
        "sms_segments_this_month": "0",
        "cost_this_month": "0.0",
    }
    last_reset = state_of(hass, "sensor.demo_sms365_cost_this_month").attributes["last_reset"]
    assert last_reset == local("2027-01-01T00:00:00").isoformat()

    await send(hass, entry, ALICE, message="new year")
    assert usage(hass, "sms365")["messages_today"] == "1"


async def test_a_day_boundary_keeps_the_month(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """At midnight inside a month, today starts again and the month goes on."""
    freezer.move_to(local("2026-12-03T23:59:00"))
    entry = await make_entry("infobip")
    await send(hass, entry, ALICE, message="late")
    freezer.move_to(local("2026-12-04T00:00:00"))
    await advance(hass, freezer, 0)
    counters = usage(hass, "infobip")
    assert counters["messages_today"] == "0"
    assert counters["messages_this_month"] == "1"
    await send(hass, entry, ALICE, message="early")
    assert usage(hass, "infobip")["messages_this_month"] == "2"
    assert entry.runtime_data.usage.today.key == "2026-12-04"


@pytest.mark.parametrize(
    ("text", "channel", "recipients", "billed"),
    [
        ("hi", Channel.SMS, 1, 1),
        ("x" * 161, Channel.SMS, 2, 4),
        ("€" * 81, Channel.FLASH, 1, 2),
        ("x" * 1000, Channel.VIBER, 3, 3),
    ],
)
def test_what_a_send_is_billed(text: str, channel: Channel, recipients: int, billed: int) -> None:
    """Segments per recipient (a Viber message is one)."""
    assert segments_of(text, channel, recipients) == billed


@pytest.mark.parametrize("stored", [None, "junk", {"messages": "many"}, {"cost": None}])
def test_unreadable_stored_counters_start_afresh(stored: object) -> None:
    """A stored period that cannot be read is a new one, not a failed setup."""
    assert Period.from_stored(stored) == Period()


async def test_infobip_costs_come_with_the_delivery_reports_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The report's price is added (in the account's currency); a repeated report is not."""
    entry = await make_entry("infobip")
    cost = "sensor.demo_infobip_cost_this_month"
    assert state_of(hass, cost).attributes["unit_of_measurement"] == "EUR"
    await send(hass, entry, ALICE, BOB, message="priced")
    assert float(state_of(hass, cost).state) == 0  # Infobip's send answer has no price

    await advance(hass, freezer, 30)  # the reports are pulled

    [one, two] = [m.price for m in simulator.state.messages.values()]
    assert float(state_of(hass, cost).state) == pytest.approx(one + two)
    usage_of = entry.runtime_data.usage
    message_id = next(iter(usage_of._priced))
    usage_of.record_price(message_id, 5.0, "EUR")  # the same message's report again
    usage_of.record_price("new", None, None)  # a report without a price
    assert usage_of.month.cost == pytest.approx(one + two)


async def test_odd_stored_usage_is_read_carefully(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unreadable parts are skipped; a notice whose window passed while stopped is cleared."""
    freezer.move_to(local("2026-12-03T10:00:00"))
    entry = await make_entry("infobip", setup=False)
    now_minute = int(dt_util.utcnow().timestamp() // 60)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.usage"] = {
        "version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.usage",
        "data": {
            "today": "junk",
            "minutes": {"abc": 1, str(now_minute): "x", str(now_minute - 1): 3},
            "priced": ["m-1"],
            "notices": {"hour": dt_util.utcnow().timestamp() - 1, "year": 1, "day": "x"},
            "currency": 7,
        },
    }
    ir.async_create_issue(
        hass,
        DOMAIN,
        limit_issue_id(entry.entry_id, "hour"),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="spending_limit_hour",
        translation_placeholders={"account": entry.title, "limit": "100"},
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    counted = entry.runtime_data.usage
    assert counted.used("hour") == 3
    assert counted.currency is None
    assert limit_issue(hass, entry, "hour") is None
    assert counted.today.key == "2026-12-03"

    monkeypatch.setattr("custom_components.sms_gateway.usage.MAX_PRICED_IDS", 2)
    for message_id, price in (("m-1", 1.0), ("nan", float("nan")), ("neg", -1.0)):
        counted.record_price(message_id, price, "EUR")
    assert counted.month.cost == 0  # a counted id, not a number, a negative price
    for message_id in ("a", "b", "c"):
        counted.record_price(message_id, 0.5, "EUR")
    assert list(counted._priced) == ["b", "c"]
    assert counted.month.cost == pytest.approx(1.5)
    counted._at_midnight(dt_util.utcnow())  # not midnight yet: nothing starts again
    assert counted.month.cost == pytest.approx(1.5)
