"""Shared fixtures: Home Assistant test harness and the provider simulator."""

# Import our integration before pytest-homeassistant-custom-component's own
# testing_config/custom_components package can shadow the namespace.
import custom_components.sms_gateway  # noqa: F401  # isort: skip

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
import logging
from pathlib import Path
from unittest.mock import patch

from aiohttp import ClientSession, web
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

from simulator import SimulatorState, create_app
from simulator.core import PUSHER_KEY
from simulator.demo import add_demo_accounts


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> Iterator[None]:
    """Let Home Assistant load custom_components/sms_gateway in every test."""
    return


@pytest.fixture(autouse=True)
def inbound_writes_without_waiting(request: pytest.FixtureRequest) -> Iterator[None]:
    """Under a frozen clock, write received ids at once.

    The inbound dispatcher (inbound_seen) spaces its store writes by WRITE_INTERVAL of loop
    time, which a frozen clock never lets pass: a test that froze time would
    wait for ever. Tests on the real clock keep the interval (tests/test_inbound_faults.py
    checks the rate).
    """
    if "freezer" not in request.fixturenames:
        yield
        return
    with patch("custom_components.sms_gateway.inbound_seen.WRITE_INTERVAL", 0.0):
        yield


class DeprecationReports(logging.Handler):
    """Collects what Home Assistant reports about our integration's use of its APIs.

    Home Assistant's frame helper logs "Detected that custom integration
    'sms_gateway' ..." (deprecated API, wrong thread, moved devices ...) instead
    of raising for custom integrations; helpers.deprecation logs similar lines.
    """

    def __init__(self) -> None:
        """Collect WARNING and above."""
        super().__init__(logging.WARNING)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep a record that names our integration and reports a misuse."""
        message = record.getMessage()
        if "sms_gateway" in message and (
            "Detected that custom integration" in message
            or "Detected code that" in message
            or "deprecated" in message.casefold()
        ):
            self.reports.append(message)


@pytest.fixture(autouse=True)
def fail_on_deprecation_reports() -> Iterator[DeprecationReports]:
    """Fail any test during which Home Assistant reported a misuse by sms_gateway."""
    handler = DeprecationReports()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
    assert not handler.reports, "Home Assistant reported sms_gateway:\n" + "\n".join(
        handler.reports
    )


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve an app on a free port of 127.0.0.1 while the block runs; give its base URL."""
    # No access log: aiohttp's access logger reads time.localtime().tm_gmtoff,
    # which freezegun's clock (the tests' freezer) leaves None.
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@dataclass
class RunningSimulator:
    """A simulator serving on 127.0.0.1 for the length of one test."""

    state: SimulatorState
    app: web.Application
    url: str  # e.g. http://127.0.0.1:41234

    async def drain(self) -> None:
        """Wait until every push the simulator started has finished."""
        await self.app[PUSHER_KEY].drain()


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[RunningSimulator]:
    """Start the provider simulator, with the demo accounts, on a random port.

    pytest-socket blocks creating sockets; ``socket_enabled`` lifts that, and
    Home Assistant's test plugin still allows connections to 127.0.0.1 only.
    """
    state = SimulatorState()
    add_demo_accounts(state)
    app = create_app(state)
    async with serve(app) as url:
        yield RunningSimulator(state=state, app=app, url=url)


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[ClientSession]:
    """A plain aiohttp client session for talking to the simulator."""
    async with ClientSession() as session:
        yield session


@dataclass
class CapturedRequest:
    """A request the receiver got."""

    method: str
    path_qs: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    """A client-side HTTP endpoint that records what the simulator pushes to it."""

    url: str
    requests: list[CapturedRequest]


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[Receiver]:
    """Serve any path on 127.0.0.1, answer 200 and record each request."""
    captured: list[CapturedRequest] = []

    async def record(request: web.Request) -> web.Response:
        captured.append(
            CapturedRequest(
                method=request.method,
                path_qs=request.path_qs,
                headers=dict(request.headers),
                body=(await request.read()).decode(),
            )
        )
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    async with serve(app) as url:
        yield Receiver(url=url, requests=captured)


