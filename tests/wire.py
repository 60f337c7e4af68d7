"""What crosses the wire, written and read the same way by every test.

Sending: the action, and what the simulator received. Receiving: a handset
texting the simulator, a provider's push to the webhook, the dispatcher, and an
automation on the "SMS received" device trigger.
"""

from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import Event, HomeAssistant, ServiceCall, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateway.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from custom_components.sms_gateway.providers import InboundMessage
from simulator.state import Message, RecordedRequest
from tests.conftest import ALICE, RunningSimulator
from tests.outage import advance

INFOBIP_SEND = "/restapi/sms/1/text/advanced"
SMS365_SEND = "/api/sms/send"
SMS365_BULK = "/api/sms/bulk"
SMS365_VIBER_SEND = "/api/viber/send"
SMS365_VIBER_BULK = "/api/viber/bulk"
VOIP_SEND = "/api-v2/index.php/sms/send"
SEND_PATHS = {
    INFOBIP_SEND,
    SMS365_SEND,
    SMS365_BULK,
    SMS365_VIBER_SEND,
    SMS365_VIBER_BULK,
    VOIP_SEND,
}
# The simulator's name of each provider (fault rules, request log), and its demo account.
# Options of an account without spending limits (tests that send hundreds).
NO_LIMITS = {"limit_hour": 0, "limit_day": 0}
SIM_PROVIDER = {"infobip": "infobip", "sms365": "sms365", "voip_communications": "voip"}
SIM_ACCOUNT = {
    "infobip": "infobip-demo",
    "sms365": "sms365-demo",
    "voip_communications": "voip-demo",
}


def sends(simulator: RunningSimulator) -> list[RecordedRequest]:
    """Return the send requests the simulator got (not credential checks or polls)."""
    return [
        r
        for r in simulator.state.requests
        if r.path in SEND_PATHS and r.method == "POST" and (r.json or r.form)
    ]


def form(request: RecordedRequest) -> dict[str, str]:
    """Return a form request's fields, one value each."""
    assert request.form is not None
    return {key: values[-1] for key, values in request.form.items()}


def sent_text(request: RecordedRequest) -> str:
    """Return the text a send request carried, whatever the provider."""
    if request.json is not None:
        return str(request.json["messages"][0]["text"])
    fields = form(request)
    return fields.get("msg") or fields["text"]


def sent_numbers(request: RecordedRequest) -> list[str]:
    """Return the destination digits of a send request."""
    if request.json is not None:
        return [d["to"] for d in request.json["messages"][0]["destinations"]]
    return form(request)["to"].split(",")


def sent_sender(request: RecordedRequest) -> str | None:
    """Return the sender of a send request."""
    if request.json is not None:
        return request.json["messages"][0].get("from")
    return form(request).get("from")


def delivered(simulator: RunningSimulator, provider: str) -> list[Message]:
    """Return the messages the simulator took for the provider's demo account."""
    return simulator.state.messages_for(simulator.state.accounts[SIM_ACCOUNT[provider]])


def asked_for_flash(request: RecordedRequest, provider: str) -> bool:
    """Tell whether a send request asked for a flash SMS, as the provider writes it."""
    if provider == "infobip":
        return request.json["messages"][0]["flash"] is True
    return form(request)["flash"] == "true"


# A delivered Infobip report's status and error, as the documentation writes them.
INFOBIP_DELIVERED_STATUS: dict[str, Any] = {
    "groupId": 3,
    "groupName": "DELIVERED",
    "id": 5,
    "name": "DELIVERED_TO_HANDSET",
    "description": "Message delivered to handset",
}
INFOBIP_NO_ERROR: dict[str, Any] = {
    "groupId": 0,
    "groupName": "OK",
    "id": 0,
    "name": "NO_ERROR",
    "description": "No Error",
    "permanent": False,
}


def entities_of(
    hass: HomeAssistant, entry: MockConfigEntry, domain: str | None = None
) -> list[er.RegistryEntry]:
    """Return an account's entity registry entries (of one domain, if told)."""
    return [
        e
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if domain is None or e.domain == domain
    ]


def refuse_credentials(simulator: RunningSimulator, provider: str) -> None:
    """Change the demo account's secret at the simulator: the saved credentials are refused."""
    account = simulator.state.accounts[SIM_ACCOUNT[provider]]
    if provider == "infobip":
        account.password = "other"
    elif provider == "sms365":
        account.api_key = "other"
    else:
        account.api_password = "other"


# -- sending ------------------------------------------------------------------------------


async def send(
    hass: HomeAssistant, entry: MockConfigEntry, *targets: str, message: str = "Hello", **extra: Any
) -> None:
    """Send a text (to Alice unless told) through the action, which raises on any failure."""
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {
            "config_entry_id": entry.entry_id,
            "target": list(targets or (ALICE,)),
            "message": message,
            **extra,
        },
        blocking=True,
    )
    await hass.async_block_till_done()


