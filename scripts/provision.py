"""Provision the scripts/develop demo through Home Assistant's real APIs.

Run by ``scripts/develop`` once Home Assistant and the provider simulator are
up; importable by end-to-end tests, which run them on other ports with a
temporary configuration directory::

    info = await ensure_demo("http://127.0.0.1:18123", "http://127.0.0.1:18089", tmp_config)

On the first start (onboarding not done) :func:`provision`

* completes onboarding with a demo user (REST ``/api/onboarding/*`` and
  ``/auth/token``, exactly as the frontend does) and creates a long-lived
  access token (websocket ``auth/long_lived_access_token``);
* creates two SMS Gateway config entries through the real config flow
  (``/api/config/config_entries/flow``): the simulator's Infobip-compatible
  demo account and its sms365 demo account;
* adds a recipient to the Infobip account (subentry flow
  ``/api/config/config_entries/subentries/flow``);
* creates an ``input_boolean`` (websocket), a scene that turns it on
  (``/api/config/scene/config/<id>``), saves the keyword -> scene blueprint
  (websocket ``blueprint/save``) and two automations
  (``/api/config/automation/config/<id>``): an example that turns every
  delivery report into a persistent notification, and the blueprint's;
* creates the "SMS Gateway" dashboard (websocket ``lovelace/dashboards/create``
  and ``lovelace/config/save``).

Progress is saved in ``<config>/.demo.json`` after every step, so an
interrupted first start resumes where it stopped. On every start
:func:`ensure_demo` also points the simulator's Infobip demo account at the
entry's webhook (the simulator keeps its state in memory only), so inbound SMS
are pushed to Home Assistant.

``python scripts/provision.py --hass-url ... --sim-url ... --config-dir ...``
does all that and prints the URL, the login and ready-to-paste curl commands.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
import json
from pathlib import Path
import secrets
import shlex
import sys
import time
from typing import Any

import aiohttp

DOMAIN = "sms_gateway"
STATE_FILE = ".demo.json"
BLUEPRINT_PATH = "sms_gateway/sms_keyword_scene.yaml"
BLUEPRINT_SOURCE = (
    Path(__file__).resolve().parent.parent / "blueprints" / "automation" / BLUEPRINT_PATH
)
BLUEPRINT_SOURCE_URL = (
    "https://github.com/sms-gateway/ha-sms-gateway/blob/main/blueprints/automation/"
    + BLUEPRINT_PATH
)

# Simulator demo accounts (simulator/demo.py).
INFOBIP_USERNAME = "demo"
INFOBIP_PASSWORD = "demo-password"  # a simulator demo credential
INFOBIP_SIM_ACCOUNT = "infobip-demo"
SMS365_API_KEY = "demo-sms365-key"

ONBOARDING_STEPS = ("user", "core_config", "analytics", "integration")
DEMO_USERNAME = "demo"
DEMO_NAME = "Demo"
RECIPIENT_NAME = "Alice"
RECIPIENT_NUMBER = "+306971234561"  # ends in 1: the simulator delivers it
KEYWORD = "HOME"
REPLY = "Welcome home! The scene is on."
INPUT_BOOLEAN_NAME = "At home"
SCENE_ID = "sms_gateway_demo_welcome_home"
SCENE_NAME = "Welcome home"
EXAMPLE_AUTOMATION_ID = "sms_gateway_demo_delivery_report"
BLUEPRINT_AUTOMATION_ID = "sms_gateway_demo_keyword_home"
DASHBOARD_URL_PATH = "sms-gateway"
DASHBOARD_TITLE = "SMS Gateway"

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=60)


class ProvisionError(Exception):
    """Provisioning cannot continue."""


class NeedsResetError(ProvisionError):
    """Home Assistant is onboarded but the demo's saved login is missing or refused."""


