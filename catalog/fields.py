"""The fields of an inventory entry: one declaration that the survey workbook, the reader, the validation
suite, the store and the export all derive from (SURVEY.md, "Columns of Datenbestände").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a field's value is read, normalised and stored."""

    IDENTIFIER = "identifier"
    TEXT = "text"  # single-line free text
    LONGTEXT = "longtext"  # free text, line breaks kept
    CODE = "code"  # one value of a vocabulary
    CODES = "codes"  # one or more values of a vocabulary, separated by comma or semicolon
    KEYWORDS = "keywords"  # free words, separated by comma or semicolon
    EMAIL = "email"
    URL = "url"
    DATE_START = "date_start"  # a month or year means its first day
    DATE_END = "date_end"  # a month or year means its last day
    DATE = "date"  # a month or year means its first day; not in the future


class Need(StrEnum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"
    OPTIONAL = "optional"
    CONDITIONAL = "conditional"  # required under a rule (see ``condition``)


@dataclass(frozen=True)
class Field:
    key: str
    column: str
    label: str
    kind: Kind
    need: Need
    help: str
    vocabulary: str | None = None
    max_length: int | None = None
    min_length_warning: int | None = None
    condition: str | None = None
    none_words: tuple[str, ...] = ()  # answers that mean "no value" for this field (e.g. HVD "keine")
    width: int = 18
    since: str | None = None  # the template version that added this column (None: there from the start)

    @property
    def is_list(self) -> bool:
        return self.kind in (Kind.CODES, Kind.KEYWORDS)


FIELDS: tuple[Field, ...] = (
    Field("identifier", "A", "Kennung", Kind.IDENTIFIER, Need.OPTIONAL,
          "Wird vom System vergeben. Bei neuen Zeilen bitte leer lassen, bei bekannten Einträgen nicht ändern.",
          width=14),
    Field("title", "B", "Titel des Datenbestands", Kind.TEXT, Need.REQUIRED,
          "Kurzer, verständlicher Name des Datenbestands (höchstens 200 Zeichen), z. B. „Baumkataster“.",
          max_length=200, width=36),
    Field("description", "C", "Beschreibung", Kind.LONGTEXT, Need.REQUIRED,
          "Was enthält der Datenbestand, wofür wird er genutzt? Bitte mindestens ein bis zwei Sätze.",
          min_length_warning=30, width=50),
    Field("theme", "D", "Themenkategorie", Kind.CODES, Need.REQUIRED,
          "Bitte eine Kategorie aus der Liste wählen (mehrere durch Semikolon trennen).", vocabulary="theme", width=30),
    Field("keywords", "E", "Schlagwörter", Kind.KEYWORDS, Need.RECOMMENDED,
          "Suchbegriffe, durch Komma oder Semikolon getrennt, z. B. „Bäume; Grünflächen“.", width=28),
    Field("data_kind", "F", "Art der Daten", Kind.CODE, Need.OPTIONAL,
          "Welche Art von Daten ist es? Bitte aus der Liste wählen.", vocabulary="data_kind", width=22),
    Field("source_system", "G", "Fachverfahren / Quellsystem", Kind.TEXT, Need.OPTIONAL,
          "In welchem Programm oder Fachverfahren werden die Daten geführt?", width=24),
    Field("contact_name", "H", "Ansprechstelle", Kind.TEXT, Need.RECOMMENDED,
          "Stelle oder Sachgebiet, das Fragen zu den Daten beantwortet.", width=24),
    Field("contact_email", "I", "Kontakt-E-Mail", Kind.EMAIL, Need.REQUIRED,
          "E-Mail-Adresse für Rückfragen, am besten ein Funktionspostfach.", width=28),
    Field("personal_data", "J", "Personenbezogene Daten", Kind.CODE, Need.REQUIRED,
          "Enthält der Datenbestand Angaben zu Personen? Personenbezogene Daten werden nie veröffentlicht.",
          vocabulary="personal_data", width=16),
    Field("third_party_rights", "K", "Rechte Dritter", Kind.CODE, Need.REQUIRED,
          "Haben andere (z. B. Firmen, Vermessung, Bund) Rechte an den Daten?",
          vocabulary="third_party_rights", width=14),
    Field("access_rights", "L", "Zugang", Kind.CODE, Need.REQUIRED,
          "Darf der Datenbestand öffentlich zugänglich sein?", vocabulary="access_rights", width=16),
    Field("restriction_reason", "M", "Begründung der Einschränkung", Kind.LONGTEXT, Need.CONDITIONAL,
          "Nur wenn der Zugang nicht öffentlich ist: Warum? (z. B. Datenschutz, Sicherheit, Urheberrecht)",
          condition="access_rights is not PUBLIC", width=30),
    Field("license", "N", "Lizenz", Kind.CODE, Need.CONDITIONAL,
          "Unter welcher Lizenz dürfen die Daten genutzt werden? Pflicht, wenn der Zugang öffentlich ist.",
          vocabulary="license", condition="access_rights is PUBLIC", width=34),
    Field("attribution", "O", "Namensnennung (Text)", Kind.TEXT, Need.CONDITIONAL,
          "Pflicht bei Lizenzen mit Namensnennung, z. B. „Stadt Augsburg, Amt für Statistik“.",
          condition="license requires attribution", width=30),
    Field("formats", "P", "Formate", Kind.CODES, Need.RECOMMENDED,
          "In welchen Formaten liegen die Daten vor? Mehrere durch Komma oder Semikolon trennen, z. B. „CSV; XLSX“.",
          vocabulary="file_type", width=18),
    Field("access_url", "Q", "URL (falls online)", Kind.URL, Need.OPTIONAL,
          "Adresse, unter der die Daten schon im Internet stehen (beginnt mit http:// oder https://).", width=30),
    Field("frequency", "R", "Aktualisierung", Kind.CODE, Need.RECOMMENDED,
          "Wie oft werden die Daten aktualisiert?", vocabulary="frequency", width=16),
    Field("temporal_start", "S", "Zeitraum von", Kind.DATE_START, Need.OPTIONAL,
          "Ab wann liegen Daten vor? Datum, Monat (03/2021) oder Jahr (2021).", width=14),
    Field("temporal_end", "T", "Zeitraum bis", Kind.DATE_END, Need.OPTIONAL,
          "Bis wann liegen Daten vor? Nicht vor „Zeitraum von“.", width=14),
    Field("spatial", "U", "Räumlicher Bezug", Kind.CODE, Need.RECOMMENDED,
          "Welches Gebiet decken die Daten ab?", vocabulary="spatial_scope", width=24),
    Field("last_updated", "V", "Letzte Aktualisierung", Kind.DATE, Need.OPTIONAL,
          "Wann wurden die Daten zuletzt aktualisiert? Nicht in der Zukunft.", width=16),
    Field("hvd_category", "W", "High-Value-Kategorie", Kind.CODE, Need.OPTIONAL,
          "Gehört der Datenbestand zu einer hochwertigen Datenkategorie der EU? Sonst „keine“.",
          vocabulary="hvd_category", none_words=("keine", "nein", "-", "k. a.", "keine angabe", "none", "n/a"),
          width=22),
    Field("publish_proposal", "X", "Veröffentlichung empfohlen", Kind.CODE, Need.REQUIRED,
          "Soll der Datenbestand als Open Data veröffentlicht werden?", vocabulary="publish_proposal", width=16),
    Field("remarks", "Y", "Anmerkungen", Kind.LONGTEXT, Need.OPTIONAL, "Was wir sonst noch wissen sollten.", width=30),
    # Added in template 2026.2, after the columns of SURVEY.md: what High-Value Datasets (bulk download,
    # API as a data service) and the list of protected data (Data Governance Act, Art. 8) need.
    Field("download_url", "Z", "Download-Adresse (Gesamtdatei)", Kind.URL, Need.OPTIONAL,
          "Adresse, unter der man den ganzen Datenbestand als eine Datei herunterladen kann, z. B. "
          "„https://…/baeume.csv“ oder „…/baeume.zip“. Leer, wenn es das nicht gibt.", width=30, since="2026.2"),
    Field("api_url", "AA", "Schnittstelle (API): Adresse", Kind.URL, Need.OPTIONAL,
          "Gibt es eine Schnittstelle, über die Programme die Daten abrufen (z. B. einen WMS- oder WFS-Dienst oder "
          "eine REST-Schnittstelle)? Dann bitte ihre Adresse (beginnt mit http:// oder https://). Sonst leer lassen.",
          width=30, since="2026.2"),
    Field("api_type", "AB", "Schnittstelle: Art", Kind.CODE, Need.OPTIONAL,
          "Welche Art von Schnittstelle ist es? Bitte aus der Liste wählen; im Zweifel „andere Schnittstelle“.",
          vocabulary="api_type", width=22, since="2026.2"),
    Field("api_documentation", "AC", "Schnittstelle: Beschreibung", Kind.URL, Need.OPTIONAL,
          "Adresse einer Seite, die die Schnittstelle beschreibt: Dokumentation, OpenAPI-Beschreibung oder der "
          "GetCapabilities-Aufruf eines Kartendienstes.", width=30, since="2026.2"),
    Field("legal_basis", "AD", "Rechtsgrundlage der Beschränkung", Kind.TEXT, Need.OPTIONAL,
          "Nur wenn der Zugang nicht öffentlich ist: Welche Vorschrift schützt die Daten? z. B. „Art. 6 DSGVO“, "
          "„§ 16 BStatG (Statistikgeheimnis)“, „Geschäftsgeheimnis (§ 2 GeschGehG)“.", width=30, since="2026.2"),
    Field("reuse_conditions", "AE", "Bedingungen der Weiterverwendung", Kind.LONGTEXT, Need.OPTIONAL,
          "Nur wenn der Zugang nicht öffentlich ist: Unter welchen Bedingungen können andere die Daten auf Anfrage "
          "nutzen? z. B. „nur anonymisierte Auszüge, auf schriftlichen Antrag, gebührenpflichtig“.",
          width=34, since="2026.2"),
    Field("protected_listing", "AF", "Im Verzeichnis geschützter Daten", Kind.CODE, Need.OPTIONAL,
          "Nur bei nicht öffentlichem Zugang: Darf der Datenbestand mit Titel und Beschreibung im öffentlichen "
          "Verzeichnis geschützter Daten stehen, damit andere eine Nutzung beantragen können? „nein“, wenn schon "
          "Titel oder Beschreibung Schützenswertes verraten.",
          vocabulary="protected_listing", width=20, since="2026.2"),
)

BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
BY_LABEL: dict[str, Field] = {f.label: f for f in FIELDS}
BY_COLUMN: dict[str, Field] = {f.column: f for f in FIELDS}

# The keys of one record of `inventur export --format jsonl`, in this order (SURVEY.md, a contract).
EXPORT_KEYS: tuple[str, ...] = (
    "identifier", "city", "department", "title", "description", "theme", "keywords", "data_kind",
    "source_system", "contact_name", "contact_email", "personal_data", "third_party_rights", "access_rights",
    "restriction_reason", "license", "attribution", "formats", "access_url", "frequency", "temporal_start",
    "temporal_end", "spatial", "last_updated", "hvd_category", "publish_proposal", "remarks", "status",
    "quality_score",
)

# The keys of the fields added to the survey after its first version: an entry stored before they
# existed has them empty, and empty they do not change its content hash (catalog.inventory).
LATER_KEYS: tuple[str, ...] = tuple(f.key for f in FIELDS if f.since)

# The keys of an entry's record inside inventur: the export's, then those of the later survey columns
# (Z to AF, template 2026.2), which `inventur export --all-fields` adds.
RECORD_KEYS: tuple[str, ...] = EXPORT_KEYS + LATER_KEYS

# Yes/no answers for the three-valued survey questions (SURVEY.md: ja, Ja, j, x, yes, nein, n, no, -).
YES_WORDS = frozenset({"ja", "j", "x", "yes", "y", "true", "wahr", "1", "✓", "✔"})
NO_WORDS = frozenset({"nein", "n", "no", "-", "false", "falsch", "0", "–", "—"})
