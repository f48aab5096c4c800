"""Benchmark of ``catalog.validation.suite.validate_records`` on a campaign-sized inventory.

Generates 12,000 realistic normalised entries of the three cities (about one in five with faults:
missing fields, unknown codes, bad e-mail addresses and URLs, dates in the wrong order or the future,
personal data marked public, duplicate identifiers and titles), then times:

- the baseline: pandas reading the same records into a data frame (from the records in memory, and
  from the JSON Lines file ``inventur export --format jsonl`` would write);
- ``validate_records`` (all rules, complete results, cross-entry checks), once cold (first run after
  the import) and once warm; Great Expectations' import is timed separately.

Run: ``.venv/bin/python bench/bench_validation.py [--records N] [--docs DIR]``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

EU = "http://publications.europa.eu/resource/authority/"
LICENSES = "http://dcat-ap.de/def/licenses/"
GEOCODING = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/"
SUBJECTS = [
    "Baumkataster", "Bebauungspläne", "Haushaltsplan", "Wahlergebnisse", "Parkhäuser", "Radverkehrszählung",
    "Schulen", "Kindertagesstätten", "Luftmessstationen", "Lärmkarte", "Friedhöfe", "Spielplätze",
    "Denkmalliste", "Bevölkerungsstatistik", "Gewerbeanmeldungen", "Straßenverzeichnis", "Hundesteuer",
    "Wertstoffhöfe", "Baustellen", "Ladesäulen", "Bibliotheksbestand", "Sportstätten", "Trinkbrunnen",
    "Grünflächen", "Verkehrsunfälle", "Haltestellen", "Bodenrichtwerte", "Stadtratsbeschlüsse",
    "Museumsbesuche", "Hochwassergefahrenkarte", "Solarpotenzial", "Wohnungsmarktbericht",
]
QUALIFIERS = [
    "", "", "", "nach Stadtbezirken", "Standorte", "Jahreswerte", "Monatswerte", "Übersicht", "Bestand",
    "Entwicklung", "Verzeichnis", "Auswertung", "Prognose", "historisch",
]
SYSTEMS = ["SAP", "GIS", "Fachverfahren OK.VERKEHR", "Excel", "Access-Datenbank", "ArcGIS", "VOIS", "", ""]
FREQUENCIES = ["CONT", "DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "ANNUAL", "IRREG", "NEVER", "UNKNOWN"]
THEMES = ["ECON", "EDUC", "ENVI", "GOVE", "HEAL", "REGI", "SOCI", "TRAN", "ENER", "JUST"]
FORMATS = ["CSV", "XLSX", "JSON", "GEOJSON", "XML", "SHP", "GPKG", "WMS_SRVC", "WFS_SRVC", "PDF"]
OPEN = ["dl-zero-de/2.0", "dl-by-de/2.0", "cc-by/4.0", "cc-zero", "officialWork"]
ATTRIBUTION = {"dl-by-de/2.0", "cc-by/4.0"}
CITIES = {"muenchen": ("M", "09162000"), "augsburg": ("A", "09761000"), "nuernberg": ("N", "09564000")}
FAULTS = [
    "no-title", "no-description", "short-description", "bad-theme", "bad-email", "no-email", "bad-url",
    "date-order", "future", "early", "personal-public", "restricted-no-reason", "public-no-license",
    "no-attribution", "closed-license", "third-party", "duplicate-identifier", "bad-format", "long-title",
]


def _departments() -> dict[str, list[str]]:
    from catalog.organisation import load_organisation

    organisation = load_organisation()
    return {city: [d.code for d in organisation.departments_of(city)] for city in CITIES}


def _good(rng: random.Random, n: int, city: str, department: str) -> dict[str, Any]:
    prefix, ags = CITIES[city]
    subject = rng.choice(SUBJECTS)
    title = f"{subject} {rng.choice(QUALIFIERS)}".strip()
    if rng.random() < 0.3:
        title += f" {rng.randint(2005, 2025)}"
    access = rng.choices(["PUBLIC", "RESTRICTED", "NON_PUBLIC"], weights=[6, 2, 1])[0]
    license_ = rng.choice(OPEN) if access == "PUBLIC" else None
    start = rng.randint(1990, 2022)
    return {
        "identifier": f"{prefix}-{n:06d}",
        "city": city,
        "department": department,
        "title": title,
        "description": f"{subject}: Datenbestand der Dienststelle {department} mit Angaben aus dem Fachverfahren, "
        f"laufend gepflegt und für Auswertungen genutzt.",
        "theme": [EU + "data-theme/" + t for t in rng.sample(THEMES, rng.randint(1, 2))],
        "keywords": rng.sample(["Umwelt", "Verkehr", "Statistik", "Planung", "Bürger", "Karte", "Soziales"], 2),
        "data_kind": rng.choice(["statistics", "geodata", "register", "sensor", "finance", "documents", None]),
        "source_system": rng.choice(SYSTEMS) or None,
        "contact_name": f"Sachgebiet {department}",
        "contact_email": f"{department.lower()}.daten@{city}.de",
        "personal_data": rng.choices(["no", "anonymised", "yes"], weights=[8, 2, 1])[0],
        "third_party_rights": "no",
        "access_rights": EU + "access-right/" + access,
        "restriction_reason": None if access == "PUBLIC" else "Datenschutz",
        "license": LICENSES + license_ if license_ else None,
        "attribution": f"Stadt {city.capitalize()}, {department}" if license_ in ATTRIBUTION else None,
        "formats": [EU + "file-type/" + f for f in rng.sample(FORMATS, rng.randint(1, 3))],
        "access_url": f"https://opendata.{city}.de/dataset/{n}" if access == "PUBLIC" else None,
        "frequency": EU + "frequency/" + rng.choice(FREQUENCIES),
        "temporal_start": f"{start}-01-01",
        "temporal_end": f"{rng.randint(start, 2025)}-12-31",
        "spatial": GEOCODING + ags if rng.random() < 0.9 else None,
        "last_updated": f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "hvd_category": None,
        "publish_proposal": rng.choice(["yes", "no", "later"]),
        "remarks": None,
        "status": "received",
        "quality_score": None,
        "_file": f"{city}_{department}_2026.xlsx",
        "_sheet": "Datenbestände",
        "_row": 2 + n % 500,
    }


def _break(record: dict[str, Any], fault: str) -> None:
    """Put one fault into a record (see FAULTS)."""
    public = EU + "access-right/PUBLIC"
    changes: dict[str, dict[str, Any]] = {
        "no-title": {"title": None},
        "no-description": {"description": ""},
        "short-description": {"description": "Daten"},
        "bad-theme": {"theme": [*record["theme"], "Umwelt und so"]},
        "bad-email": {"contact_email": "poststelle(at)stadt.de"},
        "no-email": {"contact_email": None},
        "bad-url": {"access_url": "www.stadt/daten"},
        "date-order": {"temporal_start": "2024-01-01", "temporal_end": "2019-12-31"},
        "future": {"last_updated": "2031-05-01"},
        "early": {"temporal_start": "0202-01-01"},
        "personal-public": {"personal_data": "yes", "access_rights": public, "license": LICENSES + "cc-zero"},
        "restricted-no-reason": {"access_rights": EU + "access-right/RESTRICTED", "restriction_reason": None},
        "public-no-license": {"access_rights": public, "license": None, "restriction_reason": None},
        "no-attribution": {"access_rights": public, "license": LICENSES + "dl-by-de/2.0", "attribution": None},
        "closed-license": {"access_rights": public, "license": LICENSES + "other-closed"},
        "third-party": {"third_party_rights": "unclear"},
        "duplicate-identifier": {"identifier": "M-000001"},
        "bad-format": {"formats": ["Excel-Tabelle"]},
        "long-title": {"title": "Sehr langer Titel " * 15},
    }
    record.update(changes[fault])


def generate(count: int, seed: int = 4) -> list[dict[str, Any]]:
    """``count`` records spread over the three cities and their departments; about 20 % carry faults."""
    rng = random.Random(seed)
    departments = _departments()
    records = []
    for n in range(count):
        city = rng.choices(list(CITIES), weights=[5, 2, 3])[0]
        record = _good(rng, n, city, rng.choice(departments[city]))
        if rng.random() < 0.2:
            for fault in rng.sample(FAULTS, rng.randint(1, 3)):
                _break(record, fault)
        records.append(record)
    return records


def _timed(label: str, action: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - started
    print(f"  {label:<52} {seconds:8.3f} s")
    return value, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=12_000)
    parser.add_argument("--docs", type=Path, default=None, help="also build Data Docs into this folder")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results") / "validation.json")
    args = parser.parse_args()

    records = generate(args.records)
    print(f"{len(records):,} records generated")

    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / "export.jsonl"
        jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
        print("baseline:")
        _, in_memory = _timed("pandas: DataFrame(records)", lambda: pd.DataFrame(records))
        _, from_file = _timed("pandas: read_json(export.jsonl, lines=True)", lambda: pd.read_json(jsonl, lines=True))

    from catalog.validation.suite import validate_records

    print("validation:")
    _timed("import great_expectations (once per process)", lambda: __import__("great_expectations"))
    cold, cold_s = _timed("validate_records, first run", lambda: validate_records(records))
    warm, warm_s = _timed("validate_records, second run", lambda: validate_records(records))
    if args.docs is not None:
        run = f"bench-{time.strftime('%Y%m%dT%H%M%S')}"
        docs, _ = _timed(
            "validate_records with Data Docs",
            lambda: validate_records(records, docs_dir=args.docs, run_name=run),
        )
        print(f"  Data Docs: {docs.docs_index}")
    assert len(cold.findings) == len(warm.findings)

    print("result:")
    print(f"  {warm.checked:,} records, {len(warm.findings):,} findings")
    for code, n in sorted(warm.counts().items(), key=lambda item: -item[1]):
        print(f"    {code:<30} {n:6,}")
    print("figures:")
    print(f"  validation (warm): {warm_s:.2f} s = {warm.checked / warm_s:,.0f} records/s")
    print(f"  validation (cold): {cold_s:.2f} s = {cold.checked / cold_s:,.0f} records/s")
    print(f"  ratio to pandas DataFrame(records):      {warm_s / in_memory:8.1f} x  ({in_memory:.3f} s)")
    print(f"  ratio to pandas read_json(export.jsonl): {warm_s / from_file:8.1f} x  ({from_file:.3f} s)")
    counts = Counter(f.severity for f in warm.findings)
    print(f"  findings by severity: {dict(counts)}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({
        "records": warm.checked, "findings": len(warm.findings), "validate_warm_s": round(warm_s, 3),
        "validate_cold_s": round(cold_s, 3), "records_per_s": round(warm.checked / warm_s),
        "baseline_dataframe_s": round(in_memory, 4), "baseline_read_json_s": round(from_file, 4),
        "ratio_to_dataframe": round(warm_s / in_memory, 1), "ratio_to_read_json": round(warm_s / from_file, 1),
    }, indent=2))
    print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
