"""Demo accounts, created by ``python -m simulator`` unless told otherwise."""

from __future__ import annotations

from .state import SimulatorState

INFOBIP_USERNAME = "demo"
INFOBIP_PASSWORD = "demo-password"  # noqa: S105 - a simulator demo credential
SMS365_API_KEY = "demo-sms365-key"
SMS365_USERNAME = "demo"
SMS365_PASSWORD = "demo-password"  # noqa: S105 - a simulator demo credential
VOIP_API_KEY = "demo-voip-key"
VOIP_API_PASSWORD = "demo-voip-secret"  # noqa: S105 - a simulator demo credential
VOIP_NUMBER = "17134567890"


def add_demo_accounts(state: SimulatorState) -> None:
    """Create one account per provider with well-known credentials."""
    state.add_account(
        "infobip",
        id="infobip-demo",
        username=INFOBIP_USERNAME,
        password=INFOBIP_PASSWORD,
        balance=47.79134,
        currency="EUR",
    )
    state.add_account(
        "sms365",
        id="sms365-demo",
        api_key=SMS365_API_KEY,
        username=SMS365_USERNAME,
        password=SMS365_PASSWORD,
        balance=100.0,
        viber_senders={"DemoViber": 50.0},
    )
    state.add_account(
        "voip",
        id="voip-demo",
        api_key=VOIP_API_KEY,
        api_password=VOIP_API_PASSWORD,
        balance=20.0,
        numbers={VOIP_NUMBER: None},
    )
