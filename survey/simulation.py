"""Simulated survey returns: what data officers type into the workbook, deterministic by seed.

Used by the demo, the benchmarks and the robustness tests. Each department answers with data holdings
that fit its remit (a statistics office has statistics, a fire brigade its operations, a library its
holdings), written partly as offered in the drop-downs and partly as people really write them, with a
share of rows that cannot be read without asking back, and optionally bad files.
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
_BEV = "Bevölkerung und Gesellschaft"
_GOV = "Regierung und öffentlicher Sektor"
_REG = "Regionen und Städte"
_ENV = "Umwelt"
_ENE = "Energie"
_TRA = "Verkehr"
_EDU = "Bildung, Kultur und Sport"
_HEA = "Gesundheit"
_JUS = "Justiz, Rechtssystem und öffentliche Sicherheit"
_ECO = "Wirtschaft und Finanzen"
_TEC = "Wissenschaft und Technologie"
_AGR = "Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel"
_STAT, _GEO, _REGI, _MESS, _FIN, _VERK, _DOK = ("Statistik", "Geodaten", "Register / Verzeichnis", "Mess- und Sensordaten",
                                                "Finanz- und Haushaltsdaten", "Verkehrsdaten", "Dokumente und Berichte")
_PUB, _CLOSED, _LIMITED = "öffentlich", "nicht öffentlich", "eingeschränkt"

# Per kind of department: the data holdings such a department keeps (a statistics office statistics, a fire
# brigade its operations, a library its holdings). Titles differ between kinds, so two departments of one
# city do not list the same dataset; the same kind in another city does, as real cities do.
_HOLDINGS: dict[str, list[tuple[str, str, str, str, str, str, str, str, str, str]]] = {
    "statistik": [
        ("Bevölkerungsstand nach Stadtbezirken", "Einwohnerinnen und Einwohner mit Hauptwohnsitz nach Stadtbezirk, Alter und Geschlecht zum Jahresende.", _BEV, _STAT, "CSV; XLSX", "jährlich", "Statistik", "Bevölkerung; Einwohner; Stadtbezirke", "anonymisiert", _PUB),
        ("Wahlergebnisse der Kommunalwahl", "Stimmen und Sitzverteilung der Stadtratswahl nach Wahlbezirken.", _GOV, _STAT, "CSV; JSON", "einmalig", "Statistik", "Wahlen; Stadtrat", "nein", _PUB),
        ("Geburten und Sterbefälle", "Natürliche Bevölkerungsbewegung nach Monaten und Stadtbezirken.", _BEV, _STAT, "CSV", "monatlich", "Statistik", "Geburten; Sterbefälle", "anonymisiert", _PUB),
        ("Statistisches Jahrbuch", "Tabellenteil des Statistischen Jahrbuchs mit allen Sachgebieten.", _GOV, _DOK, "PDF; XLSX", "jährlich", "Statistik", "Jahrbuch; Statistik", "nein", _PUB),
        ("Wanderungsbewegungen", "Zu- und Fortzüge über die Stadtgrenze und innerhalb der Stadt.", _BEV, _STAT, "CSV", "vierteljährlich", "Statistik", "Umzüge; Wanderung", "anonymisiert", _PUB),
        ("Haushaltsstruktur", "Private Haushalte nach Größe und Haushaltstyp je Stadtbezirk.", _BEV, _STAT, "CSV", "jährlich", "Statistik", "Haushalte; Familien", "anonymisiert", _PUB),
        ("Mikrodaten der Bürgerumfrage", "Einzelantworten der Bürgerumfrage, nur für wissenschaftliche Zwecke.", _BEV, _STAT, "CSV", "unregelmäßig", "keine", "Umfrage", "ja", _CLOSED),
    ],
    "geo": [
        ("Stadtbezirksgrenzen", "Amtliche Grenzen der Stadtbezirke und Stadtteile als Polygone.", _REG, _GEO, "GeoJSON; Shapefile; WFS", "unregelmäßig", "Georaum", "Stadtbezirke; Grenzen", "nein", _PUB),
        ("Digitale Stadtkarte", "Stadtgrundkarte mit Gebäuden, Straßen und Flurstücken.", _REG, _GEO, "WMS; WMTS", "monatlich", "Georaum", "Stadtkarte; Karte", "nein", _PUB),
        ("Luftbilder (Orthofotos)", "Entzerrte Luftbilder des Stadtgebiets, 10 cm Bodenauflösung.", _REG, _GEO, "WMS", "zweijährlich", "Erdbeobachtung und Umwelt", "Luftbild; Orthofoto", "nein", _PUB),
        ("Straßenverzeichnis mit Hausnummern", "Alle Straßen und Hausnummern mit Koordinaten.", _REG, _REGI, "CSV; GeoJSON", "täglich", "Georaum", "Adressen; Hausnummern", "nein", _PUB),
        ("3D-Stadtmodell", "Gebäude als Klötzchenmodell mit Dachformen (LoD2).", _REG, _GEO, "GML", "jährlich", "Georaum", "3D; Gebäude", "nein", _PUB),
        ("Festpunkte der Vermessung", "Lage- und Höhenfestpunkte mit Koordinaten.", _REG, _GEO, "CSV; Shapefile", "unregelmäßig", "Georaum", "Vermessung; Festpunkte", "nein", _PUB),
        ("Liegenschaftskataster", "Flurstücke und Eigentumsverhältnisse aus dem Liegenschaftskataster.", _REG, _REGI, "Shapefile", "täglich", "Georaum", "Kataster; Flurstücke", "ja", _CLOSED),
    ],
    "planung": [
        ("Bebauungspläne", "Rechtskräftige Bebauungspläne mit Geltungsbereich.", _REG, _GEO, "WMS; PDF", "unregelmäßig", "Georaum", "Bebauungsplan; Bauleitplanung", "nein", _PUB),
        ("Flächennutzungsplan", "Darstellungen des wirksamen Flächennutzungsplans.", _REG, _GEO, "WMS", "unregelmäßig", "Georaum", "Flächennutzung", "nein", _PUB),
        ("Städtebauliche Sanierungsgebiete", "Förmlich festgelegte Sanierungsgebiete mit Satzungsdatum.", _REG, _GEO, "GeoJSON", "unregelmäßig", "Georaum", "Sanierung; Städtebauförderung", "nein", _PUB),
        ("Wohnbauflächenpotenziale", "Flächen, auf denen Wohnungsbau möglich ist, mit geschätzter Wohnungszahl.", _REG, _GEO, "Shapefile", "jährlich", "keine", "Wohnungsbau; Flächen", "nein", _PUB),
        ("Einzelhandelskonzept", "Zentrale Versorgungsbereiche und Nahversorgungsstandorte.", _ECO, _DOK, "PDF; GeoJSON", "unregelmäßig", "keine", "Einzelhandel; Nahversorgung", "nein", _PUB),
        ("Stellungnahmen der Öffentlichkeitsbeteiligung", "Eingaben von Bürgerinnen und Bürgern zu Planverfahren.", _GOV, _DOK, "PDF", "unregelmäßig", "keine", "Beteiligung", "ja", _CLOSED),
    ],
    "bauordnung": [
        ("Baugenehmigungen", "Erteilte Baugenehmigungen nach Gebäudeart und Stadtbezirk.", _REG, _STAT, "CSV", "vierteljährlich", "Statistik", "Bauen; Genehmigungen", "anonymisiert", _PUB),
        ("Baufertigstellungen", "Fertiggestellte Gebäude und Wohnungen nach Bauherr und Gebäudeart.", _REG, _STAT, "CSV", "jährlich", "Statistik", "Baufertigstellung; Wohnungen", "anonymisiert", _PUB),
        ("Abgeschlossenheitsbescheinigungen", "Erteilte Bescheinigungen nach Stadtbezirk und Jahr.", _REG, _STAT, "XLSX", "jährlich", "keine", "Wohnungseigentum", "anonymisiert", _PUB),
        ("Denkmalliste", "Baudenkmäler mit Adresse und Beschreibung.", _EDU, _REGI, "CSV; GeoJSON", "unregelmäßig", "keine", "Denkmal; Baudenkmäler", "nein", _PUB),
        ("Bauanträge (Vorgangsakten)", "Akten der Bauantragsverfahren mit Plänen und Antragstellern.", _REG, _DOK, "PDF", "täglich", "keine", "Bauantrag", "ja", _CLOSED),
    ],
    "hochbau": [
        ("Energieverbrauch städtischer Gebäude", "Strom-, Wärme- und Wasserverbrauch je Gebäude.", _ENE, _MESS, "CSV", "monatlich", "keine", "Energie; Gebäude", "nein", _PUB),
        ("Städtische Gebäude", "Gebäude der Stadt mit Nutzung, Baujahr und Fläche.", _REG, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Gebäude; Liegenschaften", "nein", _PUB),
        ("Photovoltaikanlagen auf städtischen Dächern", "Anlagen mit Leistung und jährlichem Ertrag.", _ENE, _MESS, "CSV", "jährlich", "keine", "Photovoltaik; Solar", "nein", _PUB),
        ("Schulbauprogramm", "Neubau- und Sanierungsprojekte an Schulen mit Kosten und Zeitplan.", _EDU, _DOK, "PDF; XLSX", "jährlich", "keine", "Schulbau; Sanierung", "nein", _PUB),
        ("Barrierefreiheit öffentlicher Gebäude", "Zugänge, Aufzüge und Toiletten je Gebäude.", _BEV, _REGI, "CSV", "jährlich", "keine", "Barrierefreiheit", "nein", _PUB),
    ],
    "baureferat": [
        ("Brückenbauwerke", "Brücken und Unterführungen mit Zustandsnote und Baujahr.", _TRA, _REGI, "CSV; GeoJSON", "jährlich", "Mobilität", "Brücken; Bauwerke", "nein", _PUB),
        ("Straßenbaustellen", "Aktuelle und geplante Baustellen mit Verkehrseinschränkungen.", _TRA, _VERK, "GeoJSON", "täglich", "Mobilität", "Baustellen; Verkehr", "nein", _PUB),
        ("Straßenbeleuchtung", "Leuchtenstandorte mit Leuchtmittel und Schaltzeiten.", _ENE, _GEO, "Shapefile", "jährlich", "keine", "Beleuchtung", "nein", _PUB),
        ("Öffentliche Grünanlagen", "Parks und Grünflächen mit Fläche und Ausstattung.", _ENV, _GEO, "GeoJSON", "jährlich", "Georaum", "Parks; Grünflächen", "nein", _PUB),
        ("Brunnen der Stadt", "Zier- und Trinkbrunnen mit Betriebszeiten.", _REG, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Brunnen", "nein", _PUB),
        ("Winterdienst-Streupläne", "Räum- und Streustrecken nach Dringlichkeitsstufe.", _TRA, _GEO, "GeoJSON", "jährlich", "Mobilität", "Winterdienst", "nein", _PUB),
    ],
    "verkehr": [
        ("Radzählstellen", "Tageswerte der automatischen Fahrradzählstellen.", _TRA, _VERK, "CSV; JSON", "täglich", "Mobilität", "Radverkehr; Zählstellen", "nein", _PUB),
        ("Parkhausbelegung", "Freie Stellplätze der Parkhäuser in Echtzeit.", _TRA, _VERK, "JSON", "kontinuierlich", "Mobilität", "Parken; Parkhaus", "nein", _PUB),
        ("Verkehrszählungen", "Kfz-Verkehrsmengen an Knotenpunkten.", _TRA, _VERK, "XLSX", "jährlich", "Mobilität", "Verkehrsmengen", "nein", _PUB),
        ("Ladesäulen für Elektrofahrzeuge", "Standorte und Leistung öffentlicher Ladesäulen.", _ENE, _REGI, "CSV; GeoJSON", "monatlich", "Mobilität", "Elektromobilität; Ladesäulen", "nein", _PUB),
        ("Lichtsignalanlagen", "Ampeln mit Standort und Steuerungsart.", _TRA, _REGI, "GeoJSON", "jährlich", "Mobilität", "Ampeln; Verkehrssteuerung", "nein", _PUB),
        ("Radverkehrsnetz", "Radwege und Radrouten mit Belag und Breite.", _TRA, _GEO, "GeoJSON; Shapefile", "jährlich", "Mobilität", "Radwege; Radnetz", "nein", _PUB),
        ("Verkehrsunfälle", "Polizeilich gemeldete Unfälle mit Ort, Art und Beteiligten.", _TRA, _STAT, "CSV", "jährlich", "Mobilität", "Unfälle; Verkehrssicherheit", "anonymisiert", _PUB),
    ],
    "umwelt": [
        ("Luftmessstationen", "Stundenwerte von Stickstoffdioxid und Feinstaub der städtischen Messstationen.", _ENV, _MESS, "CSV; JSON", "kontinuierlich", "Erdbeobachtung und Umwelt", "Luftqualität; Feinstaub", "nein", _PUB),
        ("Lärmkartierung", "Strategische Lärmkarten für Straßen- und Schienenverkehr.", _ENV, _GEO, "WMS; Shapefile", "unregelmäßig", "Erdbeobachtung und Umwelt", "Lärm; Umgebungslärm", "nein", _PUB),
        ("Solarpotenzialkataster", "Eignung der Dachflächen für Photovoltaik und Solarthermie.", _ENE, _GEO, "WMS", "einmalig", "Georaum", "Solarpotenzial; Dachflächen", "nein", _PUB),
        ("Altlastenkataster", "Altlastverdachtsflächen mit Untersuchungsstand.", _ENV, _REGI, "Shapefile", "unregelmäßig", "keine", "Altlasten; Boden", "nein", _LIMITED),
        ("Grundwassermessstellen", "Grundwasserstände der städtischen Messstellen.", _ENV, _MESS, "CSV", "wöchentlich", "Erdbeobachtung und Umwelt", "Grundwasser", "nein", _PUB),
        ("Treibhausgasbilanz", "Emissionen der Stadt nach Sektoren seit 1990.", _ENV, _STAT, "CSV; PDF", "jährlich", "keine", "Klimaschutz; CO2", "nein", _PUB),
        ("Stadtklimaanalyse", "Wärmeinseln und Kaltluftbahnen im Stadtgebiet.", _ENV, _GEO, "WMS; GeoTIFF", "einmalig", "Erdbeobachtung und Umwelt", "Stadtklima; Hitze", "nein", _PUB),
    ],
    "gruen": [
        ("Baumkataster", "Alle städtischen Bäume mit Art, Pflanzjahr und Standort.", _ENV, _GEO, "CSV; GeoJSON", "jährlich", "Georaum", "Bäume; Stadtgrün", "nein", _PUB),
        ("Spielplätze", "Öffentliche Spielplätze mit Ausstattung und Altersgruppen.", _BEV, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Spielplätze; Kinder", "nein", _PUB),
        ("Friedhöfe und Grabfelder", "Städtische Friedhöfe mit Grabarten und Öffnungszeiten.", _BEV, _REGI, "CSV", "jährlich", "keine", "Friedhof", "nein", _PUB),
        ("Schutzgebiete nach Naturschutzrecht", "Landschaftsschutzgebiete, Naturdenkmäler und geschützte Landschaftsbestandteile.", _ENV, _GEO, "Shapefile; WMS", "unregelmäßig", "Erdbeobachtung und Umwelt", "Naturschutz; Schutzgebiete", "nein", _PUB),
        ("Kleingartenanlagen", "Kleingartenanlagen mit Zahl der Parzellen.", _REG, _REGI, "CSV", "jährlich", "keine", "Kleingärten", "nein", _PUB),
        ("Grünpflegeflächen", "Gepflegte Grünflächen mit Pflegeklasse und Mähintervall.", _ENV, _GEO, "GeoJSON", "jährlich", "keine", "Grünpflege", "nein", _PUB),
    ],
    "entwaesserung": [
        ("Kanalnetz", "Abwasserkanäle mit Durchmesser, Material und Baujahr.", _ENV, _GEO, "Shapefile; WMS", "jährlich", "Georaum", "Kanalnetz; Abwasser", "nein", _LIMITED),
        ("Kläranlage Zulaufmengen", "Tageswerte der Zulaufmengen und Reinigungsleistung.", _ENV, _MESS, "CSV", "täglich", "Erdbeobachtung und Umwelt", "Kläranlage; Abwasser", "nein", _PUB),
        ("Niederschlagsmessungen", "Niederschlag der städtischen Regenschreiber in 5-Minuten-Werten.", _ENV, _MESS, "CSV", "kontinuierlich", "Meteorologie", "Niederschlag; Regen", "nein", _PUB),
        ("Starkregengefahrenkarte", "Überflutungstiefen bei Starkregen im Stadtgebiet.", _ENV, _GEO, "WMS", "einmalig", "Erdbeobachtung und Umwelt", "Starkregen; Überflutung", "nein", _PUB),
        ("Abwassergebühren", "Gebührensätze für Schmutz- und Niederschlagswasser seit 2000.", _ECO, _FIN, "CSV", "jährlich", "keine", "Gebühren; Abwasser", "nein", _PUB),
        ("Gewässerproben", "Laborwerte der Proben aus Bächen und Flüssen im Stadtgebiet.", _ENV, _MESS, "CSV", "monatlich", "Erdbeobachtung und Umwelt", "Gewässergüte", "nein", _PUB),
    ],
    "abfall": [
        ("Wertstoffhöfe", "Wertstoffhöfe mit Öffnungszeiten und angenommenen Stoffen.", _ENV, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Abfall; Wertstoffhof", "nein", _PUB),
        ("Abfuhrkalender", "Abholtermine für Rest-, Bio- und Papiermüll nach Straße.", _ENV, _REGI, "CSV; ICS", "jährlich", "keine", "Müllabfuhr; Termine", "nein", _PUB),
        ("Abfallmengen", "Gesammelte Abfallmengen nach Fraktion und Monat.", _ENV, _STAT, "CSV", "monatlich", "keine", "Abfallmengen", "nein", _PUB),
        ("Wertstoffinseln", "Containerstandorte für Glas und Papier.", _ENV, _REGI, "GeoJSON", "monatlich", "keine", "Container; Glas", "nein", _PUB),
        ("Straßenreinigungsplan", "Reinigungsklassen und Reinigungstage je Straße.", _REG, _REGI, "CSV", "jährlich", "keine", "Straßenreinigung", "nein", _PUB),
        ("Sperrmüllaufträge", "Aufträge zur Sperrmüllabholung mit Adresse und Termin.", _ENV, _REGI, "CSV", "täglich", "keine", "Sperrmüll", "ja", _CLOSED),
    ],
    "feuerwehr": [
        ("Einsatzstatistik der Feuerwehr", "Einsätze nach Art, Monat und Stadtbezirk.", _JUS, _STAT, "CSV", "monatlich", "keine", "Feuerwehr; Einsätze", "nein", _PUB),
        ("Feuerwachen", "Standorte der Berufs- und Freiwilligen Feuerwehr mit Fahrzeugen.", _JUS, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Feuerwachen", "nein", _PUB),
        ("Hydrantenplan", "Standorte der Löschwasserentnahmestellen.", _JUS, _GEO, "Shapefile", "jährlich", "keine", "Hydranten; Löschwasser", "nein", _LIMITED),
        ("Hilfsfristen im Rettungsdienst", "Anteil der Einsätze, die innerhalb der Hilfsfrist erreicht wurden.", _HEA, _STAT, "XLSX", "jährlich", "keine", "Rettungsdienst; Hilfsfrist", "nein", _PUB),
        ("Sirenenstandorte", "Sirenen des Katastrophenschutzes mit Reichweite.", _JUS, _REGI, "GeoJSON", "unregelmäßig", "keine", "Sirenen; Warnung", "nein", _PUB),
        ("Einsatzberichte", "Berichte zu einzelnen Einsätzen mit Beteiligten und Schäden.", _JUS, _DOK, "PDF", "täglich", "keine", "Einsatzbericht", "ja", _CLOSED),
    ],
    "ordnung": [
        ("Gewerbeanmeldungen", "An-, Um- und Abmeldungen von Gewerben nach Wirtschaftszweig.", _ECO, _STAT, "CSV", "monatlich", "Unternehmen und Eigentümerschaft", "Gewerbe", "anonymisiert", _PUB),
        ("Gaststättenerlaubnisse", "Erteilte Erlaubnisse nach Betriebsart und Stadtbezirk.", _ECO, _STAT, "CSV", "jährlich", "keine", "Gaststätten", "anonymisiert", _PUB),
        ("Sondernutzungen im Straßenraum", "Genehmigte Freischankflächen, Stände und Aufgrabungen.", _REG, _REGI, "CSV; GeoJSON", "monatlich", "keine", "Sondernutzung", "nein", _PUB),
        ("Kfz-Zulassungen", "Zugelassene Fahrzeuge nach Antriebsart und Stadtbezirk.", _TRA, _STAT, "CSV", "vierteljährlich", "Mobilität", "Kfz; Zulassungen", "anonymisiert", _PUB),
        ("Parkraumüberwachung", "Verwarnungen im ruhenden Verkehr nach Monat und Gebiet.", _TRA, _STAT, "XLSX", "monatlich", "keine", "Parken; Verwarnungen", "anonymisiert", _PUB),
        ("Versammlungsanzeigen", "Angemeldete Versammlungen mit Veranstalter und Route.", _JUS, _REGI, "CSV", "täglich", "keine", "Versammlungen", "ja", _CLOSED),
    ],
    "buergerservice": [
        ("Bürgerbüros und Wartezeiten", "Standorte der Bürgerbüros mit mittleren Wartezeiten.", _GOV, _MESS, "JSON", "täglich", "keine", "Bürgerbüro; Wartezeit", "nein", _PUB),
        ("Ausgestellte Ausweisdokumente", "Personalausweise und Reisepässe nach Monat.", _GOV, _STAT, "CSV", "monatlich", "keine", "Ausweise; Pässe", "anonymisiert", _PUB),
        ("Online-Dienste der Verwaltung", "Verwaltungsleistungen, die online beantragt werden können.", _GOV, _REGI, "CSV; JSON", "monatlich", "keine", "Onlinezugang; Verwaltungsleistungen", "nein", _PUB),
        ("Terminbuchungen", "Gebuchte und wahrgenommene Termine je Dienstleistung.", _GOV, _STAT, "CSV", "wöchentlich", "keine", "Termine", "anonymisiert", _PUB),
        ("Melderegister", "Daten der gemeldeten Einwohnerinnen und Einwohner.", _BEV, _REGI, "XML", "täglich", "keine", "Meldewesen", "ja", _CLOSED),
    ],
    "kultur": [
        ("Veranstaltungskalender", "Kulturveranstaltungen mit Ort, Zeit und Eintritt.", _EDU, _REGI, "JSON; XML", "täglich", "keine", "Veranstaltungen; Kultur", "nein", _PUB),
        ("Besuchszahlen der Museen", "Monatliche Besuchszahlen der städtischen Museen.", _EDU, _STAT, "CSV", "monatlich", "keine", "Museen; Besuche", "nein", _PUB),
        ("Kulturförderung", "Geförderte Projekte und Einrichtungen mit Förderbetrag.", _ECO, _FIN, "CSV", "jährlich", "keine", "Kulturförderung; Zuschüsse", "nein", _PUB),
        ("Kunst im öffentlichen Raum", "Skulpturen und Kunstwerke mit Künstlerin oder Künstler und Standort.", _EDU, _REGI, "CSV; GeoJSON", "unregelmäßig", "keine", "Kunst; Skulpturen", "nein", _PUB),
        ("Sammlungsobjekte der Museen", "Digitalisierte Objekte der städtischen Sammlungen mit Bildern.", _EDU, _REGI, "JSON; JPEG", "monatlich", "keine", "Sammlung; Museum", "nein", _PUB),
        ("Proberäume und Ateliers", "Vermietete Proberäume und Ateliers mit Mieterinnen und Mietern.", _EDU, _REGI, "XLSX", "jährlich", "keine", "Ateliers", "ja", _CLOSED),
    ],
    "bibliothek": [
        ("Bibliotheksbestand", "Medienbestand der Bibliothek nach Medienart und Standort.", _EDU, _STAT, "CSV", "jährlich", "keine", "Bibliothek; Medien", "nein", _PUB),
        ("Ausleihen nach Medienart", "Ausleihen je Monat, Zweigstelle und Medienart.", _EDU, _STAT, "CSV", "monatlich", "keine", "Ausleihe", "nein", _PUB),
        ("Zweigstellen und Öffnungszeiten", "Standorte der Stadtteilbibliotheken mit Öffnungszeiten.", _EDU, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Zweigstellen", "nein", _PUB),
        ("Katalogdaten (Titelaufnahmen)", "Bibliografische Daten des Bestands im MARC-Format.", _EDU, _REGI, "XML", "täglich", "keine", "Katalog; Metadaten", "nein", _PUB),
        ("Kursangebot", "Kurse der Volkshochschule und Bibliothek mit Terminen und Gebühren.", _EDU, _REGI, "JSON", "wöchentlich", "keine", "Kurse; Volkshochschule", "nein", _PUB),
        ("Leserkonten", "Ausweise und Ausleihkonten der Leserinnen und Leser.", _EDU, _REGI, "CSV", "täglich", "keine", "Leserkonten", "ja", _CLOSED),
    ],
    "archiv": [
        ("Archivbestände (Findbücher)", "Erschließungsdaten der Archivbestände.", _EDU, _REGI, "XML", "unregelmäßig", "keine", "Archiv; Findbuch", "nein", _PUB),
        ("Historische Stadtpläne", "Digitalisierte Stadtpläne seit dem 18. Jahrhundert.", _REG, _GEO, "JPEG; WMS", "unregelmäßig", "keine", "Stadtpläne; Geschichte", "nein", _PUB),
        ("Historische Adressbücher", "Volltexte der Adressbücher 1850 bis 1950.", _BEV, _DOK, "PDF; XML", "einmalig", "keine", "Adressbücher; Genealogie", "nein", _PUB),
        ("Fotosammlung", "Digitalisierte Fotografien zur Stadtgeschichte mit Beschreibung.", _EDU, _REGI, "JPEG; CSV", "monatlich", "keine", "Fotos; Stadtgeschichte", "nein", _PUB),
        ("Personenstandsregister", "Geburts-, Heirats- und Sterberegister nach Ablauf der Schutzfristen.", _BEV, _REGI, "PDF", "jährlich", "keine", "Personenstand", "ja", _LIMITED),
    ],
    "theater": [
        ("Spielplan", "Vorstellungen mit Datum, Spielstätte und Besetzung.", _EDU, _REGI, "JSON; ICS", "wöchentlich", "keine", "Spielplan; Theater", "nein", _PUB),
        ("Auslastung der Vorstellungen", "Verkaufte Plätze je Vorstellung und Spielstätte.", _EDU, _STAT, "CSV", "monatlich", "keine", "Auslastung; Besucher", "nein", _PUB),
        ("Inszenierungsarchiv", "Alle Inszenierungen seit der Gründung mit Regie und Premierendatum.", _EDU, _REGI, "CSV", "jährlich", "keine", "Inszenierungen; Archiv", "nein", _PUB),
        ("Spielstätten", "Bühnen mit Platzzahl und Barrierefreiheit.", _EDU, _REGI, "CSV", "jährlich", "keine", "Bühnen", "nein", _PUB),
        ("Abonnentendatei", "Abonnentinnen und Abonnenten mit Anschrift und Abonnement.", _EDU, _REGI, "CSV", "täglich", "keine", "Abonnement", "ja", _CLOSED),
    ],
    "schulen": [
        ("Schulen", "Allgemein- und berufsbildende Schulen mit Schulart und Adresse.", _EDU, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Schulen; Bildung", "nein", _PUB),
        ("Schülerzahlen", "Schülerinnen und Schüler nach Schulart und Jahrgangsstufe.", _EDU, _STAT, "XLSX", "jährlich", "Statistik", "Schüler; Schulstatistik", "anonymisiert", _PUB),
        ("Schulsprengel", "Grenzen der Grundschulsprengel.", _EDU, _GEO, "GeoJSON; Shapefile", "jährlich", "Georaum", "Schulsprengel; Grundschule", "nein", _PUB),
        ("Sportstätten", "Turnhallen, Sportplätze und Bäder mit Ausstattung.", _EDU, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Sport; Sportstätten", "nein", _PUB),
        ("Ganztagsangebote an Schulen", "Plätze in Ganztagsklassen und Mittagsbetreuung je Schule.", _EDU, _STAT, "CSV", "jährlich", "keine", "Ganztag; Betreuung", "nein", _PUB),
        ("Schülerakten", "Zeugnisse und Akten der Schülerinnen und Schüler.", _EDU, _DOK, "PDF", "täglich", "keine", "Schülerakten", "ja", _CLOSED),
    ],
    "jugend": [
        ("Kindertageseinrichtungen", "Kitas mit Trägerschaft, Plätzen und Öffnungszeiten.", _EDU, _REGI, "CSV", "monatlich", "keine", "Kita; Kinderbetreuung", "nein", _PUB),
        ("Jugendtreffs und Freizeitstätten", "Offene Jugendarbeit mit Angeboten und Öffnungszeiten.", _BEV, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Jugendarbeit; Freizeit", "nein", _PUB),
        ("Kitaplatz-Bedarfsplanung", "Bedarf und Angebot an Betreuungsplätzen je Planungsbezirk.", _BEV, _STAT, "XLSX", "jährlich", "Statistik", "Bedarfsplanung; Kita", "anonymisiert", _PUB),
        ("Hilfen zur Erziehung", "Fälle nach Hilfeart und Altersgruppe.", _BEV, _STAT, "XLSX", "jährlich", "Statistik", "Erziehungshilfe", "anonymisiert", _PUB),
        ("Ferienprogramm", "Angebote des Ferienprogramms mit Terminen und Plätzen.", _EDU, _REGI, "JSON", "jährlich", "keine", "Ferien; Kinder", "nein", _PUB),
        ("Fallakten Jugendhilfe", "Fallbezogene Akten der Jugendhilfe.", _BEV, _DOK, "PDF", "täglich", "keine", "Jugendhilfe", "ja", _CLOSED),
    ],
    "sozial": [
        ("Leistungsbezug nach SGB XII", "Empfängerinnen und Empfänger von Sozialhilfe nach Stadtbezirk.", _BEV, _STAT, "XLSX", "jährlich", "Statistik", "Sozialhilfe", "anonymisiert", _PUB),
        ("Seniorentreffpunkte", "Begegnungsstätten für ältere Menschen mit Angeboten.", _BEV, _REGI, "CSV", "jährlich", "keine", "Senioren", "nein", _PUB),
        ("Wohngeld", "Haushalte mit Wohngeld nach Haushaltsgröße.", _BEV, _STAT, "CSV", "jährlich", "Statistik", "Wohngeld", "anonymisiert", _PUB),
        ("Notunterkünfte", "Plätze in Notunterkünften und ihre Belegung.", _BEV, _STAT, "XLSX", "monatlich", "keine", "Wohnungslosigkeit", "anonymisiert", _PUB),
        ("Beratungsstellen", "Soziale Beratungsstellen mit Themen und Sprechzeiten.", _BEV, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Beratung", "nein", _PUB),
        ("Sozialhilfeakten", "Akten der Leistungsberechtigten mit Bescheiden.", _BEV, _DOK, "PDF", "täglich", "keine", "Sozialhilfeakten", "ja", _CLOSED),
    ],
    "gesundheit": [
        ("Trinkwasserbrunnen", "Öffentliche Trinkbrunnen mit Betriebszeiten.", _HEA, _REGI, "GeoJSON", "jährlich", "keine", "Trinkwasser; Trinkbrunnen", "nein", _PUB),
        ("Badegewässerqualität", "Messwerte der Badegewässer während der Badesaison.", _HEA, _MESS, "CSV", "wöchentlich", "Erdbeobachtung und Umwelt", "Badegewässer", "nein", _PUB),
        ("Meldepflichtige Infektionen", "Fallzahlen meldepflichtiger Krankheiten nach Woche.", _HEA, _STAT, "CSV", "wöchentlich", "Statistik", "Infektionen", "anonymisiert", _PUB),
        ("Schuleingangsuntersuchungen", "Ergebnisse der Einschulungsuntersuchung nach Stadtbezirk.", _HEA, _STAT, "XLSX", "jährlich", "Statistik", "Einschulung; Kindergesundheit", "anonymisiert", _PUB),
        ("Hitzeaktionsplan", "Maßnahmen und kühle Orte bei Hitzewellen.", _HEA, _DOK, "PDF; GeoJSON", "jährlich", "keine", "Hitze; Kühle Orte", "nein", _PUB),
        ("Impfbescheinigungen", "Durchgeführte Impfungen mit Personendaten.", _HEA, _REGI, "CSV", "täglich", "keine", "Impfungen", "ja", _CLOSED),
    ],
    "finanzen": [
        ("Haushaltsplan", "Ansätze des Ergebnis- und Finanzhaushalts nach Produkten.", _ECO, _FIN, "CSV; XLSX", "jährlich", "keine", "Haushalt; Finanzen", "nein", _PUB),
        ("Jahresabschluss", "Bilanz und Ergebnisrechnung der Stadt.", _ECO, _FIN, "PDF; XLSX", "jährlich", "keine", "Jahresabschluss", "nein", _PUB),
        ("Zuwendungen an Vereine", "Bewilligte Zuschüsse an Vereine und Verbände.", _ECO, _FIN, "CSV", "jährlich", "keine", "Zuschüsse; Vereine", "nein", _PUB),
        ("Steuerhebesätze", "Hebesätze für Grund- und Gewerbesteuer seit 1990.", _ECO, _FIN, "CSV", "jährlich", "keine", "Steuern; Hebesätze", "nein", _PUB),
        ("Schuldenstand", "Verschuldung der Stadt und ihrer Eigenbetriebe zum Jahresende.", _ECO, _FIN, "CSV", "jährlich", "keine", "Schulden; Kredite", "nein", _PUB),
        ("Steuerkonten", "Steuerbescheide und Zahlungen der Steuerpflichtigen.", _ECO, _FIN, "CSV", "täglich", "keine", "Steuerkonten", "ja", _CLOSED),
    ],
    "wirtschaft": [
        ("Gewerbeflächen", "Verfügbare Gewerbeflächen mit Größe und Erschließung.", _ECO, _GEO, "GeoJSON", "vierteljährlich", "keine", "Gewerbeflächen; Wirtschaft", "nein", _PUB),
        ("Arbeitsmarktdaten", "Sozialversicherungspflichtig Beschäftigte nach Branche.", _ECO, _STAT, "XLSX", "vierteljährlich", "Statistik", "Arbeitsmarkt", "anonymisiert", _PUB),
        ("Tourismusstatistik", "Ankünfte und Übernachtungen nach Herkunftsland.", _ECO, _STAT, "CSV", "monatlich", "Statistik", "Tourismus; Übernachtungen", "anonymisiert", _PUB),
        ("Gründerzentren und Coworking", "Gründerzentren mit Angebot und freien Plätzen.", _ECO, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Gründung; Start-ups", "nein", _PUB),
        ("Wirtschaftsförderprogramme", "Förderprogramme mit Zielgruppe und Fördervolumen.", _ECO, _FIN, "CSV", "jährlich", "keine", "Förderprogramme", "nein", _PUB),
        ("Unternehmenskontakte", "Ansprechpartnerinnen und Ansprechpartner der betreuten Unternehmen.", _ECO, _REGI, "XLSX", "täglich", "keine", "Unternehmen", "ja", _CLOSED),
    ],
    "maerkte": [
        ("Wochenmärkte", "Märkte mit Standort, Markttagen und Angebot.", _ECO, _REGI, "CSV", "jährlich", "keine", "Märkte", "nein", _PUB),
        ("Großmarkt Anlieferungen", "Angelieferte Mengen nach Warengruppe und Herkunft.", _AGR, _STAT, "CSV", "monatlich", "keine", "Großmarkt; Lebensmittel", "nein", _PUB),
        ("Standplätze der Markthallen", "Stände mit Sortiment und Öffnungszeiten.", _ECO, _REGI, "CSV", "monatlich", "keine", "Markthalle", "nein", _PUB),
        ("Volksfeste und Dulten", "Termine und Flächen der Volksfeste.", _EDU, _REGI, "JSON; ICS", "jährlich", "keine", "Volksfest; Dult", "nein", _PUB),
        ("Marktgebühren", "Standgebühren je Markt und Standgröße.", _ECO, _FIN, "CSV", "jährlich", "keine", "Gebühren; Märkte", "nein", _PUB),
    ],
    "landwirtschaft": [
        ("Landwirtschaftliche Flächen", "Bewirtschaftete Äcker und Wiesen der Stadtgüter mit Kultur.", _AGR, _GEO, "Shapefile", "jährlich", "Georaum", "Landwirtschaft; Flächen", "nein", _PUB),
        ("Ökologischer Anbau", "Anbauflächen und Erträge nach Kultur im ökologischen Landbau.", _AGR, _STAT, "CSV", "jährlich", "keine", "Bio; Anbau", "nein", _PUB),
        ("Tierbestand der Güter", "Rinder, Schweine und Geflügel der Stadtgüter nach Hof.", _AGR, _STAT, "CSV", "jährlich", "keine", "Tierhaltung", "nein", _PUB),
        ("Hofläden", "Verkaufsstellen der Güter mit Öffnungszeiten und Sortiment.", _AGR, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Hofladen; Direktvermarktung", "nein", _PUB),
        ("Pachtverträge", "Verpachtete Flächen mit Pächter und Pachtzins.", _AGR, _REGI, "XLSX", "jährlich", "keine", "Pacht", "ja", _CLOSED),
    ],
    "immobilien": [
        ("Städtische Liegenschaften", "Grundstücke im Eigentum der Stadt mit Nutzung.", _REG, _GEO, "Shapefile", "jährlich", "Georaum", "Liegenschaften; Grundstücke", "nein", _LIMITED),
        ("Bodenrichtwerte", "Bodenrichtwerte des Gutachterausschusses je Zone.", _REG, _GEO, "WMS; CSV", "zweijährlich", "Georaum", "Bodenrichtwert; Grundstückspreise", "nein", _PUB),
        ("Grundstücksverkäufe", "Kaufpreissammlung ohne Angaben zu Käufern.", _REG, _STAT, "XLSX", "jährlich", "keine", "Kaufpreise", "anonymisiert", _PUB),
        ("Erbbaurechte", "Vergebene Erbbaurechte mit Laufzeit und Nutzung.", _REG, _REGI, "CSV", "jährlich", "keine", "Erbbaurecht", "nein", _PUB),
        ("Mietverträge städtischer Flächen", "Vermietete Flächen mit Mietern und Mietzins.", _ECO, _REGI, "XLSX", "monatlich", "keine", "Mietverträge", "ja", _CLOSED),
    ],
    "it": [
        ("Öffentliche WLAN-Hotspots", "Standorte des kostenlosen städtischen WLANs.", _TEC, _REGI, "CSV; GeoJSON", "monatlich", "keine", "WLAN; Digitalisierung", "nein", _PUB),
        ("Digitale Verwaltungsleistungen", "Online-Anträge mit Zahl der Nutzungen je Leistung.", _GOV, _STAT, "CSV", "monatlich", "keine", "Onlineanträge; Nutzung", "nein", _PUB),
        ("Open-Data-Portal Zugriffe", "Aufrufe und Downloads je Datensatz des Open-Data-Portals.", _TEC, _STAT, "CSV", "monatlich", "keine", "Open Data; Zugriffe", "nein", _PUB),
        ("Glasfaserausbau", "Ausbaustand des Glasfasernetzes nach Stadtbezirk.", _TEC, _GEO, "GeoJSON", "vierteljährlich", "keine", "Breitband; Glasfaser", "nein", _PUB),
        ("Digitalisierungsprojekte", "Projekte der Digitalisierungsstrategie mit Stand und Budget.", _GOV, _DOK, "CSV; PDF", "vierteljährlich", "keine", "Digitalisierungsstrategie", "nein", _PUB),
        ("Sensornetz (LoRaWAN)", "Messwerte der städtischen Sensoren im LoRaWAN-Funknetz.", _TEC, _MESS, "JSON", "kontinuierlich", "keine", "Sensoren; Internet der Dinge", "nein", _PUB),
    ],
    "it_betrieb": [
        ("Verfügbarkeit der IT-Dienste", "Monatliche Verfügbarkeit der zentralen Fachverfahren.", _TEC, _MESS, "CSV", "monatlich", "keine", "Verfügbarkeit; Betrieb", "nein", _PUB),
        ("Arbeitsplatzausstattung", "Zahl der PC-Arbeitsplätze und Mobilgeräte je Referat.", _TEC, _STAT, "XLSX", "jährlich", "keine", "Arbeitsplätze; Geräte", "nein", _PUB),
        ("Rechenzentrum Energieverbrauch", "Stromverbrauch und PUE-Wert der Rechenzentren.", _ENE, _MESS, "CSV", "monatlich", "keine", "Rechenzentrum; Strom", "nein", _PUB),
        ("Softwarekatalog", "Eingesetzte Software mit Lizenzart (Open Source oder proprietär).", _TEC, _REGI, "CSV", "vierteljährlich", "keine", "Software; Open Source", "nein", _PUB),
        ("Störungsmeldungen", "Tickets des Service Desk mit Meldenden und Beschreibung.", _TEC, _REGI, "CSV", "täglich", "keine", "Service Desk", "ja", _CLOSED),
    ],
    "personal": [
        ("Personalstatistik", "Beschäftigte der Stadtverwaltung nach Laufbahn und Alter.", _GOV, _STAT, "XLSX", "jährlich", "keine", "Personal", "anonymisiert", _PUB),
        ("Ausbildungsplätze der Stadt", "Ausbildungsberufe und duale Studiengänge mit Plätzen.", _EDU, _REGI, "CSV", "jährlich", "keine", "Ausbildung", "nein", _PUB),
        ("Gleichstellungsbericht", "Frauenanteil nach Besoldungs- und Entgeltgruppe.", _GOV, _STAT, "PDF; XLSX", "jährlich", "keine", "Gleichstellung", "anonymisiert", _PUB),
        ("Organigramme", "Aufbauorganisation der Referate und Ämter.", _GOV, _DOK, "PDF; XML", "unregelmäßig", "keine", "Organisation; Zuständigkeiten", "nein", _PUB),
        ("Personalakten", "Akten der Beschäftigten.", _GOV, _DOK, "PDF", "täglich", "keine", "Personalakten", "ja", _CLOSED),
    ],
    "direktorium": [
        ("Stadtratsbeschlüsse", "Beschlüsse des Stadtrats und seiner Ausschüsse.", _GOV, _DOK, "PDF; XML", "wöchentlich", "keine", "Stadtrat; Beschlüsse", "nein", _PUB),
        ("Sitzungskalender des Stadtrats", "Sitzungen mit Tagesordnung und Ort.", _GOV, _REGI, "ICS; JSON", "wöchentlich", "keine", "Sitzungen; Tagesordnung", "nein", _PUB),
        ("Pressemitteilungen der Stadt", "Mitteilungen des Presseamts mit Datum und Thema.", _GOV, _DOK, "XML; JSON", "täglich", "keine", "Presse", "nein", _PUB),
        ("Bezirksausschüsse", "Mitglieder und Sitzungen der Bezirksausschüsse.", _GOV, _REGI, "CSV", "monatlich", "keine", "Bezirksausschuss", "nein", _PUB),
        ("Städtepartnerschaften", "Partnerstädte mit Jahr der Partnerschaft.", "Internationale Themen", _REGI, "CSV", "unregelmäßig", "keine", "Partnerstädte", "nein", _PUB),
    ],
    "verwaltung": [
        ("Öffentliche Toiletten", "Standorte, Barrierefreiheit und Öffnungszeiten.", _HEA, _REGI, "CSV; GeoJSON", "jährlich", "keine", "Toiletten; Barrierefreiheit", "nein", _PUB),
        ("Dienststellenverzeichnis", "Dienststellen mit Anschrift, Öffnungszeiten und Zuständigkeiten.", _GOV, _REGI, "CSV; JSON", "monatlich", "keine", "Dienststellen; Behördenwegweiser", "nein", _PUB),
        ("Geschäftsbericht", "Jährlicher Bericht der Dienststelle mit Kennzahlen.", _GOV, _DOK, "PDF", "jährlich", "keine", "Kennzahlen; Bericht", "nein", _PUB),
        ("Beschwerdemanagement", "Eingegangene Beschwerden nach Thema und Bearbeitungsdauer.", _GOV, _STAT, "XLSX", "vierteljährlich", "keine", "Beschwerden", "anonymisiert", _PUB),
        ("Fachverfahren Vorgangsdaten", "Vorgänge des Fachverfahrens mit Antragstellenden.", _GOV, _REGI, "CSV", "täglich", "keine", "Vorgänge", "ja", _CLOSED),
    ],
}

# A department's kind from its name: the first rule with a word in the (lower-case) name wins; more
# specific words first ("Abfallwirtschaftsbetrieb" is waste, not economy; "Stadtplanung und Bauordnung"
# is planning; "Stadtentwässerung und Umweltanalytik" is drainage).
_REMIT: list[tuple[str, tuple[str, ...]]] = [
    ("feuerwehr", ("feuerwehr", "brand- und katastrophenschutz", "branddirektion")),
    ("statistik", ("statist", "stadtforschung")),
    ("geo", ("geodaten", "geoinformation", "vermessung", "kataster", "bodenordnung")),
    ("planung", ("stadtplanung", "stadtentwicklung")),
    ("bauordnung", ("bauordnung",)),
    ("hochbau", ("hochbau",)),
    ("baureferat", ("baureferat", "tiefbau und gartenbau")),
    ("entwaesserung", ("entwässerung", "abwasser")),
    ("abfall", ("abfall", "stadtreinigung", "wertstoff")),
    ("gruen", ("grünordnung", "naturschutz", "friedhof", "gartenbau", "öffentlicher raum", "grünflächen")),
    ("umwelt", ("umwelt", "klima")),
    ("verkehr", ("mobilität", "verkehr", "tiefbau")),
    ("bibliothek", ("bücherei", "bibliothek", "bildungscampus", "volkshochschule")),
    ("archiv", ("archiv",)),
    ("theater", ("kammerspiele", "theater", "oper")),
    ("kultur", ("kultur", "museum", "museen", "kunst")),
    ("schulen", ("schul", "bildung und sport")),
    ("jugend", ("jugend", "kinder", "familie")),
    ("sozial", ("sozial", "senior", "behinderung", "wohnen")),
    ("gesundheit", ("gesundheit",)),
    ("ordnung", ("ordnungsamt", "kreisverwaltung", "ordnung und sicherheit")),
    ("buergerservice", ("bürgeramt", "einwohner", "bürgerbüro", "bürgerservice")),
    ("finanzen", ("kämmerei", "kasse", "steuer", "finanz")),
    ("it_betrieb", ("telekommunikation", "it@m")),
    ("it", ("it-referat", "digitalisierung", "informationstechnik")),
    ("personal", ("personal", "organisation")),
    ("immobilien", ("kommunalreferat", "liegenschaft", "immobilien")),
    ("maerkte", ("märkte", "markthalle", "großmarkt")),
    ("landwirtschaft", ("stadtgüter", "forst", "landwirtschaft")),
    ("wirtschaft", ("wirtschaft", "arbeit")),
    ("direktorium", ("direktorium", "rathaus", "stadtrat")),
]

# What a department calls a further holding of the same kind (each variant adds a word of its own)
_VARIANTS = ["", " (Zeitreihe)", " – Rohdaten", " – Archiv", " (Vorjahre)", " – Detaildaten", " (Übersicht)", " – Jahresbericht"]

# how people write the offered values into the workbook
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
    """The kind of data holdings a department has, from its name (``verwaltung``: general administration)."""
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
    pool = _HOLDINGS[remit(department)]
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
