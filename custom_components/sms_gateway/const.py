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

# Runtime (sending, reports, events).
SUBENTRY_RECIPIENT: Final = "recipient"
CONF_NUMBER: Final = "number"

SERVICE_SEND_MESSAGE: Final = "send_message"
EVENT_DELIVERY_REPORT: Final = "sms_gateway_delivery_report"
EVENT_MESSAGE_RECEIVED: Final = "sms_gateway_message_received"

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_CHANNEL: Final = "channel"
ATTR_SENDER: Final = "sender"
ATTR_SMS_FALLBACK: Final = "sms_fallback"
ATTR_SEND_AT: Final = "send_at"
ATTR_IMAGE_URL: Final = "image_url"
ATTR_BUTTON_TEXT: Final = "button_text"
ATTR_BUTTON_URL: Final = "button_url"
ATTR_VALIDITY: Final = "validity"

# How often pending delivery reports are pulled while messages await one.
REPORT_POLL_INTERVAL_SECONDS: Final = 30
# Give up waiting for a report after this long (the message stays "pending").
REPORT_WAIT_HOURS: Final = 48

# Options (config entry options).
CONF_DEFAULT_COUNTRY: Final = "default_country"
CONF_BALANCE_INTERVAL: Final = "balance_interval"  # minutes
CONF_LOW_BALANCE_THRESHOLD: Final = "low_balance_threshold"  # 0 = off
CONF_REPORT_MODE: Final = "report_mode"

REPORT_MODE_AUTO: Final = "auto"  # push via webhook when HA has an external URL, else poll
REPORT_MODE_PUSH: Final = "push"
REPORT_MODE_POLL: Final = "poll"
REPORT_MODES: Final = (REPORT_MODE_AUTO, REPORT_MODE_PUSH, REPORT_MODE_POLL)

DEFAULT_BALANCE_INTERVAL: Final = 15  # minutes
MIN_BALANCE_INTERVAL: Final = 1
MAX_BALANCE_INTERVAL: Final = 1440
DEFAULT_LOW_BALANCE_THRESHOLD: Final = 0
DEFAULT_REPORT_MODE: Final = REPORT_MODE_AUTO

# Inbound SMS (options).
CONF_TRUSTED_SENDERS: Final = "trusted_senders"  # unset = the saved recipients
CONF_ACCEPT_ANY_SENDER: Final = "accept_any_sender"
CONF_PASSPHRASE: Final = "passphrase"  # noqa: S105 - a config key; unset = sender alone
MIN_PASSPHRASE_LENGTH: Final = 4
CONF_INBOUND_INTERVAL: Final = "inbound_interval"  # seconds, 0 = no pulling
DEFAULT_INBOUND_INTERVAL: Final = 60

# Outbox (options).
CONF_MAX_AGE: Final = "max_age"  # hours a message may wait for a retry
DEFAULT_MAX_AGE_HOURS: Final = 24
CONF_FALLBACK_ACCOUNT: Final = "fallback_account"  # another sms_gateway entry id

# Assist over SMS (options).
CONF_ASSIST: Final = "assist"  # answer trusted SMS with a conversation agent
CONF_ASSIST_AGENT: Final = "assist_agent"  # a conversation agent id
CONF_ASSIST_MAX_SEGMENTS: Final = "assist_max_segments"  # cap of a reply's length
CONF_ASSIST_RATE: Final = "assist_rate"  # replies per sender per hour
DEFAULT_ASSIST_AGENT: Final = "conversation.home_assistant"
DEFAULT_ASSIST_MAX_SEGMENTS: Final = 2
MAX_ASSIST_SEGMENTS: Final = 6
DEFAULT_ASSIST_RATE: Final = 10
MAX_ASSIST_RATE: Final = 60

SERVICE_REPLY: Final = "reply"
EVENT_MESSAGE_SENT: Final = "sms_gateway_message_sent"

# Spending limits (options), in SMS segments; 0 = no limit (usage.py).
CONF_LIMIT_HOUR: Final = "limit_hour"
CONF_LIMIT_DAY: Final = "limit_day"
DEFAULT_LIMIT_HOUR: Final = 100
DEFAULT_LIMIT_DAY: Final = 500
MAX_LIMIT: Final = 100000
EVENT_LIMIT_REACHED: Final = "sms_gateway_limit_reached"