@dataclass
class DemoInfo:
    """What the demo consists of; saved as ``<config>/.demo.json``."""

    hass_url: str
    sim_url: str
    username: str = DEMO_USERNAME
    password: str = ""
    token: str = ""  # long-lived access token
    infobip_entry_id: str = ""
    sms365_entry_id: str = ""
    recipient_subentry_id: str = ""
    recipient_number: str = RECIPIENT_NUMBER
    input_boolean: str = ""
    scene: str = ""
    automations: list[str] = field(default_factory=list)
    dashboard: str = ""
    entities: dict[str, str] = field(default_factory=dict)
    webhook_url: str = ""  # not saved: read from Home Assistant on every start
    provisioned: bool = False

    @property
    def dashboard_url(self) -> str:
        """Return the dashboard's address."""
        return f"{self.hass_url}/{self.dashboard or DASHBOARD_URL_PATH}"

    def save(self, config_dir: Path) -> None:
        """Write the state file (readable by the owner only: it holds a token)."""
        path = config_dir / STATE_FILE
        data = asdict(self)
        data.pop("webhook_url")
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)

    @classmethod
    def load(cls, config_dir: Path, hass_url: str, sim_url: str) -> DemoInfo | None:
        """Read the state file; the URLs given win over the saved ones."""
        path = config_dir / STATE_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known.update(hass_url=hass_url, sim_url=sim_url)
        return cls(**known)


# -- Home Assistant clients ------------------------------------------------------


class HassRest:
    """A small client for Home Assistant's REST API."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str = "") -> None:
        """Remember the session, base URL and bearer token."""
        self.session = session
        self.url = url.rstrip("/")
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        form: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201),
    ) -> Any:
        """Send a request, return the decoded JSON answer (None when there is none)."""
        async with self.session.request(
            method,
            self.url + path,
            json=payload if form is None else None,
            data=form,
            headers=self._headers(),
            timeout=HTTP_TIMEOUT,
        ) as response:
            text = await response.text()
            if response.status not in ok:
                raise ProvisionError(f"{method} {path}: HTTP {response.status}: {text[:500]}")
            if not text.strip() or response.content_type != "application/json":
                return None
            return json.loads(text)

    async def get(self, path: str) -> Any:
        """GET a path."""
        return await self.request("GET", path)

    async def post(self, path: str, payload: Any = None) -> Any:
        """POST JSON to a path."""
        return await self.request("POST", path, payload if payload is not None else {})


class HassWebSocket:
    """A minimal client for Home Assistant's websocket API (commands only)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap an authenticated websocket."""
        self._ws = ws
        self._id = 0

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, url: str, token: str) -> HassWebSocket:
        """Connect and authenticate."""
        ws = await session.ws_connect(
            url.rstrip("/").replace("http", "ws", 1) + "/api/websocket",
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=10),
        )
        hello = await ws.receive_json()
        if hello.get("type") != "auth_required":
            raise ProvisionError(f"unexpected websocket greeting: {hello}")
        await ws.send_json({"type": "auth", "access_token": token})
        answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            await ws.close()
            raise ProvisionError(f"websocket authentication failed: {answer}")
        return cls(ws)

    async def call(self, type_: str, **fields: Any) -> Any:
        """Send a command and return its result."""
        self._id += 1
        await self._ws.send_json({"id": self._id, "type": type_, **fields})
        while True:
            msg = await self._ws.receive_json(timeout=60)
            if msg.get("id") == self._id and msg.get("type") == "result":
                break
        if not msg.get("success"):
            raise ProvisionError(f"websocket {type_}: {msg.get('error')}")
        return msg.get("result")

    async def close(self) -> None:
        """Close the websocket."""
        await self._ws.close()


# -- waiting ------------------------------------------------------------------------


