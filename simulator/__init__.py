"""A simulator of the SMS provider APIs sms_gateway speaks.

It serves the Infobip-v1 style API (``/restapi/...``), sms365.gr v3
(``/api/...``) and voip-communications.net (``/api-v2/index.php/...``) on one
port, plus a control API under ``/_sim/`` for tests and the demo.
"""

from .app import create_app
from .state import SimulatorState

__all__ = ["SimulatorState", "create_app"]
