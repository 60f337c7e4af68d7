"""The sms365.gr client pointed at the simulator: shared by the sms365 provider tests."""

from aiohttp import ClientSession

from custom_components.sms_gateway.providers import Sms365Client
from simulator.demo import SMS365_API_KEY
from tests.conftest import RunningSimulator

DEMO = "sms365-demo"


def client_for(
    sim: RunningSimulator, http: ClientSession, key: str = SMS365_API_KEY, timeout: float = 5.0
) -> Sms365Client:
    return Sms365Client(http, api_key=key, base_url=f"{sim.url}/api", timeout=timeout)
