"""`laborwatch deliver`: deliver webhook events from this process (beside or instead of `serve`'s)."""

import contextlib
import signal
from types import FrameType
from typing import Annotated

import typer

from api.cli.commands import open_database
from api.db.migrate import migrate
from api.settings import get_settings
from api.webhooks.delivery import Deliverer


def deliver_command(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver the events due now (one try each), then exit.")
    ] = False,
) -> None:
    """Deliver webhook events until stopped (Ctrl-C or SIGTERM); safe beside servers and other deliverers."""
    settings = get_settings()
    engine = open_database(settings)
    migrate(engine)
    deliverer = Deliverer(engine, settings)
    try:
        if once:
            sent = 0
            while True:
                claimed = deliverer.claim(deliverer.workers)
                if not claimed:
                    break
                for event in claimed:
                    deliverer.deliver(event)
                sent += len(claimed)  # a webhook's next event is due once this one is delivered
            typer.echo(f"{sent} deliveries tried")
            return

        def stop(_signal: int, _frame: FrameType | None) -> None:
            deliverer.stop()

        signal.signal(signal.SIGTERM, stop)
        with contextlib.suppress(KeyboardInterrupt):
            deliverer.run()
    finally:
        deliverer.stop()
        engine.dispose()
