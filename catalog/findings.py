"""Findings: typed data problems with a stable code, a severity and a message in German and English.

This module is the one registry of finding codes (:data:`REGISTRY`): every code any wing emits is
declared here once, with its default severity, its German and English message and the short German
label reports show. Every message is rendered here from the code and its parameters, so that the survey
reader, the file inspection, the validation suite, the harvest connectors, publishing and the feedback
workbook all speak alike; a finding of a code not declared here cannot be made.
``error`` blocks approval, ``warning`` does not, ``info`` records an automatic correction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}

# code: (default severity, German label for reports, German message for the department, English message for
# operators). The messages are templates filled from the finding's parameters (a missing one reads as "").
_TABLE: dict[str, tuple[Severity, str, str, str]] = {
    "value-corrected": (
        "info",
        "Wert automatisch angepasst",
        "Wert automatisch angepasst: „{before}“ → „{after}“.",
        "Value corrected automatically: {before!r} -> {after!r}.",
    ),
    "missing-required": (
        "error",
        "Pflichtangabe fehlt",
        "Pflichtangabe „{label}“ fehlt. Bitte ergänzen.",
        "Required field {label!r} is empty.",
    ),
    "missing-recommended": (
        "warning",
        "empfohlene Angabe fehlt",
        "Empfohlene Angabe „{label}“ fehlt. Mit ihr ist der Datenbestand besser auffindbar.",
        "Recommended field {label!r} is empty.",
    ),
    "unknown-value": (
        "error",
        "ungültiger Wert",
        "„{value}“ ist kein gültiger Wert für „{label}“. Bitte einen Wert aus der Liste wählen{hint}.",
        "{value!r} is not a valid value for {label!r}{hint_en}.",
    ),
    "ambiguous-value": (
        "error",
        "mehrdeutiger Wert",
        "„{value}“ ist nicht eindeutig für „{label}“: gemeint sein kann {options}. Bitte genau einen Wert aus der Liste wählen.",
        "{value!r} is ambiguous for {label!r}: could be {options_en}.",
    ),
    "invalid-email": (
        "error",
        "ungültige E-Mail-Adresse",
        "„{value}“ ist keine gültige E-Mail-Adresse. Bitte eine Adresse wie name@stadt.de angeben.",
        "{value!r} is not a valid e-mail address.",
    ),
    "invalid-url": (
        "warning",
        "ungültige Internetadresse",
        "„{value}“ ist keine gültige Internetadresse. Sie muss mit http:// oder https:// beginnen.",
        "{value!r} is not a valid http(s) URL.",
    ),
    "invalid-date": (
        "error",
        "unlesbares Datum",
        "„{value}“ ist kein lesbares Datum. Bitte z. B. 01.03.2021, 03/2021 oder 2021 eintragen.",
        "{value!r} is not a readable date.",
    ),
    "date-order": (
        "error",
        "Zeitraum endet vor seinem Beginn",
        "„Zeitraum bis“ ({end}) liegt vor „Zeitraum von“ ({start}). Bitte prüfen.",
        "temporal_end {end} is before temporal_start {start}.",
    ),
    "date-in-future": (
        "warning",
        "Datum in der Zukunft",
        "Das Datum {value} liegt in der Zukunft. Bitte prüfen.",
        "Date {value} lies in the future.",
    ),
    "too-long": (
        "error",
        "Text zu lang",
        "Der Text ist zu lang ({length} Zeichen, erlaubt sind {limit}). Bitte kürzen.",
        "Text too long ({length} characters, limit {limit}).",
    ),
    "description-short": (
        "warning",
        "Beschreibung sehr kurz",
        "Die Beschreibung ist sehr kurz ({length} Zeichen). Bitte in ein bis zwei Sätzen erklären, was die Daten enthalten.",
        "Description is short ({length} characters, fewer than {limit}).",
    ),
    "too-many-values": (
        "error",
        "mehrere Werte, nur einer erlaubt",
        "Hier ist nur ein Wert erlaubt, eingetragen sind mehrere: „{value}“.",
        "Only one value allowed, got several: {value!r}.",
    ),
    "restriction-reason-missing": (
        "error",
        "Begründung der Zugangsbeschränkung fehlt",
        "Der Zugang ist nicht öffentlich: Bitte unter „Begründung der Einschränkung“ angeben, warum.",
        "access is not public but no restriction reason is given.",
    ),
    "license-missing": (
        "error",
        "Lizenz fehlt",
        "Der Zugang ist öffentlich: Bitte eine Lizenz auswählen.",
        "access is public but no licence is given.",
    ),
    "license-not-open": (
        "warning",
        "keine offene Lizenz",
        "Die Lizenz „{value}“ ist keine offene Lizenz: So kann der Datenbestand nicht als Open Data veröffentlicht werden.",
        "Licence {value!r} is not an open licence; the entry cannot be published.",
    ),
    "attribution-missing": (
        "error",
        "Namensnennung fehlt",
        "Die gewählte Lizenz verlangt eine Namensnennung: Bitte unter „Namensnennung (Text)“ eintragen, z. B. „{example}“.",
        "The licence requires attribution but no attribution text is given.",
    ),
    "personal-data-public": (
        "error",
        "personenbezogene Daten als öffentlich angegeben",
        "Personenbezogene Daten dürfen nicht öffentlich sein. Bitte Zugang oder die Angabe zu personenbezogenen Daten prüfen.",
        "Personal data marked as public access.",
    ),
    "personal-data-proposed": (
        "warning",
        "personenbezogene Daten zur Veröffentlichung empfohlen",
        "Personenbezogene Daten werden nie veröffentlicht, auch wenn eine Veröffentlichung empfohlen ist.",
        "Personal data is never published, although publication is proposed.",
    ),
    "third-party-rights": (
        "warning",
        "Rechte Dritter zu klären",
        "Rechte Dritter: „{value}“. Vor einer Veröffentlichung muss das Open-Data-Team die Rechte klären.",
        "Third-party rights {value!r}: a reviewer must clear them before publication.",
    ),
    "duplicate-title": (
        "warning",
        "Titel mehrfach in der Dienststelle",
        "Der Titel „{value}“ kommt in dieser Dienststelle mehrfach vor (Zeilen {rows}). Bitte prüfen, ob es derselbe Datenbestand ist.",
        "Title {value!r} appears more than once in this department (rows {rows}).",
    ),
    "duplicate-identifier": (
        "error",
        "Kennung mehrfach",
        "Die Kennung „{value}“ steht mehrfach in der Tabelle. Jede Kennung darf nur einmal vorkommen; bitte die Zeile prüfen.",
        "Identifier {value!r} appears more than once in the workbook.",
    ),
    "identifier-unknown": (
        "error",
        "unbekannte Kennung",
        "Die Kennung „{value}“ ist uns nicht bekannt. Bitte die Kennung nicht ändern; bei neuen Zeilen bleibt sie leer.",
        "Identifier {value!r} is unknown.",
    ),
    "identifier-foreign": (
        "error",
        "Kennung einer anderen Dienststelle",
        "Die Kennung „{value}“ gehört zu einer anderen Dienststelle. Bitte die Zeile prüfen.",
        "Identifier {value!r} belongs to another department.",
    ),
    "formula-in-cell": (
        "warning",
        "Formel in einer Zelle",
        "In dieser Zelle steht eine Formel; übernommen wird nur der angezeigte Wert „{value}“.",
        "The cell holds a formula; only its cached value {value!r} is read.",
    ),
    "unknown-column": (
        "info",
        "unbekannte Spalte",
        "Die Spalte „{value}“ gehört nicht zum Fragebogen und wurde nicht übernommen.",
        "Column {value!r} is not part of the survey and was ignored.",
    ),
    "missing-column": (
        "error",
        "Spalte fehlt",
        "Die Spalte „{label}“ fehlt in der Tabelle. Bitte die Vorlage unverändert verwenden.",
        "Column {label!r} is missing from the sheet.",
    ),
    "sheet-missing": (
        "error",
        "Tabellenblatt fehlt",
        "Das Tabellenblatt „{value}“ fehlt. Bitte die Vorlage unverändert verwenden.",
        "Sheet {value!r} is missing.",
    ),
    "header-missing": (
        "error",
        "Kopfzeile fehlt",
        "Im Blatt „{value}“ steht in den ersten {rows} Zeilen keine Kopfzeile mit den Spaltenüberschriften des "
        "Fragebogens{where_de}. Bitte lassen Sie die Kopfzeile in Zeile 1 (keine Zeilen darüber einfügen) und "
        "senden Sie die Datei erneut; bis dahin haben wir keine Zeile übernommen.",
        "No header row with the survey's column labels in the first {rows} rows of sheet {value!r}{where_en}; "
        "no row was read.",
    ),
    "sheet-hidden": (
        "warning",
        "Tabellenblatt ausgeblendet",
        "Das Blatt „{value}“ ist ausgeblendet. Wir haben es trotzdem gelesen; bitte blenden Sie es wieder ein "
        "(Rechtsklick auf ein Blattregister › „Einblenden“), damit Sie sehen, was Sie uns senden.",
        "Sheet {value!r} is hidden; it was read anyway.",
    ),
    "control-characters-removed": (
        "info",
        "Steuerzeichen entfernt",
        "Aus „{label}“ wurden {count} unsichtbare Steuerzeichen entfernt (vorher: {value}).",
        "{count} control character(s) removed from {label!r} (before: {value}).",
    ),
    "value-truncated": (
        "error",
        "Text gekürzt gespeichert",
        "Der Text in „{label}“ ist mit {length} Zeichen länger, als das Inventar speichern kann; gespeichert "
        "sind die ersten {limit} Zeichen. Bitte kürzen.",
        "{label!r} has {length} characters; only the first {limit} are stored.",
    ),
    "file-refused": (
        "error",
        "Datei nicht gelesen",
        "Die Datei „{value}“ wurde nicht gelesen: {reason_de}",
        "{value!r} was not read: {reason}",
    ),
    "template-outdated": (
        "error",
        "veraltete Vorlage",
        "Die Datei wurde mit einer veralteten Vorlage (Version {value}) ausgefüllt. Bitte die aktuelle Vorlage verwenden.",
        "Workbook uses template version {value}; current is {current}.",
    ),
    "signature-invalid": (
        "error",
        "Datei gehört nicht zur Dienststelle oder wurde verändert",
        "Die Datei gehört nicht zu dieser Dienststelle oder wurde verändert (Prüfsumme stimmt nicht). Bitte die zugesandte Vorlage verwenden.",
        "The workbook's signature does not match its city and department: {reason}.",
    ),
    "file-unreadable": (
        "error",
        "Datei nicht lesbar",
        "Die Datei konnte nicht gelesen werden: {reason_de}",
        "The file could not be read: {reason}",
    ),
    "file-too-large": (
        "error",
        "Datei zu groß",
        "Die Datei ist zu groß: {reason_de}",
        "The file is too large: {reason}",
    ),
    "file-empty": (
        "error",
        "Datei leer",
        "Die Datei ist leer (0 Byte). Vermutlich ist beim Speichern oder Hochladen etwas schiefgegangen. "
        "Bitte öffnen Sie Ihre Datei in Excel oder LibreOffice, speichern Sie sie erneut als "
        "Excel-Arbeitsmappe (.xlsx) und legen Sie sie noch einmal ab.",
        "The file is empty (0 bytes).",
    ),
    "file-macros": (
        "error",
        "Datei mit Makros",
        "Die Datei enthält Makros. Aus Sicherheitsgründen öffnen wir solche Dateien nicht. "
        "Bitte speichern Sie den Fragebogen über „Datei › Speichern unter“ im Format "
        "„Excel-Arbeitsmappe (*.xlsx)“ – dabei werden die Makros entfernt – und senden Sie ihn erneut.",
        "The workbook contains macros (VBA project or macro sheets, or a macro-enabled content type); not opened.",
    ),
    "file-encrypted": (
        "error",
        "Datei verschlüsselt",
        "Die Datei ist mit einem Passwort geschützt, daher können wir sie nicht lesen. Bitte heben Sie "
        "den Kennwortschutz auf (in Excel: „Datei › Informationen › Arbeitsmappe schützen › Mit "
        "Kennwort verschlüsseln“ und das Kennwort löschen), speichern Sie die Datei und senden Sie sie "
        "erneut. Bitte schicken Sie uns kein Passwort.",
        "The file is password-protected (encrypted); it cannot be read.",
    ),
    "file-embedded-content": (
        "warning",
        "Datei mit eingebetteten Inhalten",
        "Die Datei enthält {contents}. Diese werten wir nicht aus; Ihre Einträge verarbeiten wir trotzdem. "
        "Bitte prüfen Sie beim nächsten Mal, ob die Verknüpfungen oder Objekte nötig sind, und entfernen "
        "Sie sie nach Möglichkeit.",
        "The workbook contains {contents_en}; they are ignored.",
    ),
    "date-too-early": (
        "warning",
        "auffällig frühes Datum",
        "Das Datum {value} liegt vor dem {limit}. Bitte prüfen, ob es richtig eingetragen ist.",
        "Date {value} lies before {limit}.",
    ),
    "duplicate-across-departments": (
        "warning",
        "derselbe Datenbestand in einer anderen Dienststelle",
        "Derselbe oder ein sehr ähnlicher Datenbestand ist auch bei {others} eingetragen. Bitte abstimmen, welche Stelle ihn führt.",
        "The same or a very similar dataset is also entered by {others_en}.",
    ),
    "similar-in-other-city": (
        "info",
        "ähnlicher Datenbestand in einer anderen Stadt",
        "Hinweis: {city_name} hat einen ähnlichen Datenbestand erfasst: {others}.",
        "{city_name} has inventoried a similar dataset: {others_en}.",
    ),
    "keyword-changed": (
        "info",
        "Schlagwort angepasst",
        "Schlagwort „{before}“ wird als „{after}“ veröffentlicht: Datenportale erlauben in Schlagwörtern nur "
        "Buchstaben, Ziffern, Leerzeichen, Bindestrich, Unterstrich und Punkt (höchstens 100 Zeichen).",
        "Keyword {before!r} is published as {after!r} (portals allow letters, digits, blanks, - _ . only, "
        "at most 100 characters).",
    ),
    "keyword-dropped": (
        "warning",
        "Schlagwort nicht veröffentlicht",
        "Schlagwort „{value}“ wird nicht veröffentlicht: Datenportale verlangen mindestens zwei Buchstaben "
        "oder Ziffern. Bitte ein aussagekräftigeres Schlagwort angeben.",
        "Keyword {value!r} is not published: portals need at least two letters or digits.",
    ),
    # High-Value Datasets (catalog.hvd): what Regulation (EU) 2023/138 asks and the entry does not meet yet
    "hvd-not-public": (
        "warning",
        "hochwertiger Datensatz nicht öffentlich",
        "Hochwertiger Datensatz ({category}): Er muss öffentlich zugänglich sein, angegeben ist „{value}“. Bitte "
        "prüfen, ob die High-Value-Kategorie oder der Zugang stimmt.",
        "High-value dataset ({category_en}) must be public; access is {value!r}.",
    ),
    "hvd-licence": (
        "warning",
        "hochwertiger Datensatz: Lizenz nicht frei genug",
        "Hochwertiger Datensatz ({category}): Die Lizenz muss mindestens so frei sein wie CC BY 4.0, z. B. "
        "„Datenlizenz Deutschland – Zero – 2.0“ oder „Datenlizenz Deutschland – Namensnennung – 2.0“. {problem}",
        "High-value dataset ({category_en}) needs a licence at least as permissive as CC BY 4.0: {problem_en}.",
    ),
    "hvd-format": (
        "warning",
        "hochwertiger Datensatz: kein maschinenlesbares Format",
        "Hochwertiger Datensatz ({category}): Die Daten müssen in einem maschinenlesbaren Format bereitstehen, "
        "{examples}{given}.",
        "High-value dataset ({category_en}) needs a machine-readable format{given_en}.",
    ),
    "hvd-bulk-download": (
        "warning",
        "hochwertiger Datensatz: kein Gesamtdownload",
        "Hochwertiger Datensatz ({category}): Er muss als Ganzes herunterladbar sein. Bitte unter "
        "„Download-Adresse (Gesamtdatei)“ die Adresse der Datei eintragen.",
        "High-value dataset ({category_en}) needs a bulk download: no URL of a file with the whole dataset.",
    ),
    "hvd-api": (
        "warning",
        "hochwertiger Datensatz: keine Schnittstelle (API)",
        "Hochwertiger Datensatz ({category}): Er muss über eine Schnittstelle (API) abrufbar sein. Bitte unter "
        "„Schnittstelle (API): Adresse“ ihre Adresse eintragen; gibt es keine, klären wir gemeinsam, wie eine "
        "entstehen kann.",
        "High-value dataset ({category_en}) must be served by an API: none is given.",
    ),
    "hvd-metadata": (
        "warning",
        "hochwertiger Datensatz: HVD-Metadaten unvollständig",
        "Hochwertiger Datensatz ({category}): Für die Meldung an die EU fehlt „{label}“. {hint}",
        "High-value dataset ({category_en}): HVD metadata incomplete, {label_en} is missing.",
    ),
    "hvd-contact": (
        "warning",
        "hochwertiger Datensatz: keine Kontaktstelle",
        "Hochwertiger Datensatz ({category}): Er braucht eine gültige Kontakt-E-Mail, am besten ein "
        "Funktionspostfach.",
        "High-value dataset ({category_en}) needs a valid contact e-mail address.",
    ),
    # the list of protected data (Data Governance Act, Art. 8; catalog.protected)
    "legal-basis-missing": (
        "warning",
        "Rechtsgrundlage der Beschränkung fehlt",
        "Der Zugang ist nicht öffentlich: Bitte unter „Rechtsgrundlage der Beschränkung“ die Vorschrift nennen, "
        "die die Daten schützt (z. B. „Art. 6 DSGVO“). Sie steht im Verzeichnis geschützter Daten.",
        "Access is not public but no legal basis of the restriction is given (the list of protected data "
        "names it).",
    ),
    # publish
    "ckan-rejected": (
        "warning",
        "vom Datenportal abgelehnt",
        "Das Datenportal (CKAN) hat den Datensatz abgelehnt: {where}{reason} Bitte die Angabe prüfen.",
        "CKAN refused the package: {where}{reason}",
    ),
    # what the portal's DCAT (ckanext-dcat with ckanext-dcatde) says, checked by `inventur publish --verify`
    "portal-dcat-missing": (
        "warning",
        "fehlt im DCAT des Portals",
        "Der Datensatz ist veröffentlicht, fehlt aber im DCAT-Katalog des Datenportals ({portal}), den GovData "
        "abruft.",
        "The dataset is published but missing from the DCAT catalog of {portal}, which GovData harvests.",
    ),
    "portal-dcat-difference": (
        "warning",
        "DCAT des Portals weicht ab",
        "Im DCAT des Datenportals ({portal}) weicht {node} „{property}“ von der Veröffentlichung ab: erwartet "
        "{expected}, im Portal {found}. Wurde der Datensatz im Portal von Hand geändert?",
        "The DCAT of {portal} differs from what was published: {node} {property}: expected {expected}, "
        "the portal has {found}.",
    ),
    "portal-dcat-violation": (
        "warning",
        "DCAT des Portals verletzt eine Regel",
        "Das DCAT des Datenportals ({portal}) verletzt eine Regel von {profile}: {message} "
        "(Eigenschaft {path})",
        "The DCAT of {portal} violates a {profile} rule: {message} ({path}; {rule})",
    ),
    # harvest
    "department-unmapped": (
        "warning",
        "Organisation der Quelle keiner Dienststelle zugeordnet",
        "Die Organisation „{value}“ der Quelle {source} ist keiner Dienststelle zugeordnet; der Datenbestand "
        "wurde vorläufig {department} zugeordnet. Bitte die Zuordnung in der Quellenliste ergänzen.",
        "Remote organisation {value!r} of {source} is not mapped to a department; assigned to {department}.",
    ),
    "department-unknown": (
        "warning",
        "Organisation der Quelle unbekannt, nicht übernommen",
        "Die Organisation „{value}“ der Quelle {source} ist keiner Dienststelle zugeordnet und die Quelle hat "
        "keine Standard-Dienststelle: „{title}“ wurde nicht übernommen.",
        "Remote organisation {value!r} of {source} maps to no department and the source has no default "
        "department: {title!r} was skipped.",
    ),
    "remote-gone": (
        "warning",
        "in der Quelle nicht mehr vorhanden",
        "Der Datenbestand ist in der Quelle {source} nicht mehr vorhanden. {consequence}",
        "The record is no longer at its source {source}. {consequence_en}",
    ),
    "remote-record-skipped": (
        "warning",
        "Datensatz der Quelle nicht übernommen",
        "Ein Datensatz der Quelle {source} wurde nicht übernommen: {reason_de}",
        "A record of {source} was skipped: {reason}",
    ),
    "duplicate-across-sources": (
        "warning",
        "derselbe Datenbestand aus mehreren Quellen",
        "Derselbe Datenbestand kommt auch aus der Quelle {source} ({value}) und weicht dort ab bei: {fields}. "
        "Übernommen sind die Angaben aus {owner}; bitte klären, welche Quelle gilt.",
        "The same dataset also comes from {source} ({value}) and differs there in: {fields_en}. The values from "
        "{owner} are kept; decide which source is right.",
    ),
    "value-wrong-type": (
        "error",
        "Quelle liefert mehrere Werte statt einem",
        "Die Quelle liefert für „{label}“ {kind} statt eines einzelnen Werts: „{value}“. Der Wert wurde nicht "
        "übernommen; bitte in der Quelle korrigieren.",
        "The source gives {kind_en} instead of a single value for {label!r}: {value!r}; it was not taken.",
    ),
    "category-unmapped": (
        "info",
        "Kategorie ohne EU-Datenthema",
        "Die ältere GovData-Kategorie „{value}“ hat keine Entsprechung unter den EU-Datenthemen (auch GovData "
        "ordnet sie keinem zu) und wurde nicht übernommen.",
        "The older GovData category {value!r} maps to no EU data theme (GovData maps it to none either); "
        "it was not taken.",
    ),
    "harvest-incomplete": (
        "warning",
        "Quelle nicht vollständig gelesen",
        "Die Quelle {source} wurde nicht vollständig gelesen ({reason_de}). Datenbestände, die dort fehlen, "
        "werden deshalb diesmal nicht als entfernt markiert.",
        "The source {source} was not read completely ({reason}); records missing from it are not marked "
        "gone this time.",
    ),
}


@dataclass(frozen=True)
class FindingKind:
    """One registered finding code: its default severity, label and message templates."""

    code: str
    severity: Severity
    label: str
    message: str
    message_en: str


REGISTRY: dict[str, FindingKind] = {
    code: FindingKind(code, severity, label, de, en) for code, (severity, label, de, en) in _TABLE.items()
}
"""Every finding code of the project, declared once."""

MESSAGES: dict[str, tuple[Severity, str, str]] = {
    code: (kind.severity, kind.message, kind.message_en) for code, kind in REGISTRY.items()
}
"""code: (default severity, German template, English template), derived from :data:`REGISTRY`."""

LABELS: dict[str, str] = {code: kind.label for code, kind in REGISTRY.items()}
"""code: short German label for reports, derived from :data:`REGISTRY`."""


class UnregisteredCode(ValueError):
    """A finding code that :data:`REGISTRY` does not declare: a programming error, caught by the tests."""


def registered(code: str) -> FindingKind:
    """The registry's declaration of ``code``; raises :class:`UnregisteredCode` for an undeclared one."""
    try:
        return REGISTRY[code]
    except KeyError:
        raise UnregisteredCode(f"finding code {code!r} is not declared in catalog.findings.REGISTRY") from None


