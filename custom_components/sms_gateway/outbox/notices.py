"""What the outbox tells people and automations: events and repair issues."""

from __future__ import annotations

from collections.abc import Sequence

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from ..account import fire_delivery_report, recipient_names
from ..const import DOMAIN, EVENT_MESSAGE_SENT, LOGGER
from ..issues import async_show_issue
from ..providers import DeliveryStatus
from ..runtime import SmsGatewayConfigEntry
from .message import ERROR_DELIVERY_UNKNOWN, QueuedMessage, RecipientResult


def issue_ids(entry_id: str) -> tuple[str, ...]:
    """Return every repair issue id the outbox may create for an account."""
    return tuple(
        f"{kind}_{entry_id}"
        for kind in (
            "insufficient_balance",
            "delivery_unknown",
            "messages_expired",
            "outbox_unreadable",
        )
    )


class Notices:
    """Events and repair issues of one account's outbox."""

    def __init__(self, hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> None:
        """Create the notices of an account."""
        self.hass = hass
        self.entry = entry

    def fire(
        self,
        recipient: str,
        message_id: str | None,
        status: str,
        error: str | None,
        *,
        config_entry_id: str | None = None,
    ) -> None:
        """Fire ``sms_gateway_delivery_report`` for one message."""
        fire_delivery_report(
            self.hass,
            config_entry_id or self.entry.entry_id,
            message_id=message_id,
            to=recipient,
            status=status,
            error=error,
            permanent=error is not None,
        )

    def sent(self, results: Sequence[RecipientResult]) -> None:
        """Fire ``sms_gateway_message_sent`` for each message the provider accepted.

        Every send, at once or from the queue, passes here once per recipient.
        """
        names = recipient_names(self.entry)
        for result in results:
            if result.ok:
                self.hass.bus.async_fire(
                    EVENT_MESSAGE_SENT,
                    {
                        "config_entry_id": result.config_entry_id,
                        "message_id": result.message_id,
                        "to": result.to,
                        "name": names.get(result.to),
                        "status": result.status,
                        "channel": result.channel,
                        "segments": result.segments,
                    },
                )

    def balance_issue(self, *, create: bool) -> None:
        """Show (or clear) the account's out-of-balance issue."""
        issue_id = f"insufficient_balance_{self.entry.entry_id}"
        async_show_issue(
            self.hass,
            issue_id,
            show=create,
            severity=ir.IssueSeverity.ERROR,
            translation_key="insufficient_balance",
            placeholders={"account": self.entry.title},
        )

    def report_unknown(self, batch: Sequence[QueuedMessage], why: str) -> None:
        """Report messages the provider may or may not have sent; never resend them."""
        LOGGER.warning(
            "%s: %d message(s) may or may not have been sent (%s); they are not resent,"
            " to avoid duplicates",
            self.entry.title,
            len(batch),
            why,
        )
        self._notice(
            "delivery_unknown",
            ir.IssueSeverity.WARNING,
            count=str(len(batch)),
            recipients=", ".join(sorted({q.recipient for q in batch})),
        )
        for queued in batch:
            self.fire(
                queued.recipient, queued.id, DeliveryStatus.UNKNOWN.value, ERROR_DELIVERY_UNKNOWN
            )

    def report_expired(self, batch: Sequence[QueuedMessage], max_age: float) -> None:
        """Fail messages that waited longer than the maximum age."""
        LOGGER.warning(
            "%s: %d message(s) could not be sent within %g hours and are dropped",
            self.entry.title,
            len(batch),
            max_age / 3600,
        )
        self._notice(
            "messages_expired",
            ir.IssueSeverity.ERROR,
            count=str(len(batch)),
            recipients=", ".join(sorted({q.recipient for q in batch})),
            hours=f"{max_age / 3600:g}",
        )
        for queued in batch:
            self.fire(queued.recipient, queued.id, DeliveryStatus.FAILED.value, "expired")

    def report_unreadable(self, count: int) -> None:
        """Say that stored messages could not be read and were set aside."""
        self._notice("outbox_unreadable", ir.IssueSeverity.WARNING, count=str(count))

    def _notice(self, kind: str, severity: ir.IssueSeverity, **placeholders: str) -> None:
        """Show a notice the user confirms to dismiss (persists across restarts)."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{kind}_{self.entry.entry_id}",
            is_fixable=True,
            is_persistent=True,
            severity=severity,
            translation_key=kind,
            translation_placeholders={"account": self.entry.title, **placeholders},
        )
