from django.core.management.base import BaseCommand, CommandError

from backend.demo.loading import (
    DEFAULT_DEMO_PASSWORD,
    DEMO_MONTH,
    DemoError,
    DemoLogin,
    DemoNotAllowed,
    DemoResult,
    demo_load,
)
from backend.grantfile.errors import GrantFileInvalid


class Command(BaseCommand):
    help = (
        "Load the demo data: import the fictional CoVE demo grant (unless its grant agreement "
        "number exists) with its dates moved so that today is in its 33rd month, a portfolio of "
        "smaller projects around it, and the demo logins admin, officer, officer2, manager, "
        "partner1 and partner2; then check them all. Idempotent: a demo loaded on an earlier "
        "day is left as it is. Refuses to run with DEBUG off unless --allow-production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEFAULT_DEMO_PASSWORD,
            help=f"the password of every demo user (default: {DEFAULT_DEMO_PASSWORD})",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="load the demo even though DEBUG is off (a server meant for demonstrations)",
        )
        parser.add_argument(
            "--no-shift",
            action="store_true",
            help="keep the demo grant file's own dates instead of moving them to today",
        )
        parser.add_argument(
            "--without-portfolio",
            action="store_true",
            help="load the demo grant and its users only, not the portfolio around it",
        )

    def handle(
        self,
        *args,
        password,
        allow_production=False,
        no_shift=False,
        without_portfolio=False,
        **options,
    ):
        try:
            result = demo_load(
                password=password,
                allow_production=allow_production,
                shift=not no_shift,
                portfolio=not without_portfolio,
            )
        except DemoNotAllowed as error:
            raise CommandError(
                f"load-demo: {error} Pass --allow-production to load it anyway."
            ) from None
        except DemoError as error:
            raise CommandError(f"load-demo: {error}") from None
        except GrantFileInvalid as invalid:
            for error in invalid.errors:
                self.stderr.write(f"demo grant file: {error}")
            raise CommandError(
                f"load-demo: the demo grant was not imported: {len(invalid.errors)} error(s); "
                "nothing was written."
            ) from None
        self._report_project(result)
        self._report_changes(result)
        self._print_logins(result.logins)

    def _report_project(self, result: DemoResult) -> None:
        """The demo grant: imported now, or already there (and in which month of its life)."""
        project = result.project
        named = (
            f"{project.acronym} (grant agreement {project.grant_agreement_number}, id {project.pk})"
        )
        if result.project_imported:
            self.stdout.write(self.style.SUCCESS(f"Imported the demo grant {named}."))
            return
        self.stdout.write(
            f"The demo grant {named} already exists; not imported again. It is in month "
            f"{result.current_month} today"
            + (
                f" (a current demo is in month {DEMO_MONTH}): it was loaded on an earlier "
                "day and is left as it is; load the demo into an empty database for a "
                "current one."
                if result.current_month != DEMO_MONTH
                else "."
            )
        )

    def _report_changes(self, result: DemoResult) -> None:
        """The portfolio, the checks, the users and their project roles."""
        if result.portfolio_created:
            self.stdout.write(
                f"Imported {len(result.portfolio_created)} portfolio project(s): "
                + ", ".join(project.acronym for project in result.portfolio_created)
                + "."
            )
        self.stdout.write(
            f"Checked {result.projects_checked} project(s): their flags are up to date."
        )
        if result.users_created:
            self.stdout.write(f"Created users: {', '.join(result.users_created)}.")
        if result.users_updated:
            self.stdout.write(f"Put right: {'; '.join(result.users_updated)}.")
        if result.roles_created or result.roles_updated:
            self.stdout.write(
                f"Project roles: {result.roles_created} created, {result.roles_updated} updated."
            )

    def _print_logins(self, logins: list[DemoLogin]) -> None:
        """The demo logins as a table, with a rule under its header."""
        rows = [("User name", "Role", "Acting for", "Password")] + [
            (login.username, login.role, login.acting_for or "-", login.password)
            for login in logins
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        for index, row in enumerate(rows):
            self.stdout.write(
                "  "
                + "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
            if index == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))