async def wait_for(
    check: Callable[[], Any], what: str, seconds: float = 180, interval: float = 1
) -> Any:
    """Call ``check`` until it returns a truthy value (exceptions count as no)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if result := await check():
                return result
        except (aiohttp.ClientError, TimeoutError, ProvisionError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise ProvisionError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)


async def onboarding_status(session: aiohttp.ClientSession, hass_url: str) -> dict[str, bool]:
    """Return each onboarding step and whether it is done (no auth needed).

    Waits for the frontend first: it depends on onboarding, whose views answer
    404 both before it is set up and after onboarding is complete.
    """
    rest = HassRest(session, hass_url)
    await rest.request("GET", "/manifest.json")
    steps = await rest.request("GET", "/api/onboarding", ok=(200, 404))
    if steps is None or not isinstance(steps, list):  # 404: onboarding is complete
        return dict.fromkeys(ONBOARDING_STEPS, True)
    return {step["step"]: bool(step["done"]) for step in steps}


async def wait_until_running(rest: HassRest, seconds: float = 180) -> None:
    """Wait until Home Assistant finished starting (``/api/config`` state RUNNING)."""

    async def running() -> bool:
        config: dict[str, Any] = await rest.get("/api/config")
        return config.get("state") == "RUNNING"

    await wait_for(running, "Home Assistant to finish starting", seconds)


# -- onboarding ---------------------------------------------------------------------


async def _exchange_code(rest: HassRest, client_id: str, code: str) -> dict[str, Any]:
    tokens: dict[str, Any] = await rest.request(
        "POST",
        "/auth/token",
        form={"grant_type": "authorization_code", "code": code, "client_id": client_id},
    )
    return tokens


async def onboard(
    session: aiohttp.ClientSession, hass_url: str, username: str, password: str
) -> str:
    """Complete every onboarding step as the frontend does; return an access token."""
    rest = HassRest(session, hass_url)
    client_id = f"{rest.url}/"
    created = await rest.post(
        "/api/onboarding/users",
        {
            "client_id": client_id,
            "name": DEMO_NAME,
            "username": username,
            "password": password,
            "language": "en",
        },
    )
    tokens = await _exchange_code(rest, client_id, created["auth_code"])
    rest.token = tokens["access_token"]
    await rest.post("/api/onboarding/core_config")
    await rest.post("/api/onboarding/analytics")
    result = await rest.post(
        "/api/onboarding/integration",
        {"client_id": client_id, "redirect_uri": f"{rest.url}/?auth_callback=1"},
    )
    # The frontend logs in with this code; so do we, to prove the login works.
    await _exchange_code(rest, client_id, result["auth_code"])
    return str(tokens["access_token"])


async def confirm_http_config(ws: HassWebSocket) -> bool:
    """Confirm the HTTP server settings taken from configuration.yaml.

    Since Home Assistant 2026.8 the ``http:`` YAML (our port and 127.0.0.1) is
    imported once as a *pending* configuration that the admin confirms in a
    dialog; unconfirmed, it reverts to the defaults (port 8123, every
    interface) after 5 minutes. This is that dialog's "Confirm". Returns
    whether anything was waiting for confirmation.
    """
    config = await ws.call("http/config")
    if not config or config.get("pending") is None or config["pending"].get("error"):
        return False
    await ws.call("http/config/promote")
    return True


async def create_long_lived_token(ws: HassWebSocket) -> str:
    """Create a long-lived access token (10 years) for the demo."""
    token = await ws.call(
        "auth/long_lived_access_token", client_name="scripts/develop demo", lifespan=3650
    )
    return str(token)


# -- the integration ----------------------------------------------------------------


async def run_flow(rest: HassRest, base: str, init: dict[str, Any], steps: list[Any]) -> Any:
    """Start a data entry flow at ``base`` and answer its forms in order."""
    result = await rest.post(base, init)
    for user_input in steps:
        if result.get("type") != "form":
            break
        result = await rest.post(f"{base}/{result['flow_id']}", user_input)
        if result.get("type") == "form" and result.get("errors"):
            raise ProvisionError(f"{base} step {result.get('step_id')}: {result['errors']}")
    return result


async def add_account(rest: HassRest, provider: str, credentials: dict[str, Any]) -> str:
    """Create an SMS Gateway entry through the config flow; return its entry id."""
    result = await run_flow(
        rest,
        "/api/config/config_entries/flow",
        {"handler": DOMAIN, "show_advanced_options": False},
        [{"provider": provider}, credentials],
    )
    if result.get("type") != "create_entry":
        raise ProvisionError(f"config flow for {provider} ended with {result}")
    return str(result["result"]["entry_id"])


async def add_recipient(rest: HassRest, entry_id: str, name: str, number: str) -> None:
    """Add a recipient subentry (its id: :func:`subentry_id`)."""
    result = await run_flow(
        rest,
        "/api/config/config_entries/subentries/flow",
        {"handler": [entry_id, "recipient"]},
        [{"name": name, "number": number}],
    )
    if result.get("type") != "create_entry":
        raise ProvisionError(f"recipient flow ended with {result}")


async def subentry_id(ws: HassWebSocket, entry_id: str, number: str) -> str:
    """Return the id of the entry's recipient subentry with this number."""
    subentries = await ws.call("config_entries/subentries/list", entry_id=entry_id)
    for subentry in subentries:
        if subentry.get("unique_id") == number:
            return str(subentry["subentry_id"])
    raise ProvisionError(f"recipient {number} not found in {subentries}")


