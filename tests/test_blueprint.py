"""The blueprint "SMS keyword activates a scene", loaded and run by inbound SMS."""

from pathlib import Path
import shutil
from unittest.mock import patch

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateway.providers import InboundMessage
from tests.conftest import ALICE, MakeEntry, RunningSimulator
from tests.wire import SIM_PROVIDER, STRANGER, VOIP_NUMBER, inject, poll, state_of, webhook_url

BLUEPRINT = (
    Path(__file__).parent.parent
    / "blueprints"
    / "automation"
    / "sms_gateway"
    / "sms_keyword_scene.yaml"
)
SWITCH = "input_boolean.home_mode"
REPLY = "Welcome home"


async def setup_blueprint(hass: HomeAssistant, tmp_path: Path, entry: MockConfigEntry) -> None:
    """Install the blueprint, a scene that turns a switch on, and an automation using both."""
    hass.config.config_dir = str(tmp_path)
    folder = Path(hass.config.path("blueprints/automation/sms_gateway"))
    folder.mkdir(parents=True)
    shutil.copy(BLUEPRINT, folder / BLUEPRINT.name)
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"home_mode": {"name": "Home mode"}}}
    )
    assert await async_setup_component(
        hass, "scene", {"scene": [{"name": "Home", "entities": {SWITCH: "on"}}]}
    )
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "id": "sms_home",
                "alias": "SMS home",
                "use_blueprint": {
                    "path": "sms_gateway/sms_keyword_scene.yaml",
                    "input": {
                        "account": entry.entry_id,
                        "keyword": "HOME",
                        "scene": "scene.home",
                        "reply": REPLY,
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    state = state_of(hass, "automation.sms_home")
    assert state.state == "on"
    assert hass.states.get(SWITCH).state == "off"  # type: ignore[union-attr]


def replies(simulator: RunningSimulator) -> list[tuple[str, str]]:
    """Return (recipient, text) of every SMS the simulator accepted."""
    return [(m.to, m.text) for m in simulator.state.messages.values()]


async def switch_off(hass: HomeAssistant) -> None:
    """Turn the scene's switch off again."""
    await hass.services.async_call(
        "input_boolean", "turn_off", {"entity_id": SWITCH}, blocking=True
    )


@pytest.mark.parametrize(
    ("provider", "deliver"),
    [("infobip", "push"), ("infobip", "pull"), ("voip_communications", "push")],
)
async def test_keyword_from_trusted_sender_runs_the_scene(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    provider: str,
    deliver: str,
) -> None:
    """Done: the keyword from a trusted sender runs the scene and replies; others do not."""
    entry = await make_entry(provider)
    await setup_blueprint(hass, tmp_path, entry)
    client = await hass_client_no_auth()
    if provider == "infobip":
        if deliver == "push":
            simulator.state.accounts["infobip-demo"].forward_url = webhook_url(client, provider)
    else:
        simulator.state.accounts["voip-demo"].numbers[VOIP_NUMBER] = webhook_url(client, provider)

    async def text(message_id: str, sender: str, body: str) -> None:
        sent = await inject(
            http,
            simulator,
            provider=SIM_PROVIDER[provider],
            message_id=message_id,
            text=body,
            deliver=deliver,
            **{"from": sender.removeprefix("+")},
        )
        assert sent["delivered_by"] == [deliver]
        if deliver == "pull":
            await poll(hass, freezer)
        await hass.async_block_till_done()
        await simulator.drain()
        await hass.async_block_till_done()

    # An untrusted sender: nothing runs.
    await text("m-1", STRANGER, "HOME now")
    assert hass.states.get(SWITCH).state == "off"  # type: ignore[union-attr]
    assert replies(simulator) == []

    # Another keyword from a trusted sender: nothing runs.
    await text("m-2", ALICE, "AWAY now")
    assert hass.states.get(SWITCH).state == "off"  # type: ignore[union-attr]

    # The keyword, in any case, from a trusted sender: the scene, and the reply.
    await text("m-3", ALICE, "home now")
    assert hass.states.get(SWITCH).state == "on"  # type: ignore[union-attr]
    assert replies(simulator) == [(ALICE.removeprefix("+"), REPLY)]

    # The same message again (a retry) does not run it twice.
    await switch_off(hass)
    await text("m-3", ALICE, "home now")
    assert hass.states.get(SWITCH).state == "off"  # type: ignore[union-attr]
    assert len(replies(simulator)) == 1


async def test_accept_any_sender_does_not_open_the_blueprint(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    tmp_path: Path,
) -> None:
    """The blueprint asks for trusted senders, whatever the device-trigger option says."""
    entry = await make_entry("infobip", options={"accept_any_sender": True})
    await setup_blueprint(hass, tmp_path, entry)
    await entry.runtime_data.inbound.async_dispatch(
        [InboundMessage("x", STRANGER.removeprefix("+"), "HOME")]
    )
    await hass.async_block_till_done()
    assert hass.states.get(SWITCH).state == "off"  # type: ignore[union-attr]


async def test_no_reply_when_reply_is_empty(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    tmp_path: Path,
) -> None:
    entry = await make_entry("infobip")
    await setup_blueprint(hass, tmp_path, entry)
    # Re-create the automation without a reply.
    config = {
        automation.DOMAIN: {
            "id": "sms_home",
            "alias": "SMS home",
            "use_blueprint": {
                "path": "sms_gateway/sms_keyword_scene.yaml",
                "input": {"account": entry.entry_id, "keyword": "home", "scene": "scene.home"},
            },
        }
    }
    Path(hass.config.path("automations.yaml")).write_text("[]")
    with patch("homeassistant.config.load_yaml_config_file", return_value=config, autospec=True):
        await hass.services.async_call(automation.DOMAIN, "reload", blocking=True)
    await hass.async_block_till_done()
    await entry.runtime_data.inbound.async_dispatch(
        [InboundMessage("y", ALICE.removeprefix("+"), "Home")]
    )
    await hass.async_block_till_done()
    assert hass.states.get(SWITCH).state == "on"  # type: ignore[union-attr]
    assert replies(simulator) == []
