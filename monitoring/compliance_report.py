"""A project's compliance report on one date, as a printable PDF.

The content is read from the selectors the pages and the API read (nothing is judged again
here): the eligibility verdict as of the report's date with the participants it counts (the
consortium page's and ``/api/v1/projects/{id}/eligibility``'s), the open flags, the payment
schedule with each instalment's conditions and payment, and the ledger (the compliance
page's), the deliverables and milestones, the periodic reports with their versions and the
amendment requests the reader may see.

Only the verdict is dated: the participations keep their history, so the verdict is the one
of the report's date. The other sections are the record as it stands when the report is
produced (flags, payments and documents keep no history to go back to); the header says both.

The HTML is the template ``frontend/pdf/compliance_report.html`` (the pages' own filters for
money, dates and labels, in the active language); WeasyPrint turns it into a PDF. WeasyPrint is
imported when a report is rendered, so a machine without its system libraries (Pango,
HarfBuzz) still starts: the report then answers ``PdfUnavailable``. Rendering fetches nothing:
the stylesheet is inline, the fonts are the system's (DejaVu) and every URL is refused.
"""

import datetime
import functools
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.template.loader import get_template, render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.permissions import project_access
from backend.amendments.models import AmendmentRequest
from backend.amendments.selectors import amendment_list
from backend.common.dates import BRUSSELS, brussels_today
from backend.common.errors import InvalidInput
from backend.grants.eligibility.engine import Verdict
from backend.grants.eligibility.messages import participants_on
from backend.grants.models import ParticipationRole, Project
from backend.grants.selectors import consortia, eligibility_on
from backend.payments.selectors import payment_of
from backend.reporting.models import ReportVersion
from backend.reporting.selectors import report_list, report_of
from backend.workplan.models import Deliverable, Milestone, ReportingPeriod
from backend.workplan.selectors import deliverable_list, milestone_list
from monitoring.dashboard import ProjectCompliance, project_compliance

TEMPLATE = "frontend/pdf/compliance_report.html"
DATE_FIELD = "date"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PdfUnavailable(Exception):
    """WeasyPrint or its system libraries are missing on this machine."""


# -- who may download it, and for which date ----------------------------------------------------


def can_download_report(user, project: Project) -> tuple[bool, str]:
    """The project's agency officers, its managers and administrators. Whoever else sees the
    project (a partner contact) is refused with the reason; the caller has answered 404 to
    those who do not see it."""
    if not user.is_authenticated:
        return False, _("Sign in to download the compliance report.")
    if user.is_superuser:
        return True, ""
    access = project_access(user, project.pk)
    if access.officer or access.manager:
        return True, ""
    return False, access.officer_void or _(
        "The compliance report is for the project's agency officers, its managers and "
        "administrators."
    )


def report_date(raw: str | None, *, project: Project, today: datetime.date) -> datetime.date:
    """The report's date from the query (``YYYY-MM-DD``; today when not given); a date before
    the project's start or after today is refused at ``date``."""
    if raw is None or raw == "":
        return today
    day = None
    if _ISO_DATE.match(raw):
        try:
            day = datetime.date.fromisoformat(raw)
        except ValueError:
            day = None
    if day is None:
        raise InvalidInput.at(DATE_FIELD, _("Enter a date as YYYY-MM-DD, e.g. 2025-04-30."))
    if day < project.start_date:
        raise InvalidInput.at(
            DATE_FIELD,
            _("The date is before the project started (%(start)s).")
            % {"start": project.start_date.isoformat()},
        )
    if day > today:
        raise InvalidInput.at(
            DATE_FIELD,
            _("The date is after today (%(today)s): a report cannot look ahead.")
            % {"today": today.isoformat()},
        )
    return day


# -- what it holds ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantRow:
    key: str
    name: str
    country: str
    role: str
    takes_part: bool
    counted: bool  # counts as a full partner for the composition rules on the date


@dataclass(frozen=True)
class ReportRow:
    period: ReportingPeriod
    status: str  # "not_started" or the report's status
    versions: list[ReportVersion]


@dataclass(frozen=True)
class InstalmentRow:
    line: object  # monitoring.dashboard.PaymentLine
    paid_eur: object  # Decimal paid (negative: recovered), None when nothing is recorded
    paid_on: datetime.date | None
    reference: str


@dataclass(frozen=True)
class ComplianceReport:
    project: Project
    on: datetime.date  # the report's date (the verdict's)
    produced_at: datetime.datetime  # Brussels time
    verdict: Verdict
    participants: list[ParticipantRow]
    data: ProjectCompliance  # the compliance page's: flags, schedule, ledger, reductions
    instalments: list[InstalmentRow]
    deliverables: list[Deliverable]
    milestones: list[Milestone]
    reports: list[ReportRow]
    amendments: list[AmendmentRequest]

    @property
    def counted(self) -> int:
        return sum(1 for row in self.participants if row.counted)