async def webhook_url(rest: HassRest, entry_id: str) -> str:
    """Return the entry's webhook URL, as its options form shows it; change nothing."""
    base = "/api/config/config_entries/options/flow"
    form = await rest.post(base, {"handler": entry_id})
    try:
        url = (form.get("description_placeholders") or {}).get("webhook_url")
    finally:
        if form.get("flow_id"):
            await rest.request("DELETE", f"{base}/{form['flow_id']}")
    if not url:
        raise ProvisionError(f"the options form of {entry_id} shows no webhook_url: {form}")
    return str(url)


async def wait_for_entities(ws: HassWebSocket, info: DemoInfo, seconds: float = 60) -> None:
    """Find the demo's entities in the entity registry (by translation key)."""
    wanted = {
        "infobip_balance": (info.infobip_entry_id, "sensor", "balance"),
        "infobip_last_delivery_status": (
            info.infobip_entry_id,
            "sensor",
            "last_delivery_status",
        ),
        "infobip_sms_received": (info.infobip_entry_id, "event", "sms_received"),
        "infobip_messages_today": (info.infobip_entry_id, "sensor", "messages_today"),
        "infobip_segments_today": (info.infobip_entry_id, "sensor", "segments_today"),
        "infobip_cost_this_month": (info.infobip_entry_id, "sensor", "cost_this_month"),
        "sms365_balance": (info.sms365_entry_id, "sensor", "balance"),
        "sms365_last_delivery_status": (info.sms365_entry_id, "sensor", "last_delivery_status"),
        "sms365_viber_balance": (info.sms365_entry_id, "sensor", "viber_balance"),
    }
    required = set(wanted) - {"sms365_viber_balance"}

    async def found() -> bool:
        entries = await ws.call("config/entity_registry/list")
        for key, (entry_id, domain, translation_key) in wanted.items():
            for entity in entries:
                if (
                    entity["config_entry_id"] == entry_id
                    and entity["entity_id"].startswith(f"{domain}.")
                    and entity.get("translation_key") == translation_key
                ):
                    info.entities[key] = entity["entity_id"]
                    break
        for entity in entries:
            if entity["entity_id"].startswith("notify.") and (
                entity.get("config_subentry_id") == info.recipient_subentry_id
            ):
                info.entities["infobip_notify"] = entity["entity_id"]
        return required <= set(info.entities)

    await wait_for(found, "the SMS Gateway entities", seconds)


# -- helpers, scene, automations, dashboard ------------------------------------------


async def create_input_boolean(ws: HassWebSocket, name: str) -> str:
    """Create an input_boolean (UI-managed); return its entity id."""
    for item in await ws.call("input_boolean/list"):
        if item.get("name") == name:
            return f"input_boolean.{item['id']}"
    item = await ws.call("input_boolean/create", name=name, icon="mdi:home-account")
    return f"input_boolean.{item['id']}"


async def create_scene(rest: HassRest, scene_id: str, name: str, entity_id: str) -> str:
    """Create a scene that turns ``entity_id`` on; return the scene's entity id."""
    await rest.post(
        f"/api/config/scene/config/{scene_id}",
        {"id": scene_id, "name": name, "icon": "mdi:home-heart", "entities": {entity_id: "on"}},
    )

    async def registered() -> str | None:
        for state in await rest.get("/api/states"):
            if (
                state["entity_id"].startswith("scene.")
                and state["attributes"].get("id") == scene_id
            ):
                return str(state["entity_id"])
        return None

    return str(await wait_for(registered, f"scene {name}", 30))


