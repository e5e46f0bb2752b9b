import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from backend.grantfile.errors import GrantFileInvalid
from backend.grantfile.loading import MAX_FILE_BYTES
from backend.grantfile.services import grant_file_import


class Command(BaseCommand):
    help = (
        "Import a grant file (YAML or JSON, format grantwatch/grant@1). All or nothing: a file "
        "with errors writes nothing, lists every error with its path and exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the grant file, or - to read standard input")
        parser.add_argument(
            "--officer",
            metavar="USERNAME",
            help="the agency officer in whose portfolio the project goes",
        )

    def handle(self, *args, file, officer=None, **options):
        officer_user = None
        if officer:
            officer_user = get_user_model().objects.filter(username=officer).first()
            if officer_user is None or not officer_user.is_agency_officer:
                raise CommandError(f"--officer: {officer!r} is not an agency officer's user name.")
        # One byte more than a grant file may have is enough to refuse it by name.
        if file == "-":
            content = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:
            try:
                with Path(file).open("rb") as opened:
                    content = opened.read(MAX_FILE_BYTES + 1)
            except OSError as error:
                raise CommandError(f"file: cannot read {file}: {error.strerror}") from None
        try:
            project = grant_file_import(content=content, officer=officer_user)
        except GrantFileInvalid as invalid:
            for error in invalid.errors:
                self.stderr.write(f"{file}: {error}")
            raise CommandError(
                f"{file} was not imported: {len(invalid.errors)} error(s); nothing was written."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {project.acronym} (grant agreement {project.grant_agreement_number}, "
                f"id {project.pk}): {project.participations.count()} participants, "
                f"{project.work_packages.count()} work packages, "
                f"{project.deliverables.count()} deliverables."
            )
        )
