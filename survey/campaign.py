"""Campaign progress: per department what was sent, what came back, with which problems."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import Delivery, Entry, FindingRow, ReceivedFile
from catalog.organisation import Organisation


@dataclass
class DepartmentProgress:
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

    @property
    def state(self) -> str:
        """In German words a team can forward: nicht versandt, versandt, zurück, zurück mit Fehlern."""
        if self.returned == 0 and self.rejected == 0:
            return "versandt" if self.sent else "nicht versandt"
        if self.open_errors or (self.returned == 0 and self.rejected):
            return "zurück mit Fehlern"
        return "zurück"

    @property
    def with_errors(self) -> bool:
        return self.state == "zurück mit Fehlern"


@dataclass
class CityProgress:
    city: str
    departments: list[DepartmentProgress] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(1 for d in self.departments if d.sent)

    @property
    def returned(self) -> int:
        return sum(1 for d in self.departments if d.returned or d.rejected)

    @property
    def response_rate(self) -> float:
        """Departments that answered, of those the survey was sent to (0.0 when none was sent)."""
        return self.returned / self.sent if self.sent else 0.0


def campaign_progress(
    session: Session, organisation: Organisation, *, city: str | None = None, campaign: str | None = None
) -> list[CityProgress]:
    """Progress per city and department (of one campaign, or all campaigns together)."""
    rows: dict[tuple[str, str], DepartmentProgress] = {}
    cities = [c.key for c in organisation.cities if city is None or c.key == city]
    for key in cities:
        for dept in organisation.departments_of(key):
            rows[(key, dept.code)] = DepartmentProgress(key, dept.code, dept.name)

    sent = select(Delivery.city, Delivery.department, func.count(), func.max(Delivery.delivered_at)).group_by(
        Delivery.city, Delivery.department
    )
    files = select(
        ReceivedFile.city, ReceivedFile.department, ReceivedFile.status, func.count(), func.max(ReceivedFile.received_at)
    ).where(ReceivedFile.city.is_not(None)).group_by(ReceivedFile.city, ReceivedFile.department, ReceivedFile.status)
    if campaign:
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
        select(Entry.city, Entry.department, func.count()).where(Entry.gone_at.is_(None)).group_by(Entry.city, Entry.department)
    ):
        if (c, d) in rows:
            rows[(c, d)].entries = count
    errors = select(FindingRow.city, FindingRow.department, func.count()).where(
        FindingRow.is_open.is_(True), FindingRow.severity == "error"
    ).group_by(FindingRow.city, FindingRow.department)
    for ec, ed, count in session.execute(errors):
        if (ec or "", ed or "") in rows:
            rows[(ec or "", ed or "")].open_errors = count
    grouped: dict[str, CityProgress] = defaultdict(lambda: CityProgress(""))
    for key in cities:
        grouped[key] = CityProgress(key)
    for (c, _d), progress in rows.items():
        grouped[c].departments.append(progress)
    return [grouped[k] for k in cities]