async def save_blueprint(ws: HassWebSocket, source: Path = BLUEPRINT_SOURCE) -> None:
    """Save the keyword -> scene blueprint into the configuration's blueprints."""
    await ws.call(
        "blueprint/save",
        domain="automation",
        path=BLUEPRINT_PATH,
        yaml=source.read_text(encoding="utf-8"),
        source_url=BLUEPRINT_SOURCE_URL,
        allow_override=True,
    )


async def create_automation(rest: HassRest, automation_id: str, config: dict[str, Any]) -> str:
    """Create (or replace) an automation; return its entity id once it is loaded."""
    await rest.post(
        f"/api/config/automation/config/{automation_id}", {"id": automation_id, **config}
    )

    async def loaded() -> str | None:
        for state in await rest.get("/api/states"):
            if (
                state["entity_id"].startswith("automation.")
                and state["attributes"].get("id") == automation_id
            ):
                return str(state["entity_id"])
        return None

    return str(await wait_for(loaded, f"automation {automation_id}", 30))


def example_automation() -> dict[str, Any]:
    """Return an automation turning every delivery report into a notification."""
    return {
        "alias": "SMS Gateway demo: delivery report notification",
        "description": "Shows every SMS delivery report as a notification.",
        "mode": "queued",
        "triggers": [{"trigger": "event", "event_type": "sms_gateway_delivery_report"}],
        "conditions": [],
        "actions": [
            {
                "action": "persistent_notification.create",
                "data": {
                    "notification_id": "sms_gateway_demo_{{ trigger.event.data.message_id }}",
                    "title": "SMS delivery report",
                    "message": (
                        "SMS to {{ trigger.event.data.to }}: {{ trigger.event.data.status }}"
                        "{% if trigger.event.data.error %}"
                        " ({{ trigger.event.data.error }}){% endif %}"
                    ),
                },
            }
        ],
    }


def blueprint_automation(entry_id: str, scene: str) -> dict[str, Any]:
    """Return the keyword -> scene blueprint automation for the Infobip account."""
    return {
        "alias": f"SMS Gateway demo: text {KEYWORD} to activate {SCENE_NAME}",
        "description": "A trusted sender texts HOME: the scene turns on and they get a reply.",
        "use_blueprint": {
            "path": BLUEPRINT_PATH,
            "input": {"account": entry_id, "keyword": KEYWORD, "scene": scene, "reply": REPLY},
        },
    }


def dashboard_config(info: DemoInfo) -> dict[str, Any]:
    """Return the dashboard: balances, last delivery statuses, inbound SMS, the scene."""
    ent = info.entities

    # Short tile names: the entities' own names start with the long account title.
    names = {
        "balance": "Balance",
        "viber_balance": "Viber balance",
        "last_delivery_status": "Last delivery status",
        "sms_received": "SMS received",
        "notify": "SMS to Alice",
        "messages_today": "Messages today",
        "segments_today": "SMS segments today",
        "cost_this_month": "Cost this month",
    }

    def tiles(*keys: str) -> list[dict[str, Any]]:
        return [
            {"type": "tile", "entity": ent[k], "name": names[k.split("_", 1)[1]]}
            for k in keys
            if k in ent
        ]

    infobip = [
        {"type": "heading", "heading": "Infobip-compatible (simulator)"},
        *tiles("infobip_balance", "infobip_last_delivery_status", "infobip_sms_received"),
        *tiles("infobip_messages_today", "infobip_segments_today", "infobip_cost_this_month"),
    ]
    if "infobip_notify" in ent:
        infobip.append({"type": "tile", "entity": ent["infobip_notify"], "name": names["notify"]})
    sms365 = [
        {"type": "heading", "heading": "sms365 (simulator)"},
        *tiles("sms365_balance", "sms365_viber_balance", "sms365_last_delivery_status"),
    ]
    home = [
        {"type": "heading", "heading": f"Text {KEYWORD} from {RECIPIENT_NAME}'s phone"},
        {"type": "tile", "entity": info.input_boolean},
        {"type": "tile", "entity": info.scene},
        *[{"type": "tile", "entity": a} for a in info.automations],
    ]
    return {
        "title": DASHBOARD_TITLE,
        "views": [
            {
                "title": DASHBOARD_TITLE,
                "path": "demo",
                "icon": "mdi:message-text",
                "type": "sections",
                "max_columns": 3,
                "sections": [
                    {"type": "grid", "cards": infobip},
                    {"type": "grid", "cards": sms365},
                    {"type": "grid", "cards": home},
                    {
                        "type": "grid",
                        "cards": [
                            {
                                "type": "logbook",
                                "title": "Inbound SMS",
                                "target": {"entity_id": [ent["infobip_sms_received"]]},
                                "hours_to_show": 24,
                                "grid_options": {"columns": "full"},
                            }
                        ],
                    },
                ],
            }
        ],
    }


