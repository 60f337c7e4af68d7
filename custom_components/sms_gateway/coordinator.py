"""Polling of the account: balance (and Viber sender balances) and low-balance repairs.

The provider's errors are translated by ``errors.poll_errors``: refused
credentials start reauthentication, any other failure makes the poll fail.

The Viber sender balances (sms365 ``viber/balance``) are asked for after the
account balance and fail on their own: an error there (an account without an
approved Viber sender, say) leaves the account balance available and only the
Viber sender sensors unavailable; the failure is logged once, and so is the
recovery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .const import (
    CONF_BALANCE_INTERVAL,
    CONF_LOW_BALANCE_THRESHOLD,
    DEFAULT_BALANCE_INTERVAL,
    DOMAIN,
    LOGGER,
)
from .errors import poll_errors
from .issues import async_show_issue
from .providers import Balance, ProviderClient, ProviderError, ViberSenderBalance
from .runtime import SmsGatewayConfigEntry, SmsGatewayData

# The runtime-data types live in a leaf module; re-exported for the modules
# that import them from here.
__all__ = ["AccountState", "SmsGatewayConfigEntry", "SmsGatewayCoordinator", "SmsGatewayData"]


@dataclass(frozen=True, slots=True)
class AccountState:
    """What the last poll of the account returned."""

    balance: Balance
    # The senders of the last viber/balance that answered (kept while it
    # fails, so that a Viber message can still pick its sender id).
    viber_senders: dict[str, ViberSenderBalance]
    # False while viber/balance fails: the Viber balances are then unknown.
    viber_balance_ok: bool = True


def low_balance_issue_id(entry: ConfigEntry[Any]) -> str:
    """Return the repair issue id of an account's low balance."""
    return f"low_balance_{entry.entry_id}"


class SmsGatewayCoordinator(DataUpdateCoordinator[AccountState | None]):
    """Polls the balance of a provider account.

    Only created for providers with a balance API. The coordinator logs once
    when the provider becomes unreachable and once when it is back; entities
    based on it go unavailable in between - from the start when the provider
    cannot be reached at setup (``data`` is None until the first answer).
    """

    config_entry: SmsGatewayConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: SmsGatewayConfigEntry, client: ProviderClient
    ) -> None:
        """Create the coordinator with the interval chosen in the options."""
        minutes = entry.options.get(CONF_BALANCE_INTERVAL, DEFAULT_BALANCE_INTERVAL)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=timedelta(minutes=float(minutes)),
        )
        self.client = client
        self._viber_failed = False

    async def async_setup_refresh(self) -> None:
        """Poll once at setup; raise ConfigEntryAuthFailed only for refused credentials.

        Any other failure (no internet yet, the provider down) lets the account
        load with the balance unavailable; the regular refresh tries again at
        the interval chosen in the options.
        """
        await self.async_refresh()
        error = self.last_exception
        if not self.last_update_success and isinstance(error, ConfigEntryAuthFailed):
            raise error

    @poll_errors
    async def _async_update_data(self) -> AccountState:
        balance = await self.client.get_balance()
        self._update_low_balance_issue(balance)
        senders, viber_ok = await self._viber_senders()
        return AccountState(balance=balance, viber_senders=senders, viber_balance_ok=viber_ok)

    async def _viber_senders(self) -> tuple[dict[str, ViberSenderBalance], bool]:
        """Return the Viber sender balances and whether they could be read.

        A failure keeps the senders last known and makes only the Viber
        balances unknown: it never takes the account balance with it.
        """
        if not self.client.capabilities.viber_balance:
            return {}, True
        try:
            senders = {s.sender: s for s in await self.client.get_viber_balances()}
        except ProviderError as err:
            if not self._viber_failed:
                self._viber_failed = True
                LOGGER.warning(
                    "%s: the Viber sender balances are unavailable: %s",
                    self.config_entry.title,
                    err.message,
                )
            known = self.data.viber_senders if self.data is not None else {}
            return known, False
        if self._viber_failed:
            self._viber_failed = False
            LOGGER.info("%s: the Viber sender balances are back", self.config_entry.title)
        return senders, True

    def _update_low_balance_issue(self, balance: Balance) -> None:
        threshold = float(self.config_entry.options.get(CONF_LOW_BALANCE_THRESHOLD, 0) or 0)
        issue_id = low_balance_issue_id(self.config_entry)
        async_show_issue(
            self.hass,
            issue_id,
            show=threshold > 0 and balance.amount < threshold,
            severity=ir.IssueSeverity.WARNING,
            translation_key="low_balance",
            placeholders={
                "account": self.config_entry.title,
                "balance": f"{balance.amount:g} {balance.currency or 'credits'}",
                "threshold": f"{threshold:g}",
            },
        )