@dataclass(frozen=True)
class Finding:
    """One data problem, with where it is (file, sheet, row, column) and what it concerns."""

    code: str
    severity: Severity
    message: str
    message_en: str
    city: str | None = None
    department: str | None = None
    identifier: str | None = None
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None
    value: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.code not in REGISTRY:
            registered(self.code)

    def at(self, **where: Any) -> Finding:
        """The same finding with its location (file, sheet, row, column, city, ...) filled in."""
        return replace(self, **where)

    def as_record(self) -> dict[str, Any]:
        """The finding with exactly the keys of SURVEY.md ("Findings")."""
        data = asdict(self)
        data.pop("params")
        return {k: data[k] for k in FINDING_KEYS}


FINDING_KEYS: tuple[str, ...] = (
    "code", "severity", "city", "department", "identifier", "file", "sheet", "row", "column", "field",
    "value", "message", "message_en",
)


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def finding(code: str, *, severity: Severity | None = None, value: Any = None, **params: Any) -> Finding:
    """Create a finding of ``code`` with its messages rendered from ``params`` (and ``value``)."""
    kind = registered(code)
    default, de, en = kind.severity, kind.message, kind.message_en
    shown = "" if value is None else str(value)
    context = _Blank(params, value=shown)
    return Finding(
        code=code,
        severity=severity or default,
        message=de.format_map(context),
        message_en=en.format_map(context),
        value=None if value is None else shown,
        field=params.get("field"),
        params=dict(params),
    )


def worded(code: str, message: str, message_en: str, *, severity: Severity | None = None) -> Finding:
    """A finding of the registered ``code`` whose check words the messages itself, because it knows more
    than the code's template says (the file inspection names what exactly is wrong with a file)."""
    return Finding(code=code, severity=severity or registered(code).severity, message=message,
                   message_en=message_en)


def worst(findings: list[Finding]) -> Severity | None:
    """The most severe severity among ``findings`` (None when there are none)."""
    if not findings:
        return None
    return min((f.severity for f in findings), key=SEVERITY_ORDER.__getitem__)
