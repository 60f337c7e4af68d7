"""The integration's user-facing validation error."""

from __future__ import annotations

from typing import Any

from homeassistant.exceptions import ServiceValidationError
import probatio

from .const import DOMAIN


class SmsValidationError(ServiceValidationError, probatio.Invalid):
    """A mistake in an action call (invalid number, empty text, unsupported channel...).

    A ServiceValidationError with a translated message, and also a probatio.Invalid
    so that Home Assistant's REST API answers it with HTTP 400 (it turns only
    probatio.Invalid into 400; any other error of an action is a 500 there). Over
    the websocket the caller gets the translated message either way.
    """

    def __init__(self, key: str, **placeholders: Any) -> None:
        """Create the error from a translation key of the ``exceptions`` section."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={k: str(v) for k, v in placeholders.items()},
        )