async def create_dashboard(ws: HassWebSocket, info: DemoInfo) -> str:
    """Create (or update) the SMS Gateway dashboard; return its url_path."""
    existing = {d["url_path"] for d in await ws.call("lovelace/dashboards/list")}
    if DASHBOARD_URL_PATH not in existing:
        await ws.call(
            "lovelace/dashboards/create",
            url_path=DASHBOARD_URL_PATH,
            title=DASHBOARD_TITLE,
            icon="mdi:message-text",
            show_in_sidebar=True,
            require_admin=False,
        )
    await ws.call(
        "lovelace/config/save", url_path=DASHBOARD_URL_PATH, config=dashboard_config(info)
    )
    return DASHBOARD_URL_PATH


# -- simulator ------------------------------------------------------------------------


async def point_simulator_at(
    session: aiohttp.ClientSession, sim_url: str, forward_url: str
) -> None:
    """Forward the simulator Infobip demo account's inbound SMS to ``forward_url``."""
    async with session.patch(
        f"{sim_url.rstrip('/')}/_sim/accounts/{INFOBIP_SIM_ACCOUNT}",
        json={"forward_url": forward_url},
        timeout=HTTP_TIMEOUT,
    ) as response:
        if response.status != 200:
            raise ProvisionError(
                f"simulator PATCH {INFOBIP_SIM_ACCOUNT}: HTTP {response.status}: "
                f"{await response.text()}"
            )


async def wait_for_simulator(session: aiohttp.ClientSession, sim_url: str) -> None:
    """Wait until the simulator answers its health check."""

    async def healthy() -> bool:
        async with session.get(f"{sim_url.rstrip('/')}/_sim/health") as response:
            return response.status == 200

    await wait_for(healthy, f"the simulator at {sim_url}", 60)


# -- the whole demo -----------------------------------------------------------------


