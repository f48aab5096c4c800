"""Campaign progress: per department what was sent, what came back, with which problems.

The one place that counts a campaign: the campaign status (``inventur campaign status``, the flows'
progress artifacts, through :mod:`survey.campaign`) and the campaign report (:mod:`catalog.report`)
both read these figures, so a department has the same state, counts and rate wherever it is shown.

- **Sent**: deliveries of the campaign's workbook to the department (its outbox).
- **Returned**, **rejected**: files received from the department that were read, or could not be taken;
  either is an answer.
- **Entries**: the department's current entries (not gone from their source), over all campaigns.
- **Open errors**: open findings of severity ``error`` on the department.
- **Campaigns sent / answered**: over all campaigns, in how many the survey was sent to the department
  and in how many of those it answered.

``campaign=None`` counts all campaigns together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Delivery, Entry, FindingRow, ReceivedFile
from catalog.organisation import Organisation

NOT_SENT = "nicht versandt"
SENT = "versandt"
RETURNED = "zurück"
RETURNED_WITH_ERRORS = "zurück mit Fehlern"
# The states of a received file that count as an answer.
ANSWERS = ("read", "rejected")


def response_state(sent: int, returned: int, rejected: int, open_errors: int) -> str:
    """A department's state in German words a team can forward: ``nicht versandt``, ``versandt``,
    ``zurück`` or ``zurück mit Fehlern``."""
    if returned == 0 and rejected == 0:
        return SENT if sent else NOT_SENT
    if open_errors or returned == 0:
        return RETURNED_WITH_ERRORS
    return RETURNED


@dataclass
class DepartmentProgress:
    """One department in a campaign (or all campaigns together)."""

    city: str
    department: str
    name: str
    sent: int = 0
    returned: int = 0  # files read
    rejected: int = 0  # files that could not be taken
    entries: int = 0
    open_errors: int = 0
    last_sent: dt.datetime | None = None
    last_return: dt.datetime | None = None
    campaigns_sent: int = 0
    campaigns_answered: int = 0

    @property
    def state(self) -> str:
        """See :func:`response_state`."""
        return response_state(self.sent, self.returned, self.rejected, self.open_errors)

    @property
    def with_errors(self) -> bool:
        return self.state == RETURNED_WITH_ERRORS

    @property
    def answered(self) -> bool:
        """Whether the department sent a file back (read or not)."""
        return bool(self.returned or self.rejected)


@dataclass
class CityProgress:
    """The departments of one city."""

    city: str
    departments: list[DepartmentProgress] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Departments the survey was sent to."""
        return sum(1 for d in self.departments if d.sent)

    @property
    def returned(self) -> int:
        """Departments that answered."""
        return sum(1 for d in self.departments if d.answered)

    @property
    def response_rate(self) -> float:
        """Departments that answered, of those the survey was sent to (0.0 when none was sent)."""
        return self.returned / self.sent if self.sent else 0.0


def responses(session: Session, cities: Sequence[str]) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """Over all campaigns of ``cities``: the (city, department, campaign) the survey was sent to, and those
    that answered (sent a file back that was read or could not be taken)."""
    surveyed = {(c, d, sent_in) for c, d, sent_in in session.execute(
        select(Delivery.city, Delivery.department, Delivery.campaign).where(Delivery.city.in_(cities)).distinct())}
    answered = {(fc or "", fd or "", answered_in or "") for fc, fd, answered_in in session.execute(
        select(ReceivedFile.city, ReceivedFile.department, ReceivedFile.campaign)
        .where(ReceivedFile.city.in_(cities), ReceivedFile.status.in_(ANSWERS), ReceivedFile.campaign.is_not(None))
        .distinct())}
    return surveyed, answered


def campaign_progress(
    session: Session, organisation: Organisation, *, cities: Sequence[str] | None = None, campaign: str | None = None
) -> list[CityProgress]:
    """Progress per city (``cities``, default all of the organisation's) and department, in the
    organisation's order, of one campaign or all campaigns together."""
    keys = [c.key for c in organisation.cities if cities is None or c.key in cities]
    rows: dict[tuple[str, str], DepartmentProgress] = {
        (key, dept.code): DepartmentProgress(key, dept.code, dept.name)
        for key in keys for dept in organisation.departments_of(key)
    }

    sent = (select(Delivery.city, Delivery.department, func.count(), func.max(Delivery.delivered_at))
            .where(Delivery.city.in_(keys)).group_by(Delivery.city, Delivery.department))
    files = (select(ReceivedFile.city, ReceivedFile.department, ReceivedFile.status, func.count(),
                    func.max(ReceivedFile.received_at))
             .where(ReceivedFile.city.in_(keys))
             .group_by(ReceivedFile.city, ReceivedFile.department, ReceivedFile.status))
    if campaign is not None:
        sent = sent.where(Delivery.campaign == campaign)
        files = files.where(ReceivedFile.campaign == campaign)
    for c, d, count, last in session.execute(sent):
        if (c, d) in rows:
            rows[(c, d)].sent, rows[(c, d)].last_sent = count, last
    for fc, fd, status, count, last in session.execute(files):
        progress = rows.get((fc or "", fd or ""))
        if progress is None:
            continue
        if status == "read":
            progress.returned += count
        elif status == "rejected":
            progress.rejected += count
        if last and (progress.last_return is None or last > progress.last_return):
            progress.last_return = last
    for c, d, count in session.execute(
        select(Entry.city, Entry.department, func.count())
        .where(Entry.gone_at.is_(None), Entry.city.in_(keys)).group_by(Entry.city, Entry.department)
    ):
        if (c, d) in rows:
            rows[(c, d)].entries = count
    for ec, ed, count in session.execute(
        select(FindingRow.city, FindingRow.department, func.count())
        .where(FindingRow.is_open.is_(True), FindingRow.severity == "error", FindingRow.city.in_(keys))
        .group_by(FindingRow.city, FindingRow.department)
    ):
        if (ec or "", ed or "") in rows:
            rows[(ec or "", ed or "")].open_errors = count

    surveyed, answered = responses(session, keys)
    for c, d, sent_in in surveyed:
        if (c, d) in rows:
            rows[(c, d)].campaigns_sent += 1
            rows[(c, d)].campaigns_answered += int((c, d, sent_in) in answered)

    grouped = {key: CityProgress(key) for key in keys}
    for (c, _d), progress in rows.items():
        grouped[c].departments.append(progress)
    return [grouped[k] for k in keys]


__all__ = [
    "ANSWERS", "NOT_SENT", "RETURNED", "RETURNED_WITH_ERRORS", "SENT", "CityProgress", "DepartmentProgress",
    "campaign_progress", "response_state", "responses",
]
