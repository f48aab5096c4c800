"""The report step: the campaign report's pages and workbooks, for the command line and the flows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flows.services import Services

if TYPE_CHECKING:
    from catalog.report import ReportFigures

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


def report_stem(city: str | None) -> str:
    """The file name (without suffix) of a scope's report: ``bericht-muenchen``, ``bericht-gesamt``."""
    return f"bericht-{city or 'gesamt'}"


@dataclass
class ReportFiles:
    """What :func:`report_step` wrote: per scope (a city key, None for the three together) the page and
    the workbook, the figures they show (without their long lists, each HVD entry and the kinds across
    cities: those are in the files), and a Markdown summary for the run's artifact."""

    out_dir: Path
    pages: dict[str | None, Path] = field(default_factory=dict)
    workbooks: dict[str | None, Path] = field(default_factory=dict)
    figures: dict[str | None, ReportFigures] = field(default_factory=dict)
    markdown: str = ""

    @property
    def paths(self) -> list[Path]:
        """Every written file, pages first."""
        return [*self.pages.values(), *self.workbooks.values()]


def report_step(
    services: Services,
    out_dir: Path | None = None,
    *,
    city: str | None = None,
    campaign: str | None = None,
    now: dt.datetime | None = None,
    progress: Progress = _quiet,
) -> ReportFiles:
    """Write the report pages and workbooks of ``city`` (None: each city and the three together) into
    ``out_dir`` (default ``<data_dir>/reports``) and return their paths with a Markdown summary.

    A flow attaches the report to its run with the summary, e.g.
    ``create_markdown_artifact(key="campaign-report", markdown=report_step(services).markdown)``.

    Raises :class:`catalog.report.UnknownCampaign` for a campaign the store does not know, and
    :class:`OSError` when ``out_dir`` cannot be written.
    """
    from catalog.report import kinds_across_cities, report_figures
    from reports.html import render_page
    from reports.markdown import markdown_summary
    from reports.xlsx import write_workbook

    organisation = services.organisation
    scopes: list[str | None] = [city] if city else [None, *(c.key for c in organisation.cities)]
    when = now or dt.datetime.now(dt.UTC)
    out_dir = out_dir if out_dir is not None else services.folder("reports")
    result = ReportFiles(out_dir)
    links = {scope: f"{report_stem(scope)}.html" for scope in scopes} if len(scopes) > 1 else {}
    with services.store.session() as session:
        kinds = kinds_across_cities(session, organisation)
        for scope in scopes:
            # one scope at a time: its figures are rendered, then only their summary is kept
            figures = report_figures(session, organisation, city=scope, campaign=campaign, now=when, kinds=kinds)
            if not result.figures:
                out_dir.mkdir(parents=True, exist_ok=True)
            page = out_dir / f"{report_stem(scope)}.html"
            page.write_text(render_page(figures, links=links), encoding="utf-8")
            result.pages[scope] = page
            result.workbooks[scope] = write_workbook(figures, out_dir / f"{report_stem(scope)}.xlsx")
            result.figures[scope] = _summary_of(figures)
            progress(f"{figures.scope_name}: {page.name}, {result.workbooks[scope].name}")
    result.markdown = markdown_summary(list(result.figures.values()), pages=result.pages, workbooks=result.workbooks)
    return result


def _summary_of(figures: ReportFigures) -> ReportFigures:
    """The figures without their long lists (each HVD entry, the kinds across cities), once the page and
    the workbook show them: what the summary and the command's output use stays."""
    import dataclasses

    hvd = dataclasses.replace(figures.hvd, entries=[]) if figures.hvd is not None else None
    return dataclasses.replace(figures, kinds=[], hvd=hvd)
