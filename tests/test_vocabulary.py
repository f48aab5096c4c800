"""The vocabularies as data, and the one lookup, on every accepted spelling that SURVEY.md lists."""

from __future__ import annotations

import pytest

from catalog.vocabulary import clean_key, lookup, loose_key, vocabularies

EU = "http://publications.europa.eu/resource/authority/"
LIC = "http://dcat-ap.de/def/licenses/"


def test_tables_are_complete() -> None:
    v = vocabularies()
    assert len(v["theme"].offered()) == 13
    assert all(c.uri and c.uri.startswith(EU + "data-theme/") for c in v["theme"])
    assert "OP_DATPRO" not in {c.code for c in v["theme"].offered()}
    assert len(v["frequency"]) == 41
    assert [c.label for c in v["frequency"].offered()] == [
        "kontinuierlich", "täglich", "wöchentlich", "monatlich", "vierteljährlich", "halbjährlich", "jährlich",
        "unregelmäßig", "einmalig", "unbekannt",
    ]
    assert len(v["file_type"]) > 200
    assert len(v["license"]) == 34
    assert [c.label for c in v["license"].offered()] == [
        "Datenlizenz Deutschland – Zero – 2.0", "Datenlizenz Deutschland – Namensnennung – 2.0", "CC BY 4.0",
        "CC0 1.0", "Amtliches Werk (§ 5 UrhG)", "andere Lizenz (nicht offen)",
    ]
    assert len(v["hvd_category"]) == 6
    assert {c.code for c in v["access_rights"].offered()} == {"PUBLIC", "RESTRICTED", "NON_PUBLIC"}
    for concept in v["license"]:
        assert not concept.value.endswith("/"), "licence IRIs have no trailing slash"
        assert concept.open is not None and concept.attribution is not None
        assert concept.de and concept.en


@pytest.mark.parametrize(
    ("code", "is_open", "attribution"),
    [("dl-zero-de/2.0", True, False), ("dl-by-de/2.0", True, True), ("cc-by/4.0", True, True),
     ("cc-zero", True, False), ("officialWork", True, False), ("other-closed", False, False),
     ("cc-by-nc/4.0", False, True)],
)
def test_licence_flags(code: str, is_open: bool, attribution: bool) -> None:
    concept = vocabularies()["license"][LIC + code]
    assert (concept.open, concept.attribution) == (is_open, attribution)


