from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.grantfile.export import dump_grant_file, grant_file_data
from backend.grantfile.selectors import projects_with_record


class Command(BaseCommand):
    help = "Write a project's record as a grant file that imports into an identical record."

    def add_arguments(self, parser):
        parser.add_argument("grant_agreement_number")
        parser.add_argument("-o", "--output", help="write to this file instead of standard output")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")

    def handle(self, *args, grant_agreement_number, output=None, format="yaml", **options):
        project = (
            projects_with_record().filter(grant_agreement_number=grant_agreement_number).first()
        )
        if project is None:
            raise CommandError(
                f"grant_agreement_number: no project has grant agreement number "
                f"{grant_agreement_number!r}."
            )
        text = dump_grant_file(grant_file_data(project), format)
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
