"""Simulated survey returns: what data officers type into the workbook, deterministic by seed.

Used by the demo, the benchmarks and the robustness tests. Each department answers with data holdings
that fit its remit (a statistics office has statistics, a civil engineering office has traffic data),
written partly as offered in the drop-downs and partly as people really write them (SURVEY.md, "What
comes back"), with a share of rows that cannot be read without asking back, and optionally bad files.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from catalog.fields import FIELDS
from catalog.organisation import City, Department, Organisation

# (title, description, theme label, data kind, formats, frequency, HVD, keywords, personal data, access)
_HOLDINGS: dict[str, list[tuple[str, str, str, str, str, str, str, str, str, str]]] = {
    "statistik": [
        ("Bevölkerungsstand nach Stadtbezirken", "Einwohnerinnen und Einwohner mit Hauptwohnsitz nach Stadtbezirk, Alter und Geschlecht zum Jahresende.", "Bevölkerung und Gesellschaft", "Statistik", "CSV; XLSX", "jährlich", "Statistik", "Bevölkerung; Einwohner; Stadtbezirke", "anonymisiert", "öffentlich"),
        ("Wahlergebnisse der Kommunalwahl", "Stimmen und Sitzverteilung der Stadtratswahl nach Wahlbezirken.", "Regierung und öffentlicher Sektor", "Statistik", "CSV; JSON", "einmalig", "Statistik", "Wahlen; Stadtrat", "nein", "öffentlich"),
        ("Geburten und Sterbefälle", "Natürliche Bevölkerungsbewegung nach Monaten und Stadtbezirken.", "Bevölkerung und Gesellschaft", "Statistik", "CSV", "monatlich", "Statistik", "Geburten; Sterbefälle", "anonymisiert", "öffentlich"),
        ("Statistisches Jahrbuch", "Tabellenteil des Statistischen Jahrbuchs mit allen Sachgebieten.", "Regierung und öffentlicher Sektor", "Dokumente und Berichte", "PDF; XLSX", "jährlich", "Statistik", "Jahrbuch; Statistik", "nein", "öffentlich"),
        ("Wanderungsbewegungen", "Zu- und Fortzüge über die Stadtgrenze und innerhalb der Stadt.", "Bevölkerung und Gesellschaft", "Statistik", "CSV", "vierteljährlich", "Statistik", "Umzüge; Wanderung", "anonymisiert", "öffentlich"),
        ("Mikrodaten der Bürgerumfrage", "Einzelantworten der Bürgerumfrage, nur für wissenschaftliche Zwecke.", "Bevölkerung und Gesellschaft", "Statistik", "CSV", "unregelmäßig", "keine", "Umfrage", "ja", "nicht öffentlich"),
    ],
    "geo": [
        ("Stadtbezirksgrenzen", "Amtliche Grenzen der Stadtbezirke und Stadtteile als Polygone.", "Regionen und Städte", "Geodaten", "GeoJSON; Shapefile; WFS", "unregelmäßig", "Georaum", "Stadtbezirke; Grenzen", "nein", "öffentlich"),
        ("Digitale Stadtkarte", "Stadtgrundkarte mit Gebäuden, Straßen und Flurstücken.", "Regionen und Städte", "Geodaten", "WMS; WMTS", "monatlich", "Georaum", "Stadtkarte; Karte", "nein", "öffentlich"),
        ("Luftbilder (Orthofotos)", "Entzerrte Luftbilder des Stadtgebiets, 10 cm Bodenauflösung.", "Regionen und Städte", "Geodaten", "WMS", "zweijährlich", "Erdbeobachtung und Umwelt", "Luftbild; Orthofoto", "nein", "öffentlich"),
        ("Straßenverzeichnis mit Hausnummern", "Alle Straßen und Hausnummern mit Koordinaten.", "Regionen und Städte", "Register / Verzeichnis", "CSV; GeoJSON", "täglich", "Georaum", "Adressen; Hausnummern", "nein", "öffentlich"),
        ("Liegenschaftskataster", "Flurstücke und Eigentumsverhältnisse aus dem Liegenschaftskataster.", "Regionen und Städte", "Register / Verzeichnis", "Shapefile", "täglich", "Georaum", "Kataster; Flurstücke", "ja", "nicht öffentlich"),
    ],
    "umwelt": [
        ("Luftmessstationen", "Stundenwerte von Stickstoffdioxid und Feinstaub der städtischen Messstationen.", "Umwelt", "Mess- und Sensordaten", "CSV; JSON", "kontinuierlich", "Erdbeobachtung und Umwelt", "Luftqualität; Feinstaub", "nein", "öffentlich"),
        ("Lärmkartierung", "Strategische Lärmkarten für Straßen- und Schienenverkehr.", "Umwelt", "Geodaten", "WMS; Shapefile", "unregelmäßig", "Erdbeobachtung und Umwelt", "Lärm; Umgebungslärm", "nein", "öffentlich"),
        ("Baumkataster", "Alle städtischen Bäume mit Art, Pflanzjahr und Standort.", "Umwelt", "Geodaten", "CSV; GeoJSON", "jährlich", "Georaum", "Bäume; Stadtgrün", "nein", "öffentlich"),
        ("Solarpotenzialkataster", "Eignung der Dachflächen für Photovoltaik und Solarthermie.", "Energie", "Geodaten", "WMS", "einmalig", "Georaum", "Solar; Dachflächen", "nein", "öffentlich"),
        ("Altlastenkataster", "Altlastverdachtsflächen mit Untersuchungsstand.", "Umwelt", "Register / Verzeichnis", "Shapefile", "unregelmäßig", "keine", "Altlasten; Boden", "nein", "eingeschränkt"),
        ("Grundwassermessstellen", "Grundwasserstände der städtischen Messstellen.", "Umwelt", "Mess- und Sensordaten", "CSV", "wöchentlich", "Erdbeobachtung und Umwelt", "Grundwasser", "nein", "öffentlich"),
    ],
    "verkehr": [
        ("Radzählstellen", "Tageswerte der automatischen Fahrradzählstellen.", "Verkehr", "Verkehrsdaten", "CSV; JSON", "täglich", "Mobilität", "Radverkehr; Zählstellen", "nein", "öffentlich"),
        ("Parkhausbelegung", "Freie Stellplätze der Parkhäuser in Echtzeit.", "Verkehr", "Verkehrsdaten", "JSON", "kontinuierlich", "Mobilität", "Parken; Parkhaus", "nein", "öffentlich"),
        ("Baustellen im Straßenraum", "Aktuelle und geplante Baustellen mit Verkehrseinschränkungen.", "Verkehr", "Verkehrsdaten", "GeoJSON", "täglich", "Mobilität", "Baustellen; Verkehr", "nein", "öffentlich"),
        ("Verkehrszählungen", "Kfz-Verkehrsmengen an Knotenpunkten.", "Verkehr", "Verkehrsdaten", "XLSX", "jährlich", "Mobilität", "Verkehrsmengen", "nein", "öffentlich"),
        ("Ladesäulen für Elektrofahrzeuge", "Standorte und Leistung öffentlicher Ladesäulen.", "Energie", "Register / Verzeichnis", "CSV; GeoJSON", "monatlich", "Mobilität", "Elektromobilität; Ladesäulen", "nein", "öffentlich"),
        ("Straßenbeleuchtung", "Leuchtenstandorte mit Leuchtmittel und Schaltzeiten.", "Energie", "Geodaten", "Shapefile", "jährlich", "keine", "Beleuchtung", "nein", "öffentlich"),
    ],
    "kultur": [
        ("Veranstaltungskalender", "Kulturveranstaltungen mit Ort, Zeit und Eintritt.", "Bildung, Kultur und Sport", "Register / Verzeichnis", "JSON; XML", "täglich", "keine", "Veranstaltungen; Kultur", "nein", "öffentlich"),
        ("Besuchszahlen der Museen", "Monatliche Besuchszahlen der städtischen Museen.", "Bildung, Kultur und Sport", "Statistik", "CSV", "monatlich", "keine", "Museen; Besuche", "nein", "öffentlich"),
        ("Bibliotheksbestand", "Medienbestand der Stadtbibliothek nach Medienart und Standort.", "Bildung, Kultur und Sport", "Statistik", "CSV", "jährlich", "keine", "Bibliothek; Medien", "nein", "öffentlich"),
        ("Denkmalliste", "Baudenkmäler mit Adresse und Beschreibung.", "Bildung, Kultur und Sport", "Register / Verzeichnis", "CSV; GeoJSON", "unregelmäßig", "keine", "Denkmal; Baudenkmäler", "nein", "öffentlich"),
        ("Archivbestände (Findbücher)", "Erschließungsdaten der Archivbestände.", "Bildung, Kultur und Sport", "Register / Verzeichnis", "XML", "unregelmäßig", "keine", "Archiv; Findbuch", "nein", "öffentlich"),
    ],
    "bildung": [
        ("Schulen", "Allgemein- und berufsbildende Schulen mit Schulart und Adresse.", "Bildung, Kultur und Sport", "Register / Verzeichnis", "CSV; GeoJSON", "jährlich", "keine", "Schulen; Bildung", "nein", "öffentlich"),
        ("Kindertageseinrichtungen", "Kitas mit Trägerschaft, Plätzen und Öffnungszeiten.", "Bildung, Kultur und Sport", "Register / Verzeichnis", "CSV", "monatlich", "keine", "Kita; Kinderbetreuung", "nein", "öffentlich"),
        ("Sportstätten", "Turnhallen, Sportplätze und Bäder mit Ausstattung.", "Bildung, Kultur und Sport", "Register / Verzeichnis", "CSV; GeoJSON", "jährlich", "keine", "Sport; Sportstätten", "nein", "öffentlich"),
        ("Schülerzahlen", "Schülerinnen und Schüler nach Schulart und Jahrgangsstufe.", "Bildung, Kultur und Sport", "Statistik", "XLSX", "jährlich", "Statistik", "Schüler; Schulstatistik", "anonymisiert", "öffentlich"),
    ],
    "sozial": [
        ("Spielplätze", "Öffentliche Spielplätze mit Ausstattung und Altersgruppen.", "Bevölkerung und Gesellschaft", "Register / Verzeichnis", "CSV; GeoJSON", "jährlich", "keine", "Spielplätze; Kinder", "nein", "öffentlich"),
        ("Leistungsbezug nach SGB XII", "Empfängerinnen und Empfänger von Sozialhilfe nach Stadtbezirk.", "Bevölkerung und Gesellschaft", "Statistik", "XLSX", "jährlich", "Statistik", "Sozialhilfe", "anonymisiert", "öffentlich"),
        ("Fallakten Jugendhilfe", "Fallbezogene Akten der Jugendhilfe.", "Bevölkerung und Gesellschaft", "Dokumente und Berichte", "PDF", "täglich", "keine", "Jugendhilfe", "ja", "nicht öffentlich"),
        ("Seniorentreffpunkte", "Begegnungsstätten für ältere Menschen mit Angeboten.", "Bevölkerung und Gesellschaft", "Register / Verzeichnis", "CSV", "jährlich", "keine", "Senioren", "nein", "öffentlich"),
    ],
    "gesundheit": [
        ("Trinkwasserbrunnen", "Öffentliche Trinkbrunnen mit Betriebszeiten.", "Gesundheit", "Register / Verzeichnis", "GeoJSON", "jährlich", "keine", "Trinkwasser; Brunnen", "nein", "öffentlich"),
        ("Badegewässerqualität", "Messwerte der Badegewässer während der Badesaison.", "Gesundheit", "Mess- und Sensordaten", "CSV", "wöchentlich", "Erdbeobachtung und Umwelt", "Badegewässer", "nein", "öffentlich"),
        ("Meldepflichtige Infektionen", "Fallzahlen meldepflichtiger Krankheiten nach Woche.", "Gesundheit", "Statistik", "CSV", "wöchentlich", "Statistik", "Infektionen", "anonymisiert", "öffentlich"),
    ],
    "sicherheit": [
        ("Einsatzstatistik der Feuerwehr", "Einsätze nach Art, Monat und Stadtbezirk.", "Justiz, Rechtssystem und öffentliche Sicherheit", "Statistik", "CSV", "monatlich", "keine", "Feuerwehr; Einsätze", "nein", "öffentlich"),
        ("Hydrantenplan", "Standorte der Löschwasserentnahmestellen.", "Justiz, Rechtssystem und öffentliche Sicherheit", "Geodaten", "Shapefile", "jährlich", "keine", "Hydranten; Löschwasser", "nein", "eingeschränkt"),
        ("Gewerbeanmeldungen", "An-, Um- und Abmeldungen von Gewerben nach Wirtschaftszweig.", "Wirtschaft und Finanzen", "Statistik", "CSV", "monatlich", "Unternehmen und Eigentümerschaft", "Gewerbe", "anonymisiert", "öffentlich"),
        ("Melderegister", "Daten der gemeldeten Einwohnerinnen und Einwohner.", "Bevölkerung und Gesellschaft", "Register / Verzeichnis", "XML", "täglich", "keine", "Meldewesen", "ja", "nicht öffentlich"),
    ],
    "finanzen": [
        ("Haushaltsplan", "Ansätze des Ergebnis- und Finanzhaushalts nach Produkten.", "Wirtschaft und Finanzen", "Finanz- und Haushaltsdaten", "CSV; XLSX", "jährlich", "keine", "Haushalt; Finanzen", "nein", "öffentlich"),
        ("Jahresabschluss", "Bilanz und Ergebnisrechnung der Stadt.", "Wirtschaft und Finanzen", "Finanz- und Haushaltsdaten", "PDF; XLSX", "jährlich", "keine", "Jahresabschluss", "nein", "öffentlich"),
        ("Zuwendungen an Vereine", "Bewilligte Zuschüsse an Vereine und Verbände.", "Wirtschaft und Finanzen", "Finanz- und Haushaltsdaten", "CSV", "jährlich", "keine", "Zuschüsse; Vereine", "nein", "öffentlich"),
        ("Steuerhebesätze", "Hebesätze für Grund- und Gewerbesteuer seit 1990.", "Wirtschaft und Finanzen", "Finanz- und Haushaltsdaten", "CSV", "jährlich", "keine", "Steuern; Hebesätze", "nein", "öffentlich"),
    ],
    "abfall": [
        ("Wertstoffhöfe", "Wertstoffhöfe mit Öffnungszeiten und angenommenen Stoffen.", "Umwelt", "Register / Verzeichnis", "CSV; GeoJSON", "jährlich", "keine", "Abfall; Wertstoffhof", "nein", "öffentlich"),
        ("Abfuhrkalender", "Abholtermine für Rest-, Bio- und Papiermüll nach Straße.", "Umwelt", "Register / Verzeichnis", "CSV; ICS", "jährlich", "keine", "Müllabfuhr; Termine", "nein", "öffentlich"),
        ("Kanalnetz", "Abwasserkanäle mit Durchmesser, Material und Baujahr.", "Umwelt", "Geodaten", "Shapefile; WMS", "jährlich", "Georaum", "Kanalnetz; Abwasser", "nein", "eingeschränkt"),
        ("Abfallmengen", "Gesammelte Abfallmengen nach Fraktion und Monat.", "Umwelt", "Statistik", "CSV", "monatlich", "keine", "Abfallmengen", "nein", "öffentlich"),
    ],
    "planung": [
        ("Bebauungspläne", "Rechtskräftige Bebauungspläne mit Geltungsbereich.", "Regionen und Städte", "Geodaten", "WMS; PDF", "unregelmäßig", "Georaum", "Bebauungsplan; Bauleitplanung", "nein", "öffentlich"),
        ("Flächennutzungsplan", "Darstellungen des wirksamen Flächennutzungsplans.", "Regionen und Städte", "Geodaten", "WMS", "unregelmäßig", "Georaum", "Flächennutzung", "nein", "öffentlich"),
        ("Baugenehmigungen", "Erteilte Baugenehmigungen nach Gebäudeart.", "Regionen und Städte", "Statistik", "CSV", "vierteljährlich", "Statistik", "Bauen; Genehmigungen", "anonymisiert", "öffentlich"),
        ("Energieverbrauch städtischer Gebäude", "Strom-, Wärme- und Wasserverbrauch je Gebäude.", "Energie", "Mess- und Sensordaten", "CSV", "monatlich", "keine", "Energie; Gebäude", "nein", "öffentlich"),
    ],
    "wirtschaft": [
        ("Wochenmärkte", "Märkte mit Standort, Markttagen und Angebot.", "Wirtschaft und Finanzen", "Register / Verzeichnis", "CSV", "jährlich", "keine", "Märkte", "nein", "öffentlich"),
        ("Gewerbeflächen", "Verfügbare Gewerbeflächen mit Größe und Erschließung.", "Wirtschaft und Finanzen", "Geodaten", "GeoJSON", "vierteljährlich", "keine", "Gewerbeflächen; Wirtschaft", "nein", "öffentlich"),
        ("Arbeitsmarktdaten", "Sozialversicherungspflichtig Beschäftigte nach Branche.", "Wirtschaft und Finanzen", "Statistik", "XLSX", "vierteljährlich", "Statistik", "Arbeitsmarkt", "anonymisiert", "öffentlich"),
    ],
    "verwaltung": [
        ("Stadtratsbeschlüsse", "Beschlüsse des Stadtrats und seiner Ausschüsse.", "Regierung und öffentlicher Sektor", "Dokumente und Berichte", "PDF; XML", "wöchentlich", "keine", "Stadtrat; Beschlüsse", "nein", "öffentlich"),
        ("Öffentliche WLAN-Hotspots", "Standorte des kostenlosen städtischen WLANs.", "Wissenschaft und Technologie", "Register / Verzeichnis", "CSV; GeoJSON", "monatlich", "keine", "WLAN; Digitalisierung", "nein", "öffentlich"),
        ("Personalstatistik", "Beschäftigte der Stadtverwaltung nach Laufbahn und Alter.", "Regierung und öffentlicher Sektor", "Statistik", "XLSX", "jährlich", "keine", "Personal", "anonymisiert", "öffentlich"),
        ("Öffentliche Toiletten", "Standorte, Barrierefreiheit und Öffnungszeiten.", "Gesundheit", "Register / Verzeichnis", "CSV; GeoJSON", "jährlich", "keine", "Toiletten; Barrierefreiheit", "nein", "öffentlich"),
        ("Bürgerbüros und Wartezeiten", "Standorte der Bürgerbüros mit mittleren Wartezeiten.", "Regierung und öffentlicher Sektor", "Mess- und Sensordaten", "JSON", "täglich", "keine", "Bürgerbüro; Wartezeit", "nein", "öffentlich"),
    ],
}

_REMIT = [
    ("statistik", ("statist", "stadtforschung")),
    ("geo", ("geo", "vermessung", "kataster", "kommunal")),
    ("umwelt", ("umwelt", "klima", "grün", "gartenbau", "naturschutz")),
    ("verkehr", ("verkehr", "mobilit", "tiefbau", "straß", "öffentlicher raum", "sör")),
    ("kultur", ("kultur", "museum", "museen", "bibliothek", "archiv", "kammerspiele", "bildungscampus", "kunst")),
    ("bildung", ("bildung", "schul", "sport")),
    ("sozial", ("sozial", "jugend", "kinder", "familie", "senior", "wohnen")),
    ("gesundheit", ("gesundheit",)),
    ("sicherheit", ("feuerwehr", "brand", "ordnung", "kreisverwaltung", "bürgeramt", "sicherheit")),
    ("finanzen", ("finanz", "kämmerei", "steuer", "kasse", "haushalt")),
    ("abfall", ("abfall", "stadtreinigung", "entwässerung", "abwasser", "wertstoff")),
    ("planung", ("planung", "bau", "hochbau", "stadtentwicklung", "denkmal")),
    ("wirtschaft", ("wirtschaft", "arbeit", "märkte", "stadtgüter", "messe")),
]

_VARIANTS = ["", " (Zeitreihe)", " nach Stadtbezirken", " – Archiv", " (Vorjahre)", " – Detaildaten", " (Übersicht)", " – Jahresbericht"]

# how people write the offered values (SURVEY.md, "What comes back")
_MESSY: dict[str, dict[str, list[str]]] = {
    "frequency": {"täglich": ["taeglich", "Täglich.", "1x täglich", "DAILY"], "jährlich": ["1x jährlich", "einmal im Jahr", "Jährlich", "ANNUAL"],
                  "monatlich": ["1x monatlich", "Monatlich ", "MONTHLY"], "wöchentlich": ["woechentlich", "1x wöchentlich"],
                  "kontinuierlich": ["laufend", "Echtzeit"], "unregelmäßig": ["unregelmässig", "nach Bedarf"]},
    "license": {"Datenlizenz Deutschland – Namensnennung – 2.0": ["DL-DE->BY-2.0", "Datenlizenz Deutschland Namensnennung 2.0", "dl-de-by-2.0"],
                "Datenlizenz Deutschland – Zero – 2.0": ["DL-DE->Zero-2.0", "dl-zero-de/2.0"],
                "CC BY 4.0": ["CC-BY 4.0", "CC BY 4.0 International"], "CC0 1.0": ["Creative Commons Zero", "CC0"]},
    "formats": {"CSV": ["csv", ".csv"], "XLSX": ["Excel", "xlsx"], "Shapefile": ["Shape", "shp"], "WMS": ["WMS-Dienst"], "JSON": ["json"],
                "GeoJSON": ["geojson", "Geo-JSON"]},
    "yesno": {"nein": ["n", "Nein", "-", "no"], "ja": ["j", "x", "Ja", "yes"]},
    "access_rights": {"öffentlich": ["Öffentlich", "oeffentlich", "öffentlich."], "nicht öffentlich": ["nicht-öffentlich", "Nicht öffentlich"]},
}
_BROKEN = [("contact_email", "poststelle(at)stadt.de"), ("license", "Datenlizenz Deutschland"), ("frequency", "alle paar Tage"),
           ("theme", "Sonstiges Wissen"), ("temporal_start", "irgendwann"), ("access_url", "Laufwerk G:\\Daten")]
_LICENCES = ["Datenlizenz Deutschland – Namensnennung – 2.0", "Datenlizenz Deutschland – Zero – 2.0", "CC BY 4.0", "CC0 1.0",
             "Amtliches Werk (§ 5 UrhG)"]
_ATTRIBUTION = {"Datenlizenz Deutschland – Namensnennung – 2.0", "CC BY 4.0"}


def remit(department: Department) -> str:
    """The kind of data holdings a department has, from its name."""
    name = department.name.lower()
    for key, words in _REMIT:
        if any(word in name for word in words):
            return key
    return "verwaltung"


def _domain(city: City) -> str:
    return {"muenchen": "muenchen.de", "augsburg": "augsburg.de", "nuernberg": "stadt.nuernberg.de"}.get(city.key, "stadt.de")


def _slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower().translate(table)).strip("-")[:40]


def _messy(rng: random.Random, table: str, value: str, share: float) -> str:
    options = _MESSY.get(table, {}).get(value)
    if options and rng.random() < share:
        return rng.choice(options)
    return value


def realistic_rows(
    city: City, department: Department, count: int, rng: random.Random, *, messy: float = 0.25, broken: float = 0.05,
    start: int = 0,
) -> list[dict[str, Any]]:
    """``count`` rows a data officer of ``department`` would enter (field key -> cell value); ``start`` skips
    the department's first holdings (a later return lists further ones, not the same again)."""
    pool = _HOLDINGS[remit(department)] + _HOLDINGS["verwaltung"]
    rows: list[dict[str, Any]] = []
    domain = _domain(city)
    for index in range(start, start + count):
        base = pool[index % len(pool)]
        round_ = index // len(pool)
        title, description, theme, kind, formats, frequency, hvd, keywords, personal, access = base
        variant = _VARIANTS[round_ % len(_VARIANTS)] + (f" {round_ // len(_VARIANTS) + 1}" if round_ >= len(_VARIANTS) else "")
        licence = rng.choice(_LICENCES) if access == "öffentlich" else "andere Lizenz (nicht offen)"
        start = rng.randint(1995, 2020)
        row: dict[str, Any] = {
            "title": title + variant,
            "description": description,
            "theme": theme,
            "keywords": keywords,
            "data_kind": kind,
            "source_system": rng.choice(["Fachverfahren", "SAP", "GIS", "Excel-Liste", "Datenbank", "OK.VERKEHR", "PROSOZ"]),
            "contact_name": department.name,
            "contact_email": department.email or f"{department.code.lower()}@{domain}",
            "personal_data": _messy(rng, "yesno", personal, messy) if personal != "anonymisiert" else personal,
            "third_party_rights": _messy(rng, "yesno", "nein", messy) if rng.random() > 0.08 else "unklar",
            "access_rights": _messy(rng, "access_rights", access, messy),
            "restriction_reason": None if access == "öffentlich" else "Datenschutz und Schutz kritischer Infrastruktur",
            "license": _messy(rng, "license", licence, messy),
            "attribution": f"{city.name}, {department.name}" if licence in _ATTRIBUTION else None,
            "formats": "; ".join(_messy(rng, "formats", f.strip(), messy) for f in formats.split(";")),
            "access_url": f"https://www.{domain}/daten/{_slug(title)}" if access == "öffentlich" and rng.random() < 0.7 else None,
            "frequency": _messy(rng, "frequency", frequency, messy),
            "temporal_start": rng.choice([dt.datetime(start, 1, 1), str(start), f"01/{start}", f"1.1.{start}"]),
            "temporal_end": rng.choice([None, dt.datetime(2025, 12, 31), "2025"]),
            "spatial": rng.choice(["gesamtes Stadtgebiet", "Stadtbezirke / Stadtteile", "einzelne Standorte / Adressen"]),
            "last_updated": dt.datetime(2025, rng.randint(1, 12), rng.randint(1, 28)),
            "hvd_category": hvd,
            "publish_proposal": "ja" if access == "öffentlich" and personal != "ja" else rng.choice(["nein", "später"]),
            "remarks": None,
        }
        if rng.random() < broken:
            key, bad = rng.choice(_BROKEN)
            row[key] = bad
        rows.append(row)
    return rows