def _participants(consortium, verdict: Verdict, on: datetime.date) -> list[ParticipantRow]:
    """Each participant on the date, as the eligibility endpoint lists them, with whether the
    composition rules count it as a full partner (the consortium page's column)."""
    counted = set(verdict.result("min_full_partners").participants)
    names = {member.key: member.name for member in consortium.participants}
    roles = dict(ParticipationRole.choices)
    return [
        ParticipantRow(
            key=row["participant"],
            name=names.get(row["participant"], ""),
            country=row["country"],
            role=str(roles.get(row["role"], row["role"])),
            takes_part=row["takes_part"],
            counted=row["participant"] in counted,
        )
        for row in participants_on(consortium, on)
    ]


def _reports(project: Project) -> list[ReportRow]:
    """Each reporting period with its report's status and the versions sent, in two queries."""
    periods = list(report_list(project=project))
    versions = defaultdict(list)
    for version in ReportVersion.objects.filter(report__project=project).order_by(
        "report_id", "number"
    ):
        versions[version.report_id].append(version)
    rows = []
    for period in periods:
        report = report_of(period)
        rows.append(
            ReportRow(
                period=period,
                status="not_started" if report is None else report.status,
                versions=versions.get(report.pk, []) if report is not None else [],
            )
        )
    return rows


def _instalments(data: ProjectCompliance) -> list[InstalmentRow]:
    rows = []
    for line in data.payments:
        payment = payment_of(data.schedule.rows.get(line.item.key))
        rows.append(
            InstalmentRow(
                line=line,
                paid_eur=payment.signed_amount if payment is not None else None,
                paid_on=payment.paid_on if payment is not None else None,
                reference=payment.reference if payment is not None else "",
            )
        )
    return rows


def compliance_report(
    *, user, project: Project, on: datetime.date, now: datetime.datetime | None = None
) -> ComplianceReport:
    """The report's content for a project the user sees and may download it for, in a fixed
    number of queries whatever the size of the record. What the user may not see stays out:
    flags and reductions as ``flag_list`` and ``reductions_visible`` give them, amendment
    drafts only for those who draft them (``amendment_list``); contributions, evidence and
    draft texts are not part of the report."""
    now = now or timezone.now()
    today = brussels_today(now)
    consortium, rules = consortia([project.pk])[project.pk]
    verdict = eligibility_on(consortium, rules, on).verdict
    data = project_compliance(user=user, project=project)
    return ComplianceReport(
        project=project,
        on=on,
        produced_at=now.astimezone(BRUSSELS),
        verdict=verdict,
        participants=_participants(consortium, verdict, on),
        data=data,
        instalments=_instalments(data),
        deliverables=list(deliverable_list(project=project, today=today)),
        milestones=list(milestone_list(project=project, today=today)),
        reports=_reports(project),
        amendments=list(amendment_list(user=user, project=project)),
    )


def report_filename(report: ComplianceReport) -> str:
    """ "ZILE-compliance-2025-04-30.pdf": the acronym (letters, digits and dashes) and the
    date."""
    acronym = re.sub(r"[^A-Za-z0-9-]+", "-", report.project.acronym).strip("-") or "project"
    return f"{acronym}-compliance-{report.on.isoformat()}.pdf"


# -- the PDF ----------------------------------------------------------------------------------


def refuse_fetch(url: str, headers=None):
    """What the report's URL fetcher answers: nothing is fetched while a report renders (the
    stylesheet is inline, the fonts are the system's), so every URL is refused, local or
    not."""
    raise ValueError(f"The compliance report fetches nothing: {url!r} refused.")


def _refusing_fetcher(urls_module):
    """A WeasyPrint URL fetcher (its class, as version 70 expects) that refuses every URL."""

    class RefusingFetcher(urls_module.URLFetcher):
        def fetch(self, url, headers=None):
            return refuse_fetch(url, headers)

    return RefusingFetcher()


def report_html(report: ComplianceReport) -> str:
    """The report as HTML, in the active language."""
    return render_to_string(TEMPLATE, {"report": report, "project": report.project})


def report_pdf(report: ComplianceReport) -> bytes:
    """The report as a PDF, in the active language; ``PdfUnavailable`` without WeasyPrint."""
    try:
        # Imported here: its system libraries may be missing.
        import weasyprint
        import weasyprint.urls
    except (ImportError, OSError) as error:
        raise PdfUnavailable(str(error)) from error
    fetcher = _refusing_fetcher(weasyprint.urls)
    html = weasyprint.HTML(string=report_html(report), url_fetcher=fetcher)
    stylesheet = weasyprint.CSS(string=_stylesheet(), url_fetcher=fetcher)
    return html.write_pdf(stylesheets=[stylesheet])


@functools.cache
def _stylesheet() -> str:
    """The report's print styles, a file beside its template."""
    return Path(get_template(TEMPLATE).origin.name).with_suffix(".css").read_text()
