"""Campaign progress as the campaign status shows it: per department what was sent, what came back, with
which problems. The figures are the campaign model's (:mod:`catalog.campaign`), the same the campaign
report shows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalog.campaign import CityProgress, DepartmentProgress
from catalog.campaign import campaign_progress as _campaign_progress
from catalog.organisation import Organisation


def campaign_progress(
    session: Session, organisation: Organisation, *, city: str | None = None, campaign: str | None = None
) -> list[CityProgress]:
    """Progress per city and department (of one city or all; of one campaign, or all campaigns together)."""
    return _campaign_progress(session, organisation, cities=None if city is None else [city], campaign=campaign)


__all__ = ["CityProgress", "DepartmentProgress", "campaign_progress"]
