"""Run the simulator: ``python -m simulator --host 127.0.0.1 --port 8089``."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from .app import create_app
from .demo import add_demo_accounts
from .state import SimulatorState


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument(
        "--no-demo-accounts",
        action="store_true",
        help="start without the demo accounts (create them with POST /_sim/accounts)",
    )
    parser.add_argument(
        "--report-delay",
        type=float,
        default=2.0,
        help="seconds from accepting a message to its final delivery report",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    state = SimulatorState()
    state.report_delay = args.report_delay
    if not args.no_demo_accounts:
        add_demo_accounts(state)
    web.run_app(create_app(state), host=args.host, port=args.port, print=None)


if __name__ == "__main__":  # pragma: no cover
    main()
