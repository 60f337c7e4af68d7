"""No credential ever reaches the log, whatever happens."""

import contextlib
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest

from simulator import demo
from tests.conftest import PROVIDERS, MakeEntry, RunningSimulator
from tests.outage import advance
from tests.wire import SIM_ACCOUNT, SIM_PROVIDER, send

CREDENTIALS = (
    demo.INFOBIP_PASSWORD,
    demo.SMS365_API_KEY,
    demo.VOIP_API_KEY,
    demo.VOIP_API_PASSWORD,
)
# The simulator's own server-side loggers: what a provider would log, not us.
FOREIGN = ("aiohttp.access", "simulator")


def leaked(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the formatted log records that contain a credential."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    found = []
    for record in caplog.records:
        if record.name.startswith(FOREIGN):
            continue
        text = formatter.format(record)
        if record.exc_info and not record.exc_text:
            text += formatter.formatException(record.exc_info)
        text += repr(record.args)
        if any(secret in text for secret in CREDENTIALS):
            found.append(text)
    return found


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_no_credentials_in_logs(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    provider: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="custom_components.sms_gateway")
    entry = await make_entry(provider)
    await send(hass, entry)
    await send(hass, entry, "+306971234560")
    await advance(hass, freezer, 30)  # report poll
    await advance(hass, freezer, 15 * 60)  # balance poll

    # Provider trouble: 5xx, garbage, dropped connections.
    # A 5xx or a dropped connection queues the message (Infobip) or marks it
    # unknown (others); an HTML page is an error. Each path logs something.
    for fault in ({"kind": "status", "status": 500}, {"kind": "html"}, {"kind": "drop"}):
        simulator.state.add_fault(provider=SIM_PROVIDER[provider], count=2, **fault)
        with contextlib.suppress(HomeAssistantError):
            await send(hass, entry)
        simulator.state.faults.clear()

    # 401 on a send, then on the balance poll, then at setup.
    simulator.state.add_fault(kind="status", provider=SIM_PROVIDER[provider], status=401)
    with pytest.raises(HomeAssistantError):
        await send(hass, entry)
    account = simulator.state.accounts[SIM_ACCOUNT[provider]]
    account.password = account.api_key = account.api_password = "changed"
    await advance(hass, freezer, 15 * 60)
    assert await hass.config_entries.async_reload(entry.entry_id) is False
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert any(r.name.startswith("custom_components.sms_gateway") for r in caplog.records)

    assert leaked(caplog) == []


async def test_leak_detector_works(caplog: pytest.LogCaptureFixture) -> None:
    """The check above would see a credential logged as an argument."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("custom_components.sms_gateway").debug("key %s", demo.SMS365_API_KEY)
    assert len(leaked(caplog)) == 1
