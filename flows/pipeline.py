"""Prefect flows: the pipeline as the cities run it, scheduled through ``prefect.yaml``.

Flows sequence, tasks wrap: every task calls one step of :mod:`flows.steps.inventory` (plain functions over
the library); retries and timeouts sit on the I/O tasks; the wiring (settings, store, share) is built
once per flow run from the environment. Each flow leaves artifacts for the Prefect UI: campaign
progress per city, findings and quality summaries, publish summaries.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.services import Services
from flows.settings import CITY_KEYS, load_settings
from flows.steps import inventory as steps

if TYPE_CHECKING:
    City = str
else:
    City = Literal[CITY_KEYS]  # the cities of cities.yaml: Prefect offers them as the parameter's choices
CITIES: tuple[City, ...] = CITY_KEYS


def _services() -> Services:
    return Services(load_settings())


def _log(message: str) -> None:
    get_run_logger().info(message)


@task(name="build-and-distribute", retries=2, retry_delay_seconds=30, timeout_seconds=1800, cache_policy=NO_CACHE)
def distribute_task(services: Services, city: City, campaign: str, department: str | None, deadline: dt.date | None) -> int:
    built = steps.build_surveys(services, city=city, campaign=campaign, department=department, distribute=True,
                                deadline=deadline, progress=_log)
    return len(built)


@task(name="collect", retries=2, retry_delay_seconds=60, timeout_seconds=3600, cache_policy=NO_CACHE)
def collect_task(services: Services) -> dict[str, Any]:
    summary = steps.collect(services, from_share=True, validate=False, progress=_log)
    return {"totals": summary.totals, "feedback": len(summary.feedback),
            "outcomes": [o for o in summary.outcomes if o.status in ("read", "rejected")]}


@task(name="feedback", retries=2, retry_delay_seconds=30, timeout_seconds=1800, cache_policy=NO_CACHE)
def feedback_task(services: Services, outcomes: list[Any]) -> int:
    return len(steps.send_feedback(services, outcomes, progress=_log))


@task(name="validate", timeout_seconds=3600, cache_policy=NO_CACHE)
def validate_task(services: Services, city: City | None, force: bool = True) -> dict[str, Any]:
    return steps.validate_step(services, city=city, force=force, progress=_log)


@task(name="quality", retries=1, timeout_seconds=3600, cache_policy=NO_CACHE)
def quality_task(services: Services, city: City | None, online: bool) -> Any:
    return steps.quality_step(services, city=city, online=online, progress=_log)


@task(name="report", retries=1, timeout_seconds=1800, cache_policy=NO_CACHE)
def report_task(services: Services, campaign: str | None) -> list[str]:
    """The campaign report (HTML and xlsx per city and for all three), attached to the run."""
    from flows.steps.report import report_step

    written = report_step(services, campaign=campaign, progress=_log)
    create_markdown_artifact(key="campaign-report", markdown=written.markdown)
    return [str(p) for p in written.paths]


def _unreachable(_task: Any, _run: Any, state: Any) -> bool:
    """Retry a harvest only when its source could not be reached (a bad address or file will not heal)."""
    from connectors.harvest.http import SourceUnavailable

    try:
        state.result()
    except SourceUnavailable:
        return True
    except Exception:
        return False
    return False


@task(name="harvest-source", retries=2, retry_delay_seconds=120, retry_condition_fn=_unreachable,
      timeout_seconds=3600, cache_policy=NO_CACHE)
def harvest_task(services: Services, config: Any, full: bool) -> dict[str, Any]:
    from flows.steps.harvest import run_source

    return run_source(services, config, full=full, progress=_log).summary()


@task(name="publish", tags=["ckan-writes"], retries=2, retry_delay_seconds=300, timeout_seconds=7200,
      cache_policy=NO_CACHE)
def publish_task(services: Services, city: City | None, dry_run: bool, verify: bool = False) -> dict[str, Any]:
    """Publish to the city's portal. Tagged ``ckan-writes``: `prefect concurrency-limit create ckan-writes 1`
    caps portal writes across all workers; a rerun after a failure continues without duplicates. With
    ``verify`` the portal's DCAT is read and checked afterwards (as ``inventur publish --verify``)."""
    from flows.steps.publish import publish

    return publish(services, city=city, dry_run=dry_run, progress=_log, verify=verify).as_record()


