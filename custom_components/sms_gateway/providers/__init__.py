"""Async clients for the SMS provider APIs sms_gateway speaks.

This package does not import Home Assistant: it needs only aiohttp,
phonenumbers and gsm0338, and could be published as a library of its own.

Use ``create_client(provider, session, config)``; read what a provider can do
from ``client.capabilities``, and everything else about it from its class
(``CLIENTS[provider]``: ``display_name``, ``push_methods``, ``parse_push``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import ClientSession

from .base import ProviderClient
from .errors import (
    AuthenticationError,
    InsufficientBalanceError,
    InvalidRecipientError,
    InvalidRequestError,
    PartialSendError,
    ProtocolError,
    ProviderError,
    RateLimitedError,
    Reason,
    RejectedError,
    TransientError,
    UnsupportedError,
)
from .infobip import InfobipClient
from .models import (
    AccountInfo,
    Balance,
    Capabilities,
    Channel,
    DeliveryReport,
    DeliveryStatus,
    Encoding,
    InboundMessage,
    NumberInfo,
    OutgoingMessage,
    SendResult,
    StatusDetail,
    ViberContent,
    ViberSenderBalance,
)
from .sms365 import Sms365Client
from .voip_communications import VoipCommunicationsClient

CLIENTS: dict[str, type[ProviderClient]] = {
    InfobipClient.provider: InfobipClient,
    Sms365Client.provider: Sms365Client,
    VoipCommunicationsClient.provider: VoipCommunicationsClient,
}


def display_name(provider: str) -> str:
    """Return the name people read of a provider (the name itself if unknown)."""
    client = CLIENTS.get(provider)
    return client.display_name if client else provider


def create_client(
    provider: str, session: ClientSession, config: Mapping[str, Any]
) -> ProviderClient:
    """Create the client of a provider from its configuration.

    ``config`` keys: ``url`` (optional base URL) and the provider's
    credentials: ``username`` + ``password`` (infobip), ``api_key`` (sms365),
    ``api_key`` + ``api_password`` (voip_communications).
    """
    url = config.get("url") or None
    if provider == InfobipClient.provider:
        return InfobipClient(
            session, username=config["username"], password=config["password"], base_url=url
        )
    if provider == Sms365Client.provider:
        return Sms365Client(session, api_key=config["api_key"], base_url=url)
    if provider == VoipCommunicationsClient.provider:
        return VoipCommunicationsClient(
            session,
            api_key=config["api_key"],
            api_password=config["api_password"],
            base_url=url,
        )
    raise ValueError(f"unknown provider {provider!r}")


__all__ = [
    "CLIENTS",
    "AccountInfo",
    "AuthenticationError",
    "Balance",
    "Capabilities",
    "Channel",
    "DeliveryReport",
    "DeliveryStatus",
    "Encoding",
    "InboundMessage",
    "InfobipClient",
    "InsufficientBalanceError",
    "InvalidRecipientError",
    "InvalidRequestError",
    "NumberInfo",
    "OutgoingMessage",
    "PartialSendError",
    "ProtocolError",
    "ProviderClient",
    "ProviderError",
    "RateLimitedError",
    "Reason",
    "RejectedError",
    "SendResult",
    "Sms365Client",
    "StatusDetail",
    "TransientError",
    "UnsupportedError",
    "ViberContent",
    "ViberSenderBalance",
    "VoipCommunicationsClient",
    "create_client",
    "display_name",
]
