"""Constants of the SMS Gateway integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "sms_gateway"
LOGGER = logging.getLogger(__package__)

CONF_PROVIDER: Final = "provider"
CONF_API_PASSWORD: Final = "api_password"  # noqa: S105 - a config key, not a secret
CONF_SENDER: Final = "sender"

PROVIDER_INFOBIP: Final = "infobip"
PROVIDER_SMS365: Final = "sms365"
PROVIDER_VOIP: Final = "voip_communications"
PROVIDERS: Final = (PROVIDER_INFOBIP, PROVIDER_SMS365, PROVIDER_VOIP)

DEFAULT_URLS: Final = {
    PROVIDER_INFOBIP: "https://api.shortlink.pro",
    PROVIDER_SMS365: "https://sms365.gr/api",
    PROVIDER_VOIP: "https://voip-communications.net/api-v2/index.php",
}