def _publish_markdown(record: dict[str, Any]) -> str:
    lines = ["# Publish summary" + (" (dry run)" if record.get("dry_run") else ""), "",
             "| portal | created | updated | withdrawn | restored | unchanged | failed | skipped | writes |",
             "|---|---|---|---|---|---|---|---|---|"]
    for portal in record.get("portals", []):
        c = portal.get("counts", {})
        lines.append(f"| {portal.get('portal')} | " + " | ".join(str(c.get(k, 0)) for k in (
            "created", "updated", "withdrawn", "restored", "unchanged", "failed", "skipped")) + f" | {portal.get('writes', 0)} |")
    for portal in record.get("portals", []):
        links = [i for i in portal.get("items", []) if i.get("link") and i.get("result") in ("created", "updated", "restored")]
        if links:
            lines += ["", f"Changed on {portal.get('portal')}:"]
            lines += [f"- [{i.get('identifier')}]({i['link']}) {i.get('result')}" for i in links[:50]]
            if len(links) > 50:
                lines.append(f"- ... and {len(links) - 50} more")
    for portal in record.get("portals", []):
        verified = portal.get("verification")
        if not verified:
            continue
        lines += ["", f"Verified against the portal's DCAT ({', '.join(verified.get('profiles') or []) or 'no shapes'}): "
                  + ("as published" if verified.get("ok") else "**problems**"),
                  f"{verified.get('datasets')} datasets, {len(verified.get('missing') or [])} missing, "
                  f"{verified.get('differences')} differences, violations {verified.get('violations') or {}}, "
                  f"caused inside the extensions {verified.get('upstream_violations') or {}}"]
        lines += [f"- {e['identifier']}: " + "; ".join(
            (["missing"] if not e["found"] else []) + e["differences"][:3] + e["violations"][:3])
            for e in (verified.get("entries") or [])[:50]]
    return "\n".join(lines)


@task(name="campaign-progress", cache_policy=NO_CACHE)
def progress_artifacts(services: Services, city: City | None, campaign: str | None) -> list[dict[str, Any]]:
    """Campaign progress per city as table artifacts (one row per department)."""
    from catalog.localtime import local_text
    from survey.campaign import campaign_progress

    with services.store.session() as session:
        progress = campaign_progress(session, services.organisation, city=city, campaign=campaign)
    rates = []
    for c in progress:
        rows = [{"Dienststelle": d.department, "Name": d.name, "Stand": d.state, "versandt": d.sent,
                 "zurück": d.returned, "abgelehnt": d.rejected, "Einträge": d.entries, "offene Fehler": d.open_errors,
                 "letzte Rückgabe": local_text(d.last_return, clock=False) if d.last_return else ""}
                for d in c.departments]
        create_table_artifact(key=f"campaign-progress-{c.city}", table=rows,
                              description=f"Kampagnenstand {c.city}: {c.returned} von {c.sent} Dienststellen "
                                          f"haben geantwortet ({c.response_rate:.0%})")
        rates.append({"city": c.city, "sent": c.sent, "returned": c.returned, "response_rate": round(c.response_rate, 3)})
    return rates