# Every spelling SURVEY.md names under "What comes back", with what it must resolve to.
SURVEY_SPELLINGS = [
    ("frequency", "taeglich", EU + "frequency/DAILY"),
    ("frequency", "1x jährlich", EU + "frequency/ANNUAL"),
    ("frequency", "einmal im Jahr", EU + "frequency/ANNUAL"),
    ("frequency", "DAILY", EU + "frequency/DAILY"),
    ("frequency", "Täglich", EU + "frequency/DAILY"),
    ("frequency", " täglich. ", EU + "frequency/DAILY"),
    ("frequency", "täglich\u00a0", EU + "frequency/DAILY"),
    ("frequency", "einmalig", EU + "frequency/NEVER"),
    ("frequency", "halbjährlich", EU + "frequency/ANNUAL_2"),
    ("frequency", "daily", EU + "frequency/DAILY"),
    ("frequency", EU + "frequency/WEEKLY", EU + "frequency/WEEKLY"),
    ("license", "dl-by-de/2.0", LIC + "dl-by-de/2.0"),
    ("license", "DL-DE->BY-2.0", LIC + "dl-by-de/2.0"),
    ("license", "Datenlizenz Deutschland Namensnennung 2.0", LIC + "dl-by-de/2.0"),
    ("license", "dl-de-by-2.0", LIC + "dl-by-de/2.0"),
    ("license", "CC-BY 4.0", LIC + "cc-by/4.0"),
    ("license", "CC BY", LIC + "cc-by"),
    ("license", "Creative Commons Zero", LIC + "cc-zero"),
    ("license", "CC0 1.0", LIC + "cc-zero"),
    ("license", "Amtliches Werk (§ 5 UrhG)", LIC + "officialWork"),
    ("license", "andere Lizenz (nicht offen)", LIC + "other-closed"),
    ("license", "Datenlizenz Deutschland – Zero – 2.0", LIC + "dl-zero-de/2.0"),
    ("license", "http://dcat-ap.de/def/licenses/dl-zero-de/2.0/", LIC + "dl-zero-de/2.0"),
    ("license", "https://www.dcat-ap.de/def/licenses/cc-by/4.0", LIC + "cc-by/4.0"),
    ("file_type", "Excel", EU + "file-type/XLSX"),
    ("file_type", "Shape", EU + "file-type/SHP"),
    ("file_type", "Shapefile", EU + "file-type/SHP"),
    ("file_type", "WMS-Dienst", EU + "file-type/WMS_SRVC"),
    ("file_type", "json", EU + "file-type/JSON"),
    ("file_type", "csv", EU + "file-type/CSV"),
    ("file_type", "xlsx", EU + "file-type/XLSX"),
    ("file_type", "GeoJSON", EU + "file-type/GEOJSON"),
    ("file_type", "GeoPackage", EU + "file-type/GPKG"),
    ("file_type", "WFS", EU + "file-type/WFS_SRVC"),
    ("file_type", "PDF", EU + "file-type/PDF"),
    ("file_type", "XML", EU + "file-type/XML"),
    ("theme", "Umwelt", EU + "data-theme/ENVI"),
    ("theme", "umwelt", EU + "data-theme/ENVI"),
    ("theme", "Environment", EU + "data-theme/ENVI"),
    ("theme", "TRAN", EU + "data-theme/TRAN"),
    ("theme", EU + "data-theme/EDUC", EU + "data-theme/EDUC"),
    ("theme", "Bildung, Kultur und Sport", EU + "data-theme/EDUC"),
    ("access_rights", "öffentlich", EU + "access-right/PUBLIC"),
    ("access_rights", "Öffentlich", EU + "access-right/PUBLIC"),
    ("access_rights", "oeffentlich", EU + "access-right/PUBLIC"),
    ("access_rights", "nicht öffentlich", EU + "access-right/NON_PUBLIC"),
    ("access_rights", "eingeschränkt", EU + "access-right/RESTRICTED"),
    ("access_rights", "RESTRICTED", EU + "access-right/RESTRICTED"),
    ("hvd_category", "Georaum", "http://data.europa.eu/bna/c_ac64a52d"),
    ("hvd_category", "Mobilität", "http://data.europa.eu/bna/c_b79e35eb"),
    ("hvd_category", "Statistics", "http://data.europa.eu/bna/c_e1da4e07"),
    ("personal_data", "anonymisiert", "anonymised"),
    ("third_party_rights", "unklar", "unclear"),
    ("publish_proposal", "später", "later"),
    ("data_kind", "Geodaten", "geodata"),
    ("spatial_scope", "gesamtes Stadtgebiet", "city"),
    ("spatial_scope", "kein Raumbezug", "none"),
]


@pytest.mark.parametrize(("scheme", "given", "expected"), SURVEY_SPELLINGS)
def test_survey_spellings_resolve(scheme: str, given: str, expected: str) -> None:
    match = lookup(scheme, given)
    assert match.ok, (given, match)
    assert match.value == expected


def test_every_alias_and_label_resolves_to_its_own_concept() -> None:
    for scheme in vocabularies():
        for concept in scheme:
            for name in (concept.de, concept.en, concept.code, concept.uri, concept.survey, *concept.aliases):
                if not name:
                    continue
                match = scheme.lookup(name)
                assert match.ok and match.value == concept.value, (scheme.name, name, match)


def test_offered_label_is_exact_and_other_spellings_are_corrections() -> None:
    assert lookup("frequency", "täglich").status == "exact"
    assert lookup("frequency", "taeglich").status == "corrected"
    assert lookup("license", LIC + "cc-zero").status == "exact"


def test_ambiguous_and_unknown_are_never_guessed() -> None:
    match = lookup("license", "Datenlizenz Deutschland")
    assert match.status == "ambiguous" and match.value is None
    assert {c.code for c in match.candidates} >= {"dl-by-de/2.0", "dl-zero-de/2.0"}
    assert lookup("frequency", "alle paar Tage").status == "unknown"
    assert lookup("theme", "Raumfahrt").status == "unknown"
    assert lookup("theme", "").status == "empty"
    assert lookup("theme", "   \u00a0").status == "empty"


def test_keys() -> None:
    assert clean_key("  Täglich.\u00a0 ") == "täglich"
    assert loose_key("DL-DE->BY-2.0") == loose_key("dl-de-by-2.0") == "dldeby20"
    assert loose_key("taeglich") == loose_key("Täglich")