def fill_workbook(template: bytes, rows: Sequence[Mapping[str, Any]], *, start_row: int = 2, keep_identifiers: bool = True,
                  saved: dt.datetime | None = None) -> bytes:
    """The workbook with ``rows`` typed into ``Datenbestände`` from ``start_row`` on (column by field).

    Rows with an ``identifier`` are written over the pre-filled row holding that Kennung when
    ``keep_identifiers`` is set, as a department does in an update round. ``saved`` fixes the time
    stamped into the file (the same rows then give the same bytes); default: now.
    """
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(template))
    sheet = workbook["Datenbestände"]
    by_identifier = {sheet[f"A{r}"].value: r for r in range(2, sheet.max_row + 1) if sheet[f"A{r}"].value}
    next_row = max([start_row - 1, *by_identifier.values()]) + 1
    for row in rows:
        target = by_identifier.get(row.get("identifier")) if keep_identifiers else None
        if target is None:
            target, next_row = next_row, next_row + 1
        for spec in FIELDS:
            if spec.key in row and spec.key != "identifier":
                sheet[f"{spec.column}{target}"] = row[spec.key]
    if saved is not None:
        from survey.template import save_deterministic

        return save_deterministic(workbook, saved, keep_created=True)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


BAD_FILE_KINDS = ("renamed-csv", "legacy-xls", "truncated", "macros")