def _findings_markdown(validation: dict[str, Any]) -> str:
    lines = [f"# Findings\n\n{validation.get('checked', 0)} entries checked, {validation.get('findings', 0)} findings.\n",
             "| severity | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(validation.get("by_severity", {}).items())]
    lines += ["", "| code | count |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in sorted(validation.get("by_code", {}).items(), key=lambda kv: -kv[1])]
    if validation.get("docs"):
        lines += ["", f"Data Docs: `{validation['docs']}`"]
    return "\n".join(lines)


def _quality_markdown(report: Any) -> str:
    lines = ["# Quality (MQA, 405 points)", "", "| city | entries | mean | excellent | good | sufficient | bad | weakest |",
             "|---|---|---|---|---|---|---|---|"]
    for city, group in sorted(report.cities.items()):
        bands = [group.bands.get(b, 0) for b in ("excellent", "good", "sufficient", "bad")]
        weakest = ", ".join(f"{n} ({s:.0%} missed)" for n, s, _p in group.weakest())
        lines.append(f"| {city} | {group.entries} | {group.mean:.0f} | " + " | ".join(map(str, bands)) + f" | {weakest} |")
    return "\n".join(lines)


@flow(name="distribute-survey", log_prints=True)
def distribute_survey(campaign: str, city: City | None = None, department: str | None = None,
                      deadline: dt.date | None = None) -> dict[str, int]:
    """Build the signed survey workbooks of a campaign and put them into the departments' outboxes."""
    services = _services()
    cities = [city] if city else list(CITIES)
    built: dict[str, int] = {c: distribute_task(services, c, campaign, department if city else None, deadline)
                             for c in cities}
    progress_artifacts(services, city, campaign)
    services.close()
    return built


@flow(name="collect-responses", log_prints=True)
def collect_responses(campaign: str | None = None) -> dict[str, Any]:
    """Collect the returned workbooks from the departments' inboxes, validate, send feedback."""
    services = _services()
    collected = collect_task(services)
    validation = validate_task(services, None) if collected["outcomes"] else {}
    sent = feedback_task(services, collected["outcomes"])
    if validation:
        create_markdown_artifact(key="findings-summary", markdown=_findings_markdown(validation))
    rates = progress_artifacts(services, None, campaign)
    reports = report_task(services, campaign) if collected["outcomes"] else []
    services.close()
    return {"collected": collected["totals"], "feedback": sent, "validation": validation, "response_rates": rates,
            "reports": reports}


@flow(name="validate-inventory", log_prints=True)
def validate_inventory(city: City | None = None, quality: bool = True, online: bool = True,
                       force: bool = False) -> dict[str, Any]:
    """Validate the inventory (and score its quality), leaving findings and quality summaries. Without
    ``force`` the validation is skipped when nothing changed since the last run of the day."""
    services = _services()
    validation = validate_task(services, city, force)
    create_markdown_artifact(key="findings-summary", markdown=_findings_markdown(validation))
    result: dict[str, Any] = {"validation": validation}
    if quality:
        report: Any = quality_task(services, city, online)
        create_markdown_artifact(key="quality-summary", markdown=_quality_markdown(report))
        result["quality"] = {c: g.as_dict() for c, g in report.cities.items()}
        result["reports"] = report_task(services, None)
    services.close()
    return result


@flow(name="publish-catalog", log_prints=True)
def publish_catalog(city: City | None = None, dry_run: bool = False, verify: bool = True) -> dict[str, Any]:
    """Publish the approved entries (of one city, or all) to CKAN: create / update / withdraw / unchanged;
    then (``verify``) read the portal's DCAT as GovData does and check it against the export."""
    services = _services()
    record = publish_task(services, city, dry_run, verify)
    create_markdown_artifact(key=f"publish-summary-{city or 'all'}", markdown=_publish_markdown(record))
    services.close()
    return record


@flow(name="harvest-sources", log_prints=True)
def harvest_sources(names: list[str] | None = None, due_only: bool = True, full: bool = False) -> dict[str, Any]:
    """Harvest the configured sources (INVENTUR_SOURCES_FILE): with ``due_only`` those whose own cron
    ``schedule`` fired since their last harvest; a failing source does not stop the others; validate once."""
    from connectors.harvest.sources import select_sources
    from flows.steps.harvest import due_sources, load_harvest_sources

    services = _services()
    if services.settings.sources_file is None:
        _log("no sources file configured (INVENTUR_SOURCES_FILE): nothing to harvest")
        services.close()
        return {"sources": {}, "failed": {}}
    configs = select_sources(load_harvest_sources(services), names)
    if due_only:
        configs = due_sources(services, configs)
    done: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for config in configs:
        try:
            done[config.name] = harvest_task(services, config, full)
        except Exception as exc:  # one source's failure is reported, the others still run
            failed[config.name] = str(exc)
            get_run_logger().error(f"{config.name}: {exc}")
    changed = any((s.get("created") or 0) + (s.get("updated") or 0) + len(s.get("gone") or []) for s in done.values())
    validation = validate_task(services, None, True) if changed else {}
    rows = [{"Quelle": n, **{k: v for k, v in s.items() if isinstance(v, (int, str))}} for n, s in done.items()]
    rows += [{"Quelle": n, "Fehler": e} for n, e in failed.items()]
    if rows:
        create_table_artifact(key="harvest-summary", table=rows, description="Harvest der konfigurierten Quellen")
        from flows.steps.harvest import report_markdown

        create_markdown_artifact(key="harvest-report", markdown=report_markdown(
            {"sources": list(done.values()), "failed": [{"name": n, "error": e} for n, e in failed.items()]}))
    services.close()
    return {"sources": done, "failed": failed, "validation": validation}


@flow(name="nightly", log_prints=True)
def nightly(quality: bool = False, online: bool = True, publish: bool = True, verify: bool = False) -> dict[str, Any]:
    """The nightly run: collect the returns, harvest the due sources, validate what changed, and publish
    what was approved (when a portal is configured); the quality score with its URL checks runs in the
    per-city validation deployments, the verification of the portal's DCAT in the per-city publication."""
    collected = collect_responses()
    harvested = harvest_sources(due_only=True)
    checked = validate_inventory(quality=quality, online=online)
    published: dict[str, Any] = {}
    settings = load_settings()
    if publish and (settings.ckan_url or any(settings.city(c).ckan_url for c in CITIES)):
        published = publish_catalog(verify=verify)
    return {"collect": collected, "harvest": harvested, "validate": checked, "publish": published}