# -- integration fixtures -------------------------------------------------------

PROVIDERS = ("infobip", "sms365", "voip_communications")
# What the ``make_entry`` fixture returns: ``await make_entry(provider, **options)``.
type MakeEntry = Callable[..., Awaitable[MockConfigEntry]]
ALICE = "+306971234561"
BOB = "+306971234562"


def provider_data(provider: str, url: str) -> dict[str, str]:
    """Return config entry data for a simulator-backed demo account."""
    from simulator import demo

    if provider == "infobip":
        return {
            "provider": provider,
            "url": url,
            "username": demo.INFOBIP_USERNAME,
            "password": demo.INFOBIP_PASSWORD,
        }
    if provider == "sms365":
        return {"provider": provider, "url": f"{url}/api", "api_key": demo.SMS365_API_KEY}
    return {
        "provider": provider,
        "url": f"{url}/api-v2/index.php",
        "api_key": demo.VOIP_API_KEY,
        "api_password": demo.VOIP_API_PASSWORD,
    }


def recipient_subentry(name: str, number: str, subentry_id: str | None = None) -> dict[str, object]:
    """Return subentry data of a saved recipient (a random subentry id unless given)."""
    data: dict[str, object] = {
        "data": {"name": name, "number": number},
        "subentry_type": "recipient",
        "title": name,
        "unique_id": number,
    }
    if subentry_id is not None:
        data["subentry_id"] = subentry_id
    return data


@pytest.fixture
def make_entry(hass: HomeAssistant, simulator: RunningSimulator) -> MakeEntry:
    """Return a coroutine that adds and sets up a simulator-backed account.

    ``entry_id`` fixes the entry id, and then the recipients' subentry ids too
    (``<entry_id>-<name>``), for snapshots; otherwise both are random.
    """

    async def _make(
        provider: str,
        *,
        options: dict[str, object] | None = None,
        recipients: tuple[tuple[str, str], ...] = (("Alice", ALICE), ("Bob", BOB)),
        setup: bool = True,
        title: str | None = None,
        entry_id: str | None = None,
    ) -> MockConfigEntry:
        entry = MockConfigEntry(
            domain="sms_gateway",
            entry_id=entry_id,
            title=title or f"Demo {provider}",
            data={**provider_data(provider, simulator.url), "webhook_id": f"hook-{provider}"},
            options={"default_country": "GR", **(options or {})},
            unique_id=f"{provider}:demo",
            subentries_data=[
                recipient_subentry(n, num, entry_id and f"{entry_id}-{n.casefold()}")
                for n, num in recipients
            ],
        )
        entry.add_to_hass(hass)
        if setup:
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
        return entry

    return _make


# -- snapshots ------------------------------------------------------------------------------


class SnapshotExtension(HomeAssistantSnapshotExtension):
    """Keep the snapshots in tests/snapshots."""

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        return str(Path(test_location.filepath).parent / "snapshots")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Return the snapshot assertion, stored under tests/snapshots."""
    return snapshot.use_extension(SnapshotExtension)


# ``await snapshot_entities(provider, Platform.NOTIFY)``
type SnapshotEntities = Callable[[str, Platform], Awaitable[None]]


@pytest.fixture
def snapshot_entities(
    hass: HomeAssistant,
    make_entry: MakeEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> SnapshotEntities:
    """Return a coroutine that sets up an account with one platform and snapshots its entities.

    phcc's ``snapshot_platform``: each entity's registry entry and state. The
    entry and subentry ids are fixed, so the unique ids in the snapshot are too.
    """

    async def _snapshot(provider: str, platform: Platform) -> None:
        with patch("custom_components.sms_gateway.PLATFORMS", [platform]):
            entry = await make_entry(provider, entry_id=f"entry-{provider}")
            await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
            assert await hass.config_entries.async_unload(entry.entry_id)

    return _snapshot
