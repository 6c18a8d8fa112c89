"""Runs the stuck-order detector now, or every N seconds: beat's schedule for a demo that runs no beat."""

import time

from django.core.management.base import BaseCommand, CommandError

from jewelry.management.preconditions import require_migrated
from shop import stuck_orders


class Command(BaseCommand):
    help = ("Mark the orders past their status deadline (STUCK_ORDER_DEADLINES_SECONDS) and tell MES, once "
            "or every --every seconds until stopped; bin/demo runs it, production's beat sends the task.")

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=None, metavar="SECONDS",
                            help="scan again every SECONDS until Ctrl-C (default: scan once)")

    def handle(self, *args, every: float | None, **options):
        if every is not None and every <= 0:
            raise CommandError("--every must be over 0 seconds (or left out to scan once).")
        require_migrated("default", "mes")
        try:
            while True:
                self.scan(report=every is None)
                if every is None:
                    return
                time.sleep(every)
        except KeyboardInterrupt:  # Ctrl-C ends the loop, not with a traceback
            return

    def scan(self, *, report: bool) -> None:
        """One scan; said when asked, or when it found newly stuck orders (a loop is quiet otherwise)."""
        scan = stuck_orders.detect_stuck_orders()
        if report or scan.newly_marked:
            stuck = ", ".join(f"{status} {count}" for status, count in scan.stuck_by_status.items() if count)
            self.stdout.write(f"Stuck orders: {stuck or 'none'} ({scan.newly_marked} newly marked; "
                              "the support console lists them at /support/).")
            self.stdout.flush()  # a loop's line shows in bin/demo's log as it happens
