"""Delivery reports: track sent messages until their final status arrives.

Reports arrive pushed to our webhook (Infobip ``notifyUrl``, sms365
``callback``) when Home Assistant has an external URL, or are pulled from the
provider (Infobip ``/reports``, sms365 ``status/get``) - but only while some
message still waits for one, so an idle account costs no requests.

A push covers only the messages whose send asked for it: sms365 has a
``callback`` on ``sms/send`` alone, so its bulk sends (2+ recipients) and every
Viber message get none (``SendResult.report_pushed`` is False). Those are
pulled in push mode too, while they wait; a pull then applies only their
reports and leaves the others to their push (no event twice).

What waits for a report is bounded: nothing is tracked when no report can come
(voip-communications has none), a message is forgotten ``REPORT_WAIT_HOURS``
after it was sent (pushed or pulled alike), and at most ``MAX_PENDING``
messages wait, the oldest giving way first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.util import dt as dt_util

from .account import AccountPoller, fire_delivery_report
from .const import (
    CONF_REPORT_MODE,
    DOMAIN,
    LOGGER,
    REPORT_MODE_AUTO,
    REPORT_MODE_POLL,
    REPORT_MODE_PUSH,
    REPORT_POLL_INTERVAL_SECONDS,
    REPORT_WAIT_HOURS,
)
from .providers import (
    DeliveryReport,
    DeliveryStatus,
    ProviderClient,
    ProviderError,
    SendResult,
)

MODE_NONE = "none"
MAX_PENDING = 5000  # messages waiting for a report; the oldest is forgotten first
# How often messages whose report never came are forgotten, in push mode
# (polling forgets them at each poll).
EXPIRE_INTERVAL = timedelta(hours=1)


@dataclass(slots=True)
class LastDelivery:
    """The latest known status of the account's latest message."""

    status: DeliveryStatus
    message_id: str | None = None
    recipient: str | None = None
    sent_at: datetime | None = None
    done_at: datetime | None = None
    error: str | None = None
    permanent: bool = False
    price: float | None = None
    currency: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return JSON-able data (diagnostics, restore)."""
        data = asdict(self)
        data["status"] = self.status.value
        for key in ("sent_at", "done_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(slots=True)
class PendingMessage:
    """A message that waits for its final delivery report."""

    recipient: str
    sent_at: datetime
    pushed: bool = False  # its report will be pushed to our webhook


def resolve_report_mode(
    hass: HomeAssistant, entry: ConfigEntry[Any], client: ProviderClient
) -> tuple[str, str | None]:
    """Return (mode, webhook URL) for delivery reports: push, poll or none."""
    caps = client.capabilities
    wanted = entry.options.get(CONF_REPORT_MODE, REPORT_MODE_AUTO)
    if caps.delivery_reports_push and wanted != REPORT_MODE_POLL:
        try:
            url = webhook.async_generate_url(
                hass, entry.data[CONF_WEBHOOK_ID], allow_internal=False, prefer_external=True
            )
        except NoURLAvailableError:
            if wanted == REPORT_MODE_PUSH:
                LOGGER.warning(
                    "%s: delivery reports by push need an external URL for Home Assistant;"
                    " polling for them instead",
                    entry.title,
                )
        else:
            return REPORT_MODE_PUSH, url
    if caps.delivery_reports_pull:
        return REPORT_MODE_POLL, None
    return MODE_NONE, None


class DeliveryTracker(AccountPoller):
    """Keeps the last delivery status and the messages still waiting for a report."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], client: ProviderClient
    ) -> None:
        """Create the tracker; resolve_report_mode decides push or poll."""
        super().__init__(hass, entry, client)
        self.mode, self.notify_url = resolve_report_mode(hass, entry, client)
        self.pending: dict[str, PendingMessage] = {}
        self.last: LastDelivery | None = None
        self._listeners: list[Callable[[], None]] = []
        self._unsub_expire: CALLBACK_TYPE | None = None

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> CALLBACK_TYPE:
        """Call listener whenever the last delivery status changes."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            self._listeners.remove(listener)

        return remove

    @callback
    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    @callback
    def track_sent(self, results: list[SendResult]) -> None:
        """Record freshly sent messages: they are now the latest, waiting for reports."""
        now = dt_util.utcnow()
        for result in results:
            if result.message_id is None or self.mode == MODE_NONE:
                continue  # no report will ever come for it
            if result.accepted and not result.status.status.is_final:
                pushed = self.mode == REPORT_MODE_PUSH and result.report_pushed
                self.pending[result.message_id] = PendingMessage(result.recipient, now, pushed)
        self._cap_pending()
        if results:
            latest = results[-1]
            self.last = LastDelivery(
                status=latest.status.status,
                message_id=latest.message_id,
                recipient=latest.recipient,
                sent_at=now,
                error=latest.status.error_name or latest.error,
                permanent=latest.status.permanent,
                price=latest.price,
                currency=latest.currency,
            )
            self._changed()
        self._schedule_timers()

    @callback
    def handle_reports(self, reports: list[DeliveryReport]) -> None:
        """Apply delivery reports (pushed or pulled) and fire one event each."""
        if not reports:
            return
        for report in reports:
            if self._is_stale(report):
                continue
            pending = self.pending.get(report.message_id)
            recipient = report.recipient or (pending.recipient if pending else None)
            if report.status.status.is_final:
                self.pending.pop(report.message_id, None)
            self.last = LastDelivery(
                status=report.status.status,
                message_id=report.message_id,
                recipient=recipient,
                sent_at=report.sent_at or (pending.sent_at if pending else None),
                done_at=report.done_at,
                error=report.status.error_name,
                permanent=report.status.permanent,
                price=report.price,
                currency=report.currency,
            )
            # Infobip prices a message in its report (counted once per message).
            self.entry.runtime_data.usage.record_price(
                report.message_id, report.price, report.currency
            )
            fire_delivery_report(
                self.hass,
                self.entry.entry_id,
                message_id=report.message_id,
                to=recipient,
                status=report.status.status.value,
                error=report.status.error_name,
                permanent=report.status.permanent,
            )
        self._changed()
        self._schedule_timers()

    def _is_stale(self, report: DeliveryReport) -> bool:
        """Return whether a non-final report arrived after the message's final one."""
        last = self.last
        return (
            not report.status.status.is_final
            and report.message_id not in self.pending
            and last is not None
            and last.message_id == report.message_id
            and last.status.is_final
        )

    @callback
    def forget(self, message_id: str) -> None:
        """Stop waiting for a message's report (it was canceled): no poll for it."""
        if self.pending.pop(message_id, None) is not None:
            self._schedule_timers()

    @callback
    def _cap_pending(self) -> None:
        """Forget the oldest messages beyond MAX_PENDING."""
        excess = len(self.pending) - MAX_PENDING
        if excess <= 0:
            return
        for message_id in list(self.pending)[:excess]:
            del self.pending[message_id]
        LOGGER.debug(
            "%s: %d messages waited for a delivery report; forgot the %d oldest",
            self.entry.title,
            MAX_PENDING + excess,
            excess,
        )

    @callback
    def _expire(self) -> None:
        """Forget the messages whose report did not come within REPORT_WAIT_HOURS."""
        cutoff = dt_util.utcnow() - timedelta(hours=REPORT_WAIT_HOURS)
        for message_id in [m for m, p in self.pending.items() if p.sent_at < cutoff]:
            LOGGER.debug("%s: no delivery report for %s, giving up", self.entry.title, message_id)
            del self.pending[message_id]

    @callback
    def _on_expire_timer(self, _now: datetime) -> None:
        self._expire()
        self._schedule_timers()

    def _wants_poll(self) -> bool:
        """Return whether a message waits for a report that only a pull brings."""
        if self.mode == REPORT_MODE_POLL:
            return bool(self.pending)
        return (
            self.mode == REPORT_MODE_PUSH
            and self.client.capabilities.delivery_reports_pull
            and any(not pending.pushed for pending in self.pending.values())
        )

    @callback
    def _schedule_timers(self) -> None:
        """Poll for reports (or, pushed, expire them) only while messages wait for one."""
        if self.mode == REPORT_MODE_PUSH:
            self._schedule_expiry()
        elif self.mode != REPORT_MODE_POLL:
            return
        wants_poll = self._wants_poll()
        if wants_poll and self._unsub_poll is None:
            self._start_polling(REPORT_POLL_INTERVAL_SECONDS, "delivery reports")
        elif not wants_poll:
            self._stop_polling()

    @callback
    def _schedule_expiry(self) -> None:
        """In push mode, check now and then for reports that never came."""
        if self.pending and self._unsub_expire is None:
            self._unsub_expire = async_track_time_interval(
                self.hass,
                self._on_expire_timer,
                EXPIRE_INTERVAL,
                name=f"{DOMAIN} delivery report expiry",
                cancel_on_shutdown=True,
            )
        elif not self.pending and self._unsub_expire is not None:
            self._unsub_expire()
            self._unsub_expire = None

    async def async_poll(self) -> None:
        """Fetch the reports that arrived since the last poll."""
        self._expire()
        try:
            reports = await self.client.fetch_delivery_reports()
        except ProviderError as err:
            LOGGER.debug("%s: fetching delivery reports failed: %s", self.entry.title, err)
        else:
            if self.mode == REPORT_MODE_PUSH:
                # Pulled only for the messages no push covers: the others'
                # reports come to the webhook (applying them here too would
                # fire their events twice).
                reports = [r for r in reports if self._awaits_pull(r.message_id)]
            self.handle_reports(reports)
        self._schedule_timers()  # stops polling when nothing waits any more

    def _awaits_pull(self, message_id: str) -> bool:
        pending = self.pending.get(message_id)
        return pending is not None and not pending.pushed

    @callback
    def async_shutdown(self) -> None:
        """Stop polling and expiring."""
        self._stop_polling()
        if self._unsub_expire is not None:
            self._unsub_expire()
            self._unsub_expire = None
