from django.core.management.base import BaseCommand
from django.utils import timezone

from monitoring.summaries import summaries_missing_fill


class Command(BaseCommand):
    help = (
        "Write the summary of every project that has none (a database written before the "
        "summaries existed, or projects no check has reached yet), in batches, without running "
        "the checks. The portfolio's pages read these summaries; a project without one counts "
        "as green. Safe to run again: projects with a summary are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=250, help="projects per transaction (default 250)"
        )

    def handle(self, *args, batch_size: int, **options):
        if batch_size < 1:
            self.stderr.write("--batch-size must be at least 1")
            raise SystemExit(2)
        written = summaries_missing_fill(now=timezone.now(), batch_size=batch_size)
        self.stdout.write(f"Wrote the summaries of {written} projects.")
