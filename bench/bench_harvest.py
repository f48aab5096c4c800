"""Benchmark: harvesting a delivered DCAT catalog, and what recognising datasets across sources costs.

    .venv/bin/python bench/bench_harvest.py [--datasets 5000] [--repeat 3] [--json FILE]

A catalog of ``--datasets`` datasets in the shape of ``tests/data/harvest/delivered/augsburg.ttl`` (e-mails
without mailto:, media types, older categories, an invalid xsd:dateTime, ...) is written as Turtle and as
RDF/XML. Timed on SQLite, in pages of 1,000 as the connector yields them: reading (parsing and mapping)
each syntax; the first harvest of the Turtle; an unchanged rerun; the RDF/XML as a second source (every
record merged into the Turtle's entries, nothing written). Baseline in the same run: the same records
harvested without their keys (identity by source and remote id only, as before datasets were recognised
across sources); the figures are the ratios keyed / keyless of the process's CPU time (the machine is
shared, so wall time also measures the neighbours; it is printed beside), and records per second. Each
step runs ``--repeat`` times on fresh stores, keyed and keyless alternating, and counts its fastest run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAGE = 1000


def catalog(count: int) -> tuple[bytes, bytes]:
    """The catalog as Turtle and as RDF/XML (the same graph)."""
    from rdflib import Graph

    import connectors.harvest.dcat  # noqa: F401  (rdflib's logger silenced, as in a harvest)

    head = (Path(__file__).resolve().parents[1] / "tests" / "data" / "harvest" / "delivered" / "augsburg.ttl")
    prefixes = "".join(line + "\n" for line in head.read_text(encoding="utf-8").splitlines() if line.startswith("@prefix"))
    parts = [prefixes]
    themes = ["<http://dcat-ap.de/def/dcatde/1_0/group/verwaltung>", "<https://opendata.example.de/kategorie/transport-und-verkehr>",
              "<http://publications.europa.eu/resource/authority/data-theme/ENVI>"]
    formats = ['dct:format "text/csv"', "dct:format <http://publications.europa.eu/resource/authority/file-type/WMS>",
               "dcat:mediaType <https://www.iana.org/assignments/media-types/application/pdf>", ""]
    for i in range(count):
        ds = f"<https://opendata.example.de/dataset/ds-{i:06d}>"
        modified = '"2021-01-28 GMT 01:51:03"^^xsd:dateTime' if i % 7 == 0 else f'"2024-{1 + i % 12:02d}-15"^^xsd:date'
        parts.append(
            f'{ds} a dcat:Dataset ; dct:title "Datensatz {i}"@de ;\n'
            f'  dct:description "Beschreibung des Datensatzes {i} mit genug Worten für eine Beschreibung."@de ;\n'
            f'  dct:identifier "ds-{i:06d}-augsburg" ; dcat:theme {themes[i % 3]} ; dcat:keyword "Wort{i % 50}"@de ;\n'
            f'  dct:publisher [ a foaf:Organization ; foaf:name "Amt {i % 20}" ] ;\n'
            f'  dcat:contactPoint [ a vcard:Organization ; vcard:fn "Stelle" ; vcard:hasEmail <amt{i % 20}@augsburg.de> ] ;\n'
            f"  dct:accrualPeriodicity <http://publications.europa.eu/resource/authority/frequency/IRREGULAR> ;\n"
            f"  dct:modified {modified} ;\n"
            f"  dcatde:politicalGeocodingURI <http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09761000> ;\n"
            f"  dcat:distribution {ds[:-1]}/d> .\n"
            f"{ds[:-1]}/d> a dcat:Distribution ; {formats[i % 4] + ' ;' if formats[i % 4] else ''}\n"
            f"  dct:license <https://www.dcat-ap.de/def/licenses/dl-by-de/2.0> ;\n"
            f"  dcat:downloadURL <https://opendata.example.de/files/ds-{i:06d}.geojson> .\n"
        )
    turtle = "".join(parts).encode("utf-8")
    graph = Graph()
    graph.parse(data=turtle, format="turtle")
    return turtle, graph.serialize(format="xml").encode("utf-8")


def read(path: Path) -> tuple[list[list], float]:
    from catalog.organisation import load_organisation
    from connectors.harvest.dcat import DcatSource

    started = time.process_time()
    source = DcatSource(str(path), city=load_organisation().city("augsburg"), max_bytes=1 << 30)
    records = [r for page in source.pages() for r in page]
    seconds = time.process_time() - started
    return [records[i:i + PAGE] for i in range(0, len(records), PAGE)], seconds


def harvest(url: str, pages: list[list], source: str) -> tuple[tuple[float, float], dict]:
    from catalog.harvest import HarvestTarget, harvest_records
    from catalog.organisation import load_organisation
    from catalog.store import Store

    store = Store.open(url)
    target = HarvestTarget(source=source, kind="dcat", city="augsburg", department="STAT")
    started, cpu = time.perf_counter(), time.process_time()
    report = harvest_records(store, load_organisation(), target, pages)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    return (seconds, cpu), {k: report.summary()[k] for k in ("records", "created", "updated", "unchanged", "merged", "duplicates")}


def run(count: int, repeat: int) -> dict:
    figures: dict = {"datasets": count, "python": platform.python_version(), "machine": platform.machine()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        turtle, xml = catalog(count)
        (folder / "catalog.ttl").write_bytes(turtle)
        (folder / "catalog.rdf").write_bytes(xml)
        ttl_pages, figures["read_turtle_cpu_s"] = read(folder / "catalog.ttl")
        rdf_pages, figures["read_rdfxml_cpu_s"] = read(folder / "catalog.rdf")
        keyless = {name: [[dataclasses.replace(r, keys=()) for r in page] for page in pages]
                   for name, pages in (("ttl", ttl_pages), ("rdf", rdf_pages))}
        for attempt in range(repeat):
            for mode, pages in (("keyed", {"ttl": ttl_pages, "rdf": rdf_pages}), ("keyless", keyless)):
                url = f"sqlite:///{folder / mode}-{attempt}.db"
                first, first_report = harvest(url, pages["ttl"], "file:///catalog.ttl")
                again, again_report = harvest(url, pages["ttl"], "file:///catalog.ttl")
                second, second_report = harvest(url, pages["rdf"], "file:///catalog.rdf")
                best = figures.setdefault(mode, {})
                for step, (wall, cpu) in (("first", first), ("unchanged", again), ("second_source", second)):
                    best[f"{step}_s"] = round(min(best.get(f"{step}_s", wall), wall), 2)
                    best[f"{step}_cpu_s"] = round(min(best.get(f"{step}_cpu_s", cpu), cpu), 2)
                best.update(first=first_report, unchanged=again_report, second_source=second_report)
    keyed, keyless_f = figures["keyed"], figures["keyless"]
    figures["ratios_keyed_to_keyless"] = {
        step: round(keyed[f"{step}_cpu_s"] / keyless_f[f"{step}_cpu_s"], 2) for step in ("first", "unchanged", "second_source")}
    figures["records_per_cpu_s"] = {
        "read_turtle": round(count / figures["read_turtle_cpu_s"]),
        "read_rdfxml": round(count / figures["read_rdfxml_cpu_s"]),
        **{step: round(count / keyed[f"{step}_cpu_s"]) for step in ("first", "unchanged", "second_source")}}
    figures["read_turtle_cpu_s"] = round(figures["read_turtle_cpu_s"], 2)
    figures["read_rdfxml_cpu_s"] = round(figures["read_rdfxml_cpu_s"], 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, default=Path(__file__).with_name("results") / "harvest.json")
    args = parser.parse_args()
    figures = run(args.datasets, args.repeat)
    keyed, keyless = figures["keyed"], figures["keyless"]
    print(f"{args.datasets} datasets; reading (CPU): Turtle {figures['read_turtle_cpu_s']} s, "
          f"RDF/XML {figures['read_rdfxml_cpu_s']} s")
    for step, label in (("first", "first harvest"), ("unchanged", "unchanged rerun"), ("second_source", "second syntax")):
        print(f"{label:16} CPU keyed {keyed[step + '_cpu_s']:6.2f} s, keyless {keyless[step + '_cpu_s']:6.2f} s: "
              f"ratio {figures['ratios_keyed_to_keyless'][step]:.2f} ({figures['records_per_cpu_s'][step]} records/CPU-s); "
              f"wall {keyed[step + '_s']:.2f} / {keyless[step + '_s']:.2f} s")
    print(f"second syntax, keyed:   {keyed['second_source']}")
    print(f"second syntax, keyless: {keyless['second_source']}")
    args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
