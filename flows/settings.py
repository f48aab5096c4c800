"""Settings, declared once (environment variables with the prefix ``INVENTUR_``), read in ``flows/``
and passed down. Secrets are ``SecretStr`` and never logged.

The per-city settings (``INVENTUR_SECRET_<CITY>``, ``INVENTUR_CKAN_URL_<CITY>``,
``INVENTUR_CKAN_TOKEN_<CITY>``) are built from the cities of ``catalog/data/cities.yaml``: a city added
there has its settings, its command-line choice and its flow parameter value without a code change.
"""

from __future__ import annotations

import json
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import Field, SecretStr, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from catalog.organisation import city_names

if TYPE_CHECKING:
    from survey.collect import ReadLimits

CITY_KEYS: tuple[str, ...] = tuple(city_names())
"""The cities' keys (``muenchen``, ``augsburg``, ``nuernberg``), in the order of ``cities.yaml``."""
SHAPES_SOURCE = "https://github.com/GovDataOfficial/DCAT-AP.de-SHACL-Validation/archive/refs/heads/master.tar.gz"


def _per_city_fields() -> dict[str, Any]:
    """``secret_<city>``, ``ckan_url_<city>`` and ``ckan_token_<city>`` for each city of ``cities.yaml``."""
    fields: dict[str, Any] = {}
    for key, name in city_names().items():
        fields[f"secret_{key}"] = (SecretStr | None, Field(
            default=None, description=f"Signing secret of {name}'s workbooks."))
        fields[f"ckan_url_{key}"] = (str | None, Field(
            default=None, description=f"{name}'s own CKAN portal (instead of INVENTUR_CKAN_URL) for publishing."))
        fields[f"ckan_token_{key}"] = (SecretStr | None, Field(
            default=None, description=f"API token of {name}'s portal (default: INVENTUR_CKAN_TOKEN)."))
    return fields


if TYPE_CHECKING:
    _CitySettings = BaseSettings
else:
    _CitySettings = create_model("_CitySettings", __base__=BaseSettings, **_per_city_fields())


class CitySettings(NamedTuple):
    """What one city configures: its signing secret and its own CKAN portal (None: the common one)."""

    key: str
    secret: SecretStr | None
    ckan_url: str | None
    ckan_token: SecretStr | None