async def send_results(
    hass: HomeAssistant, entry: MockConfigEntry, *targets: str, message: str = "Hello"
) -> list[Any]:
    """Send a text through the action asking for its response; return the per-recipient results."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry.entry_id, "target": list(targets), "message": message},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    assert response is not None
    results: list[Any] = response["results"]  # type: ignore[assignment]
    return results


def reauth_flows(hass: HomeAssistant) -> list[str]:
    """Return the entry ids of the integration's reauthentication flows in progress."""
    return [
        flow["context"]["entry_id"]
        for flow in hass.config_entries.flow.async_progress()
        if flow["handler"] == DOMAIN and flow["context"]["source"] == SOURCE_REAUTH
    ]


def legacy_services(hass: HomeAssistant, provider: str) -> set[str]:
    """Return the suffixes of an account's legacy notify services ("", "_flash", ...)."""
    prefix = f"demo_{provider}"
    return {
        name[len(prefix) :]
        for name in hass.services.async_services_for_domain("notify")
        if name.startswith(prefix)
    }


# -- receiving ----------------------------------------------------------------------------

STRANGER = "+306971234569"  # not a saved recipient
VOIP_NUMBER = "17134567890"  # the demo voip account's number


def event_entity(provider: str) -> str:
    """Return the entity id of an account's "SMS received" event entity."""
    return f"event.demo_{provider}_sms_received"


def state_of(hass: HomeAssistant, entity_id: str) -> State:
    """Return an entity's state, which must exist."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def webhook_url(client: TestClient, provider: str) -> str:
    """Return the real URL of an account's webhook on the test HTTP server."""
    return str(client.make_url(f"/api/webhook/hook-{provider}"))


def infobip_inbound(
    message_id: str = "mo-1",
    sender: str = "306971234561",
    text: str = "HOME now",
    **extra: Any,
) -> dict[str, Any]:
    """Return one received message as Infobip pushes or serves it."""
    return {
        "messageId": message_id,
        "from": sender,
        "to": "41793026727",
        "text": text,
        "cleanText": extra.pop("cleanText", ""),
        "keyword": extra.pop("keyword", ""),
        "receivedAt": "2025-05-01T10:20:30.000+0000",
        "smsCount": 1,
        **extra,
    }


async def post_infobip(
    client: TestClient, *results: dict[str, Any], hook: str = "hook-infobip"
) -> int:
    """POST an Infobip forward to the webhook and return the status."""
    response = await client.post(f"/api/webhook/{hook}", json={"results": list(results)})
    return response.status


async def listen(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> tuple[list[Event], TestClient]:
    """Capture the "SMS received" events and open a client for the webhooks."""
    return async_capture_events(hass, EVENT_MESSAGE_RECEIVED), await hass_client_no_auth()


async def inject(http: ClientSession, simulator: RunningSimulator, **data: Any) -> dict[str, Any]:
    """Let a handset text the simulator (``/_sim/inbound``)."""
    data.setdefault("provider", "infobip")
    data.setdefault("from", ALICE.removeprefix("+"))
    data.setdefault("text", "HOME now")
    async with http.post(f"{simulator.url}/_sim/inbound", json=data) as response:
        assert response.status == 201, await response.text()
        answer: dict[str, Any] = await response.json()
    await simulator.drain()
    return answer


async def poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = 61) -> None:
    """Move time on so that the pull timer runs, and wait for it."""
    await advance(hass, freezer, seconds)


def sms(message_id: str, sender: str = ALICE, text: str = "HOME now", **kw: Any) -> InboundMessage:
    """Return a received message."""
    return InboundMessage(message_id, sender.removeprefix("+"), text, **kw)


async def receive(hass: HomeAssistant, entry: MockConfigEntry, *messages: InboundMessage) -> None:
    """Hand messages to the account's dispatcher, as the webhook and the pull do."""
    await entry.runtime_data.inbound.async_dispatch(list(messages))
    await hass.async_block_till_done()


def device_of(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Return the device of an account."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert device is not None
    return device


async def add_automation(hass: HomeAssistant, device_id: str, **filters: str) -> list[ServiceCall]:
    """Add an automation on the device trigger, with filters; return its recorded runs."""
    calls = async_mock_service(hass, "test", "automation")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "triggers": [
                        {
                            "trigger": "device",
                            "domain": DOMAIN,
                            "device_id": device_id,
                            "type": "sms_received",
                            **filters,
                        }
                    ],
                    "actions": [
                        {
                            "action": "test.automation",
                            # A dict renders as a dict: its strings stay strings.
                            "data": {"trigger": "{{ trigger }}"},
                        }
                    ],
                }
            ]
        },
    )
    await hass.async_block_till_done()
    return calls
