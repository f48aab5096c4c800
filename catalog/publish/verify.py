"""Verification (``inventur publish --verify``): read what GovData reads from the portal and hold it against what we publish.

After a publish run (or in a dry run, for what is on the portal already) the portal's DCAT is read as
GovData's harvester reads it, every page of ``/catalog.ttl``; a dataset the pages miss (they are ordered by
last change, so a change while reading shifts them) is read from ``/dataset/<name>.ttl``. The union is
validated with the official DCAT-AP.de shapes (2.0 and 3.0, where ``INVENTUR_SHAPES_DIR`` finds them), its
High-Value Datasets also with the DCAT-AP HVD shapes (where ``INVENTUR_HVD_SHAPES_DIR`` is set), and
compared, dataset by dataset, distribution by distribution and data service by data service, with
``inventur dcat export`` of the same entry versions (:mod:`catalog.dcat.compare`). Each entry's problems become findings of stage ``verify``
(the previous ones of the entries checked are closed), the run gets a summary.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalog.dcat.compare import Verification
    from catalog.organisation import Organisation
    from catalog.publish.plan import PlannedAction, PublishPlan
    from catalog.publish.portal import CkanPortal
    from catalog.store import Store

Progress = Callable[[str], None]


def expected_actions(plan: PublishPlan, failed: set[tuple[str, str]]) -> list[PlannedAction]:
    """The planned actions whose package should now be on the portal: everything but withdrawals and what
    failed (identifier, package name)."""
    return [a for a in plan.actions if a.action != "withdraw" and a.record is not None and a.package is not None
            and (a.identifier, a.package_name) not in failed]


def verify_portal(
    store: Store,
    organisation: Organisation,
    portal: CkanPortal,
    actions: Sequence[PlannedAction],
    *,
    profiles: Mapping[str, Path],
    hvd_folder: Path | None,
    run_id: int | None,
    progress: Progress,
    withdrawn: Sequence[int] = (),
) -> Verification:
    """Verify the datasets of ``actions`` on ``portal``; findings are stored unless ``run_id`` is None (and
    those of the ``withdrawn`` entries, no longer on the portal, closed). ``profiles`` are the DCAT-AP.de
    shapes by version, ``hvd_folder`` the DCAT-AP HVD shapes (None: not validated against them).

    Raises :class:`catalog.publish.portal.CkanUnavailable` when the portal's DCAT cannot be read.
    """
    # rdflib logs a traceback for each literal it cannot convert (a date edited by hand to "2024-02-30");
    # such a value is reported as a difference and by the shapes, not as a traceback
    rdflib_term = logging.getLogger("rdflib.term")
    level = rdflib_term.level
    rdflib_term.setLevel(logging.ERROR)
    try:
        return _verify(store, organisation, portal, actions, profiles=profiles, hvd_folder=hvd_folder,
                       run_id=run_id, progress=progress, withdrawn=withdrawn)
    finally:
        rdflib_term.setLevel(level)


def _verify(
    store: Store,
    organisation: Organisation,
    portal: CkanPortal,
    actions: Sequence[PlannedAction],
    *,
    profiles: Mapping[str, Path],
    hvd_folder: Path | None,
    run_id: int | None,
    progress: Progress,
    withdrawn: Sequence[int],
) -> Verification:
    from rdflib import Graph
    from rdflib.namespace import DCAT, RDF

    from catalog.dcat.compare import (
        Verification,
        catalog_violations,
        check_datasets,
        compare_catalog,
        datasets_by_identifier,
        part_of,
        without_paging,
    )
    from catalog.dcat.export import DCATAP, build_catalog
    from catalog.dcat.shacl import ShaclReport, validate, validate_hvd
    from catalog.publish.mapping import CATALOG_DESCRIPTION, CATALOG_PUBLISHER, CATALOG_TITLE

    started = time.perf_counter()
    result = Verification(portal=portal.url)
    records = [dict(a.record or {}) for a in actions]
    try:
        export = build_catalog(records, organisation, base_uri=portal.url, catalog_title=CATALOG_TITLE,
                               catalog_description=CATALOG_DESCRIPTION, publisher_name=CATALOG_PUBLISHER)
    except ValueError as exc:
        result.problems.append(f"the DCAT-AP.de export of these entries cannot be built: {exc}")
        return result
    expected = datasets_by_identifier(export.graph)

    progress(f"{portal.url}: reading the portal's DCAT (/catalog.ttl, every page)")
    graph = Graph()
    for page in portal.catalog_pages():
        result.pages += 1
        graph += without_paging(page)
    found = datasets_by_identifier(graph)
    names = {a.identifier: a.package_name for a in actions}
    for identifier in sorted(set(expected) - set(found)):
        single = portal.dataset_dcat(names.get(identifier, identifier))
        if single is not None:
            graph += without_paging(single)

    found = datasets_by_identifier(graph)
    graph = part_of(graph, [found[i] for i in expected if i in found])  # the portal's other datasets aside
    reports: list[ShaclReport] = []
    for version, folder in sorted(profiles.items()):
        progress(f"{portal.url}: validating {len(graph)} triples with the DCAT-AP.de {version} shapes")
        try:
            reports.append(validate(graph, folder))
            result.profiles.append(version)
        except FileNotFoundError as exc:
            result.problems.append(f"DCAT-AP.de {version} shapes not usable: {exc}")
    if not result.profiles:
        progress(f"{portal.url}: no DCAT-AP.de shapes found (INVENTUR_SHAPES_DIR): the portal's DCAT is only "
                 "compared, not validated")
    hvd = [node for node in datasets_by_identifier(graph).values() if (node, DCATAP.hvdCategory, None) in graph]
    if hvd_folder is not None and hvd:
        # the HVD shapes demand an HVD category of every dataset: they see only the High-Value Datasets
        part = part_of(graph, hvd)
        progress(f"{portal.url}: validating {len(part)} triples of {len(hvd)} High-Value Datasets with the "
                 "DCAT-AP HVD shapes")
        try:
            report = validate_hvd(part, hvd_folder)
            report.profile = "hvd"
            reports.append(report)
            result.profiles.append("hvd")
        except FileNotFoundError as exc:
            result.problems.append(f"DCAT-AP HVD shapes not usable: {exc}")

    checks = check_datasets(expected, export.graph, graph, reports)
    result.add(checks.values())
    catalogs = list(graph.subjects(RDF.type, DCAT.Catalog))
    if catalogs:
        result.catalog_differences.extend(
            d.describe() for d in compare_catalog(export.graph, export.catalog, graph, catalogs[0]))
    else:
        result.catalog.append("the portal's DCAT has no dcat:Catalog node")
    for violation in catalog_violations(graph, reports):
        result.catalog.append(f"{violation.focus_node} {violation.path or ''}: {violation.message}")
    if run_id is not None:
        _store_findings(store, actions, checks, portal.url, run_id, withdrawn)
    result.seconds = time.perf_counter() - started
    progress(f"{portal.url}: verified {result.datasets} datasets in {result.seconds:.1f} s: "
             + ("as published" if result.ok else f"{len(result.entries)} with problems"))
    return result


def _store_findings(store: Store, actions: Sequence[PlannedAction], checks: dict[str, Any], portal: str,
                    run_id: int, withdrawn: Sequence[int]) -> None:
    """Close the entries' earlier verify findings and store the new ones, in one transaction."""
    from catalog.dcat.compare import VERIFY_STAGE, verification_findings
    from catalog.inventory import add_findings_of, close_findings
    from catalog.models import Entry

    by_identifier = {a.identifier: a for a in actions if a.entry_id is not None}
    with store.session() as session:
        ids = sorted({a.entry_id for a in by_identifier.values() if a.entry_id is not None} | set(withdrawn))
        for start in range(0, len(ids), 900):
            close_findings(session, entry_ids=ids[start:start + 900], stages=[VERIFY_STAGE])
        groups = []
        for identifier, check in checks.items():
            action = by_identifier.get(identifier)
            if action is None or check.ok:
                continue
            record = action.record or {}
            found = verification_findings(check, portal=portal, city=record.get("city"),
                                          department=record.get("department"))
            groups.append((session.get(Entry, action.entry_id), found))
        add_findings_of(session, groups, stage=VERIFY_STAGE, run_id=run_id)