class Settings(_CitySettings):
    """Everything that differs between installations. Each field is an ``INVENTUR_<NAME>`` variable."""

    model_config = SettingsConfigDict(env_prefix="INVENTUR_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///inventur.db",
        description="SQLAlchemy URL of the store; default an SQLite file in the working folder. "
        "PostgreSQL: postgresql://user:password@host:5432/inventur",
    )
    data_dir: Path = Field(
        default=Path("inventur-data"),
        description="Folder for received files, reports, feedback workbooks and generated secrets.",
    )
    share: str | None = Field(
        default=None,
        description="Sharing platform: a folder path or a WebDAV URL (https://...). Default: <data_dir>/share.",
    )
    share_username: str | None = Field(default=None, description="WebDAV user name.")
    share_password: SecretStr | None = Field(default=None, description="WebDAV password.")
    departments_file: Path | None = Field(
        default=None, description="A city's own departments YAML instead of the shipped one."
    )
    ckan_url: str | None = Field(default=None, description="CKAN portal to publish to, e.g. http://127.0.0.1:5050.")
    ckan_token: SecretStr | None = Field(default=None, description="API token of the CKAN portal.")
    publish_concurrency: int = Field(
        default=4, ge=1, le=32, description="Parallel write calls to a CKAN portal while publishing."
    )
    portal_dir: Path | None = Field(
        default=None,
        description="Folder of the local development portal, one per machine user whatever the current folder. "
        "Default: ~/.local/share/inventur/portal ($XDG_DATA_HOME), for root /var/lib/inventur/portal.",
    )
    http_timeout: float = Field(default=20.0, description="Timeout in seconds of every network call.")
    sources_file: Path | None = Field(
        default=None,
        description="YAML file of the harvest sources (name, city, kind ckan|dcat|sql, url, departments, "
        "schedule) that `inventur harvest sources` and the scheduled flows run; see harvest-sources.example.yaml.",
    )
    lock_wait: float = Field(
        default=600.0, description="Seconds a run waits for another run of the same kind (collect, publish, ...) to end."
    )
    chunk_size: int = Field(
        default=5000, ge=1,
        description="Entries read at a time by validate (and the validation after collect), quality and review "
        "list: memory grows with it, not with the inventory; the findings are the same for any size.",
    )
    url_checks: bool = Field(default=True, description="Check that entries' URLs answer (quality score); off: offline.")
    max_file_mb: int = Field(default=20, ge=1, description="Largest received workbook read, in MiB.")
    max_unpacked_mb: int = Field(
        default=200, ge=1, description="Largest unpacked size of a received workbook (all its parts), in MiB."
    )
    read_max_rows: int = Field(default=200_000, ge=10, description="Last row of a sheet that is read.")
    read_max_columns: int = Field(default=256, ge=26, description="Last column of a sheet that is read.")
    read_max_cells: int = Field(
        default=6_000_000, ge=1000, description="Most cells (rows x columns up to the last cell) of a sheet that is read."
    )
    read_memory_mb: int = Field(
        default=1024, ge=128, description="Memory (address space, MiB) of the child process that reads and marks workbooks."
    )
    read_timeout: float = Field(default=300.0, gt=0, description="Seconds the child process may take for one workbook.")
    feedback_max_cells: int = Field(
        default=1_000_000, ge=0,
        description="A feedback workbook marks the cells of sheets up to this size; larger ones get the summary only.",
    )
    http_deadline: float = Field(
        default=300.0, gt=0, description="Seconds one harvest request may take in all (connecting, waiting, reading)."
    )
    harvest_deadline: float = Field(default=3600.0, gt=0, description="Seconds one harvest source may take in all.")
    harvest_max_mb: int = Field(default=200, ge=1, description="Largest answer or catalog file of a harvest source, in MiB.")
    harvest_max_triples: int = Field(
        default=250_000, ge=100, description="Most RDF statements of one catalog page (more are not read into memory)."
    )
    http_max_redirects: int = Field(default=5, ge=0, le=30, description="Redirects followed per harvest request.")
    shapes_dir: Path | None = Field(
        default=None,
        description="The official DCAT-AP.de validation material: a folder with shapes-2.0, shapes-3.0, vocab and "
        "ontologies, for `inventur dcat validate` and the quality score. Default: <data_dir>/dcat-ap-de, where "
        "`inventur shapes fetch` puts it.",
    )
    shapes_source: str = Field(
        default=SHAPES_SOURCE,
        description="Where `inventur shapes fetch` takes the material from: an archive (tar.gz URL or path) of "
        "GovData's validator repository GovDataOfficial/DCAT-AP.de-SHACL-Validation.",
    )

    hvd_shapes_dir: Path | None = Field(
        default=None,
        description="The DCAT-AP HVD 3.0.0 SHACL shapes (the folder with hvd-SHACL.ttl, SEMICeu/DCAT-AP "
        "releases/3.0.0-hvd): `inventur hvd` checks the HVD datasets' metadata against them when set, "
        "`inventur publish --verify` the High-Value Datasets in the portal's DCAT.",
    )

    ckan_dcatde: str | None = Field(
        default=None,
        description="Where the local portal installs GovData's ckanext-dcatde from: a wheel file, or a pip "
        "requirement such as 'ckanext-dcatde @ git+https://github.com/GovDataOfficial/ckanext-dcatde@6.10.0'. "
        "Unset: the portal keeps its earlier choice (a new portal runs ckanext-dcat's DCAT-AP 2 profile); "
        "empty: DCAT-AP 2 profile.",
    )

    def shapes_folder(self) -> Path:
        """The folder of the DCAT-AP.de validation material (it may not exist yet)."""
        return (self.shapes_dir if self.shapes_dir is not None else self.data_dir / "dcat-ap-de").resolve()

    def dcat_shapes(self, profile: str = "shapes-2.0") -> Path | None:
        """The shapes folder of ``profile`` to check exported datasets against, or None when there is none.
        A folder that holds shape files itself (one profile, as before) is taken as it is."""
        folder = self.shapes_folder()
        if (folder / profile).is_dir():
            return folder / profile
        if folder.is_dir() and any(folder.glob("*.ttl")):
            return folder
        return None

    def dcat_shape_profiles(self) -> dict[str, Path]:
        """The DCAT-AP.de profiles to validate against, by version (``2.0``, ``3.0``), where their shapes are:
        ``shapes-2.0`` / ``shapes-3.0`` inside the material's folder, or the folder itself when it holds the
        shape files of one profile."""
        folder = self.shapes_folder()
        found = {version: folder / f"shapes-{version}" for version in ("2.0", "3.0")
                 if (folder / f"shapes-{version}").is_dir()}
        if not found and folder.is_dir() and any(folder.glob("*.ttl")):
            found[folder.name.removeprefix("shapes-")] = folder
        return found

    def read_limits(self) -> ReadLimits:
        """The bounds of reading a received workbook, for the collector."""
        from catalog.sandbox import ChildLimits
        from catalog.sheets import SheetLimits
        from survey.collect import ReadLimits

        return ReadLimits(
            max_file_bytes=self.max_file_mb * 1024 * 1024,
            max_uncompressed=self.max_unpacked_mb * 1024 * 1024,
            sheet=SheetLimits(self.read_max_rows, self.read_max_columns, self.read_max_cells),
            child=ChildLimits(self.read_memory_mb, self.read_timeout),
        )

    def resolved_database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute (so that logs say where it is)."""
        url = self.database_url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
            return "sqlite:///" + str(Path(url[len("sqlite:///"):]).resolve())
        return url

    @cached_property
    def share_location(self) -> str:
        return self.share or str((self.data_dir / "share").resolve())

    @cached_property
    def portal_folder(self) -> Path:
        """The local portal's folder: ``INVENTUR_PORTAL_DIR``, else the one portal of this machine user,
        the same from every folder (see ``portal.layout.default_base_dir``)."""
        if self.portal_dir is not None:
            return self.portal_dir.expanduser().resolve()
        from portal.layout import default_base_dir

        return default_base_dir()

    def city(self, key: str) -> CitySettings:
        """The settings of city ``key`` (one of :data:`CITY_KEYS`)."""
        if key not in CITY_KEYS:
            from catalog.organisation import UnknownCity

            raise UnknownCity(f"unknown city {key!r}; known: {', '.join(CITY_KEYS)}")
        return CitySettings(key, getattr(self, f"secret_{key}"), getattr(self, f"ckan_url_{key}"),
                            getattr(self, f"ckan_token_{key}"))

    def signing_secret(self, city: str) -> bytes:
        """The city's signing secret: the configured one, else one generated once for this data folder."""
        configured = self.city(city).secret
        if configured is not None:
            return configured.get_secret_value().encode("utf-8")
        path = self.data_dir / "secrets.json"
        stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        if city not in stored:
            stored[city] = secrets.token_hex(32)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(stored, indent=2))
            os.chmod(tmp, 0o600)
            tmp.replace(path)
        return stored[city].encode("utf-8")


def load_settings() -> Settings:
    """Read the settings once, from the environment."""
    return Settings()