def bad_file(kind: str, template: bytes, sender: str = "") -> tuple[str, bytes]:
    """A file of a bad kind (name suffix, bytes) as departments send them by mistake; ``sender`` (e.g.
    the department's code) goes into the content, so two departments' mistakes are two files."""
    if kind == "renamed-csv":
        return ".xlsx", f"Titel;Beschreibung;Stelle\nBaumkataster;Alle Bäume;{sender}\n".encode()
    if kind == "legacy-xls":
        return ".xlsx", bytes.fromhex("D0CF11E0A1B11AE1") + sender.encode().ljust(1024, b"\0")
    if kind == "truncated":
        return ".xlsx", template[: len(template) // 2]
    if kind == "macros":
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                dst.writestr(item, src.read(item.filename))
            dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro project")
        return ".xlsm", out.getvalue()
    raise ValueError(f"unknown bad file kind {kind!r}; known: {', '.join(BAD_FILE_KINDS)}")


@dataclass(frozen=True)
class SimulatedReturn:
    city: str
    department: str
    name: str
    data: bytes
    kind: str  # good, bad (not a usable workbook), resent (the same workbook again)


def simulate_campaign(
    organisation: Organisation,
    secret_for: Callable[[str], bytes],
    *,
    departments_per_city: int,
    entries: int,
    seed: int,
    campaign: str = "simulation",
    messy: float = 0.25,
    broken: float = 0.05,
    bad_files: float = 0.05,
    resubmissions: float = 0.1,
    issued: dt.date = dt.date(2026, 11, 1),
) -> list[SimulatedReturn]:
    """The returns of one campaign: the first ``departments_per_city`` departments of each city answer with
    ``entries`` realistic rows each. ``messy`` of the coded answers are typed in other spellings, ``broken``
    of the rows hold one value that cannot be read, ``bad_files`` of the departments first send a file
    that is not a usable workbook, and ``resubmissions`` of them send the same workbook a second time
    (by mail and on the share). The same arguments give the same bytes."""
    from survey.template import build_workbook, workbook_name

    for name, share in (("messy", messy), ("broken", broken), ("bad_files", bad_files), ("resubmissions", resubmissions)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} is a share between 0 and 1, not {share}")
    rng = random.Random(seed)
    returns: list[SimulatedReturn] = []
    for city in organisation.cities:
        departments = sorted(organisation.departments_of(city.key), key=lambda d: d.code)
        if departments_per_city > len(departments):
            raise ValueError(f"{city.name} has {len(departments)} departments, not {departments_per_city}")
        for index, dept in enumerate(departments[:departments_per_city]):
            template = build_workbook(city=city, department=dept, campaign=campaign, secret=secret_for(city.key), issued=issued)
            name = workbook_name(city.key, dept.code, campaign)
            if rng.random() < bad_files:
                suffix, data = bad_file(BAD_FILE_KINDS[index % len(BAD_FILE_KINDS)], template, f"{city.key}/{dept.code}")
                returns.append(SimulatedReturn(city.key, dept.code, f"Fragebogen_{dept.code}{suffix}", data, "bad"))
            rows = realistic_rows(city, dept, entries, rng, messy=messy, broken=broken)
            data = fill_workbook(template, rows, saved=dt.datetime.combine(issued, dt.time(12)))
            returns.append(SimulatedReturn(city.key, dept.code, name, data, "good"))
            if rng.random() < resubmissions:
                returns.append(SimulatedReturn(city.key, dept.code, name.replace(".xlsx", "_nochmal.xlsx"), data, "resent"))
    return returns