async def provision(
    hass_url: str,
    sim_url: str,
    config_dir: Path | str,
    *,
    password: str | None = None,
    session: aiohttp.ClientSession | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> DemoInfo:
    """Provision the demo (or finish an interrupted provisioning); return it.

    Every step is recorded in ``<config_dir>/.demo.json`` as it completes.
    Raises :class:`NeedsResetError` when Home Assistant was onboarded without it.
    """
    config_dir = Path(config_dir)
    if session is None:
        async with aiohttp.ClientSession() as own:
            return await provision(
                hass_url, sim_url, config_dir, password=password, session=own, log=log
            )
    hass_url, sim_url = hass_url.rstrip("/"), sim_url.rstrip("/")
    info = DemoInfo.load(config_dir, hass_url, sim_url)
    steps = await wait_for(
        lambda: onboarding_status(session, hass_url), f"Home Assistant at {hass_url}"
    )
    if info is None or not info.token:
        if steps.get("user"):
            raise NeedsResetError(
                f"Home Assistant at {hass_url} is already onboarded, but "
                f"{config_dir / STATE_FILE} holds no demo login"
            )
        info = DemoInfo(hass_url, sim_url, password=password or secrets.token_urlsafe(9))
        log(f"onboarding: user {info.username!r}")
        access = await onboard(session, hass_url, info.username, info.password)
        ws = await HassWebSocket.connect(session, hass_url, access)
        try:
            info.token = await create_long_lived_token(ws)
        finally:
            await ws.close()
        info.save(config_dir)
    elif not all(steps.values()):
        raise NeedsResetError(f"onboarding of Home Assistant at {hass_url} is incomplete")

    rest = HassRest(session, hass_url, info.token)
    await check_token(rest, config_dir)
    await wait_until_running(rest)
    ws = await HassWebSocket.connect(session, hass_url, info.token)
    try:
        if await confirm_http_config(ws):
            log("http: confirmed the server settings of configuration.yaml")
        if not info.infobip_entry_id:
            log("config flow: Infobip-compatible account (simulator)")
            info.infobip_entry_id = await add_account(
                rest,
                "infobip",
                {"url": sim_url, "username": INFOBIP_USERNAME, "password": INFOBIP_PASSWORD},
            )
            info.save(config_dir)
        if not info.sms365_entry_id:
            log("config flow: sms365 account (simulator)")
            info.sms365_entry_id = await add_account(
                rest, "sms365", {"api_key": SMS365_API_KEY, "url": f"{sim_url}/api"}
            )
            info.save(config_dir)
        if not info.recipient_subentry_id:
            log(f"subentry flow: recipient {RECIPIENT_NAME} {RECIPIENT_NUMBER}")
            await add_recipient(rest, info.infobip_entry_id, RECIPIENT_NAME, RECIPIENT_NUMBER)
            info.recipient_subentry_id = await subentry_id(
                ws, info.infobip_entry_id, RECIPIENT_NUMBER
            )
            info.save(config_dir)
        await wait_for_entities(ws, info)
        if not info.input_boolean:
            log(f"input_boolean: {INPUT_BOOLEAN_NAME}")
            info.input_boolean = await create_input_boolean(ws, INPUT_BOOLEAN_NAME)
            info.save(config_dir)
        if not info.scene:
            log(f"scene: {SCENE_NAME}")
            info.scene = await create_scene(rest, SCENE_ID, SCENE_NAME, info.input_boolean)
            info.save(config_dir)
        if len(info.automations) < 2:
            log("automations: delivery report notification, keyword -> scene blueprint")
            await save_blueprint(ws)
            info.automations = [
                await create_automation(rest, EXAMPLE_AUTOMATION_ID, example_automation()),
                await create_automation(
                    rest,
                    BLUEPRINT_AUTOMATION_ID,
                    blueprint_automation(info.infobip_entry_id, info.scene),
                ),
            ]
            info.save(config_dir)
        if not info.dashboard:
            log(f"dashboard: {DASHBOARD_TITLE}")
            info.dashboard = await create_dashboard(ws, info)
        info.provisioned = True
        info.save(config_dir)
    finally:
        await ws.close()
    return info


async def check_token(rest: HassRest, config_dir: Path) -> None:
    """Make sure Home Assistant accepts the saved token."""
    try:
        await wait_for(lambda: rest.get("/api/"), "the Home Assistant API", 60)
    except ProvisionError as err:
        raise NeedsResetError(
            f"Home Assistant refuses the token saved in {config_dir / STATE_FILE}"
        ) from err


async def ensure_demo(
    hass_url: str,
    sim_url: str,
    config_dir: Path | str,
    *,
    password: str | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> DemoInfo:
    """Provision on the first start; on every start connect the simulator to Home Assistant."""
    async with aiohttp.ClientSession() as session:
        await wait_for_simulator(session, sim_url)
        info = DemoInfo.load(Path(config_dir), hass_url.rstrip("/"), sim_url.rstrip("/"))
        if info is not None and info.provisioned:
            log("already provisioned: reusing " + str(Path(config_dir) / STATE_FILE))
            rest = HassRest(session, info.hass_url, info.token)
            await wait_for(
                lambda: onboarding_status(session, rest.url), f"Home Assistant at {rest.url}"
            )
            await check_token(rest, Path(config_dir))
            await wait_until_running(rest)
        else:
            info = await provision(
                hass_url, sim_url, config_dir, password=password, session=session, log=log
            )
        rest = HassRest(session, info.hass_url, info.token)
        info.webhook_url = await webhook_url(rest, info.infobip_entry_id)
        log(f"simulator: Infobip demo account forwards inbound SMS to {info.webhook_url}")
        await point_simulator_at(session, info.sim_url, info.webhook_url)
        return info


# -- output ------------------------------------------------------------------------


def curl_commands(info: DemoInfo) -> dict[str, str]:
    """Return ready-to-paste curl commands, by purpose."""
    send = {
        "config_entry_id": info.infobip_entry_id,
        "target": [info.recipient_number],
        "message": "Hello from Home Assistant!",
    }
    inbound = {
        "provider": "infobip",
        "from": info.recipient_number.lstrip("+"),
        "text": f"{KEYWORD} now",
    }
    return {
        "send": (
            f"curl -sS -X POST '{info.hass_url}/api/services/{DOMAIN}/send_message?return_response'"
            f" -H 'Authorization: Bearer {info.token}'"
            " -H 'Content-Type: application/json'"
            f" -d {shlex.quote(json.dumps(send))}"
        ),
        "inbound": (
            f"curl -sS -X POST '{info.sim_url}/_sim/inbound'"
            " -H 'Content-Type: application/json'"
            f" -d {shlex.quote(json.dumps(inbound))}"
        ),
        "received": f"curl -sS '{info.sim_url}/_sim/messages'",
        "state": (
            f"curl -sS '{info.hass_url}/api/states/{info.input_boolean}'"
            f" -H 'Authorization: Bearer {info.token}'"
        ),
    }


def ready_text(info: DemoInfo) -> str:
    """Return what scripts/develop prints once the demo is ready."""
    curls = curl_commands(info)
    ent = info.entities
    return f"""
Ready.
  Home Assistant:  {info.hass_url}
    login:         {info.username} / {info.password}
    dashboard:     {info.dashboard_url}
  Simulator:       {info.sim_url}   (control API under /_sim/)
  Accounts:        Infobip-compatible demo ({info.infobip_entry_id}),
                   sms365 demo ({info.sms365_entry_id}); recipient {RECIPIENT_NAME} {info.recipient_number}
  Entities:        {ent.get("infobip_balance")}, {ent.get("infobip_last_delivery_status")},
                   {ent.get("infobip_sms_received")}, {ent.get("sms365_balance")},
                   {info.input_boolean}, {info.scene}
  Saved login and long-lived token: {STATE_FILE} in the configuration directory

(a) Send an SMS through Home Assistant (action sms_gateway.send_message):
{curls["send"]}

(b) {RECIPIENT_NAME} texts "{KEYWORD} now" (simulator control API): the blueprint automation
    turns on {info.scene} ({info.input_boolean} -> on) and replies by SMS:
{curls["inbound"]}

(c) What the "provider" received (your SMS and the reply):
{curls["received"]}

    and {info.input_boolean} in Home Assistant:
{curls["state"]}
"""


def main(argv: list[str] | None = None) -> int:
    """Provision (first start) or reconnect (later starts) and print how to use the demo."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hass-url", default="http://127.0.0.1:8123")
    parser.add_argument("--sim-url", default="http://127.0.0.1:8089")
    parser.add_argument("--config-dir", type=Path, default=Path("config"))
    parser.add_argument("--password", help="demo user's password (default: random)")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(f"==> {line}", flush=True)

    try:
        info = asyncio.run(
            ensure_demo(
                args.hass_url, args.sim_url, args.config_dir, password=args.password, log=log
            )
        )
    except NeedsResetError as err:
        print(
            f"error: {err}.\n"
            f"  To start the demo afresh, delete everything in {args.config_dir}/ except "
            "configuration.yaml, e.g.\n"
            f"    find {shlex.quote(str(args.config_dir))} -mindepth 1 -maxdepth 1 "
            "! -name configuration.yaml -exec rm -rf {} +",
            file=sys.stderr,
        )
        return 2
    except ProvisionError as err:
        print(f"error: provisioning failed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the next start continues where this one stopped", file=sys.stderr)
        return 130
    print(ready_text(info), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
