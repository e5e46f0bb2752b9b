import argparse

from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries

from backend.demo.seeding import DEFAULT_BATCH_SIZE, BatchProgress, seed_portfolio


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {value!r}")
    return number


class Command(BaseCommand):
    help = (
        "Write N random, valid CoVE grants (with consortia, work plans and payment schedules) "
        "for work at scale. About one project in five sits at or below the composition minimum."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--projects", type=_positive, required=True, metavar="N", help="how many to write"
        )
        parser.add_argument(
            "--seed",
            type=int,
            metavar="S",
            help="the same seed on the same database contents gives the same projects",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=DEFAULT_BATCH_SIZE,
            metavar="B",
            help=f"projects per transaction (default {DEFAULT_BATCH_SIZE})",
        )

    def handle(self, *args, projects, seed=None, batch_size=DEFAULT_BATCH_SIZE, **options):
        def progress(step: BatchProgress) -> None:
            # With DEBUG on, Django keeps every statement's text; a batch's are megabytes.
            reset_queries()
            self.stdout.write(
                f"batch {step.batch}/{step.batches}: {step.projects_done:,}/"
                f"{step.projects_total:,} projects, {step.batch_rows:,} rows "
                f"({step.rows_done:,} in all), {step.seconds:.1f} s"
            )

        try:
            report = seed_portfolio(
                projects=projects, seed=seed, batch_size=batch_size, on_batch=progress
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        for table, count in report.rows.items():
            self.stdout.write(f"  {table:<24} {count:>12,}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {report.projects:,} projects (seed {report.seed}): "
                f"{report.total_rows:,} rows in {report.seconds:.1f} s "
                f"({report.rows_per_second:,.0f} rows/s)."
            )
        )
