"""Normalisation of raw answers: every messy input of SURVEY.md, with the info finding it leaves."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.fields import BY_KEY
from catalog.normalise import normalise_record, normalise_value, parse_date

TODAY = dt.date(2026, 11, 26)


def value(key: str, raw: object) -> tuple[object, list[str]]:
    result, found = normalise_value(BY_KEY[key], raw, today=TODAY)
    return result, [f.code for f in found]


@pytest.mark.parametrize("raw", ["ja", "Ja", "j", "x", "X", "yes", " ja. "])
def test_yes(raw: str) -> None:
    assert value("personal_data", raw)[0] == "yes"


@pytest.mark.parametrize("raw", ["nein", "n", "no", "-", "Nein"])
def test_no(raw: str) -> None:
    assert value("third_party_rights", raw)[0] == "no"


@pytest.mark.parametrize(
    ("raw", "start", "end"),
    [
        (dt.datetime(2021, 3, 1), "2021-03-01", "2021-03-01"),
        (dt.date(2021, 3, 1), "2021-03-01", "2021-03-01"),
        ("01.03.2021", "2021-03-01", "2021-03-01"),
        ("1.3.21", "2021-03-01", "2021-03-01"),
        ("2021-03-01", "2021-03-01", "2021-03-01"),
        ("03/2021", "2021-03-01", "2021-03-31"),
        ("März 2021", "2021-03-01", "2021-03-31"),
        ("Februar 2024", "2024-02-01", "2024-02-29"),
        ("2021", "2021-01-01", "2021-12-31"),
        (2021, "2021-01-01", "2021-12-31"),
        (2021.0, "2021-01-01", "2021-12-31"),
        (44256, "2021-03-01", "2021-03-01"),
    ],
)
def test_dates(raw: object, start: str, end: str) -> None:
    assert value("temporal_start", raw)[0] == start
    assert value("temporal_end", raw)[0] == end


def test_real_excel_date_is_no_correction_but_text_is() -> None:
    assert value("temporal_start", dt.datetime(2021, 3, 1)) == ("2021-03-01", [])
    assert value("temporal_start", "01.03.2021") == ("2021-03-01", ["value-corrected"])


@pytest.mark.parametrize("raw", ["31.02.2021", "irgendwann", "13/2021"])
def test_bad_dates(raw: str) -> None:
    assert value("temporal_start", raw) == (None, ["invalid-date"])
    assert parse_date(raw) is None


@pytest.mark.parametrize("raw", ["mailto:gruen@augsburg.de", "  gruen@augsburg.de ", "MAILTO:gruen@Augsburg.de", "<gruen@augsburg.de>"])
def test_email(raw: str) -> None:
    assert value("contact_email", raw)[0] == "gruen@augsburg.de"


def test_bad_email_is_an_error_and_no_value() -> None:
    result, found = normalise_value(BY_KEY["contact_email"], "gruen(at)augsburg.de", today=TODAY)
    assert result is None
    assert [(f.code, f.severity, f.field) for f in found] == [("invalid-email", "error", "contact_email")]


def test_text_cleanup() -> None:
    assert value("title", "  Baum\u00a0kataster\n 2024 ")[0] == "Baum kataster 2024"
    assert value("description", "Zeile eins \r\n  Zeile\u00a0zwei  ")[0] == "Zeile eins\nZeile zwei"
    assert value("title", "x" * 201)[1] == ["too-long"]


def test_lists() -> None:
    formats, codes = value("formats", "csv; xlsx, Shape")
    assert [f.rsplit("/", 1)[1] for f in formats] == ["CSV", "XLSX", "SHP"]  # type: ignore[union-attr]
    assert codes == ["value-corrected"] * 3
    themes, _ = value("theme", "Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel")
    assert [t.rsplit("/", 1)[1] for t in themes] == ["AGRI"]  # type: ignore[union-attr]
    themes, _ = value("theme", "Umwelt; Verkehr")
    assert [t.rsplit("/", 1)[1] for t in themes] == ["ENVI", "TRAN"]  # type: ignore[union-attr]
    assert value("keywords", "Bäume, Grün; bäume\n Park")[0] == ["Bäume", "Grün", "Park"]


def test_keywords_are_cleaned_as_portals_carry_them_and_the_department_is_told() -> None:
    """One cleaning for every path (catalog/keywords.py): what is stored is what CKAN and GovData show."""
    result, found = normalise_value(BY_KEY["keywords"], "Baum/Kataster; Grün & Blau; x; ÖPNV-Haltestellen_2024 v1.2; "
                                    "baum kataster; C++", today=TODAY)
    assert result == ["Baum Kataster", "Grün Blau", "ÖPNV-Haltestellen_2024 v1.2"]
    assert [(f.code, f.severity, f.value) for f in found] == [
        ("keyword-changed", "info", "Baum/Kataster"), ("keyword-changed", "info", "Grün & Blau"),
        ("keyword-dropped", "warning", "x"), ("keyword-dropped", "warning", "C++")]
    assert "„Baum/Kataster“ wird als „Baum Kataster“ veröffentlicht" in found[0].message
    assert all(f.field == "keywords" for f in found)
    assert normalise_value(BY_KEY["keywords"], "Bäume; Stadtgrün", today=TODAY) == (["Bäume", "Stadtgrün"], [])


def test_unknown_and_ambiguous_codes() -> None:
    result, found = normalise_value(BY_KEY["license"], "Datenlizenz Deutschland", today=TODAY)
    assert result is None and [f.code for f in found] == ["ambiguous-value"]
    assert "oder" in found[0].message
    result, found = normalise_value(BY_KEY["frequency"], "alle paar Tage", today=TODAY)
    assert result is None and [(f.code, f.severity) for f in found] == [("unknown-value", "warning")]
    result, found = normalise_value(BY_KEY["access_rights"], "vielleicht", today=TODAY)
    assert [(f.code, f.severity) for f in found] == [("unknown-value", "error")]


def test_hvd_none_words() -> None:
    assert value("hvd_category", "keine") == (None, [])
    assert value("hvd_category", "Georaum")[0] == "http://data.europa.eu/bna/c_ac64a52d"


def test_correction_shows_before_and_after() -> None:
    result = normalise_record({"frequency": "1x jährlich"}, today=TODAY)
    [info] = result.findings
    assert info.code == "value-corrected" and info.severity == "info"
    assert "„1x jährlich“ → „jährlich“" in info.message
    assert info.value == "1x jährlich"


def test_url() -> None:
    assert value("access_url", "www.augsburg.de/daten") == ("https://www.augsburg.de/daten", ["value-corrected"])
    assert value("access_url", "https://opendata.muenchen.de/dataset/x") == ("https://opendata.muenchen.de/dataset/x", [])
    assert value("access_url", "Laufwerk G:\\Daten") == (None, ["invalid-url"])


@pytest.mark.parametrize(("raw", "tidied"), [
    ("Baumkataster .", "Baumkataster"),
    ("Baumkataster –", "Baumkataster"),
    ("Baumkataster - .", "Baumkataster"),
    ("– Baumkataster", "Baumkataster"),
    ("Baum  kataster", "Baum kataster"),
    ("Spielplätze ,", "Spielplätze"),
])
def test_stray_punctuation_and_spacing_dropped_as_a_correction(raw: str, tidied: str) -> None:
    result, found = normalise_value(BY_KEY["title"], raw, today=TODAY)
    assert result == tidied
    assert [(f.code, f.field, f.severity) for f in found] == [("value-corrected", "title", "info")]
    assert f"„{raw}“ → „{tidied}“" in found[0].message


@pytest.mark.parametrize("raw", ["Baumkataster", "  Baumkataster  ", "Bäume e.V.", "Haushalt 2024 – Entwurf",
                                 "Haltestellen Nr. 5", "Baum\u00a0kataster"])
def test_what_a_person_would_keep_is_no_correction(raw: str) -> None:
    assert value("title", raw)[1] == []
    assert value("contact_name", raw)[1] == []


def test_free_text_keeps_its_dots_and_case() -> None:
    assert value("description", "Alle Bäume der Stadt. Jährlich gepflegt.")[0] == "Alle Bäume der Stadt. Jährlich gepflegt."
    assert value("title", "Bäume e.V.")[0] == "Bäume e.V."
