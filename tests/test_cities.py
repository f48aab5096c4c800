"""The cities are listed once, in catalog/data/cities.yaml; settings, choices and flow parameters follow it."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from catalog.organisation import load_organisation

ROOT = Path(__file__).resolve().parents[1]


def test_everything_per_city_follows_cities_yaml() -> None:
    from flows.cli.app import CITY_CHOICE
    from flows.pipeline import CITIES, City
    from flows.settings import CITY_KEYS, Settings

    keys = tuple(c.key for c in load_organisation().cities)
    assert keys == CITY_KEYS == ("muenchen", "augsburg", "nuernberg")
    assert tuple(CITY_CHOICE.choices) == keys
    assert keys == CITIES and typing.get_args(City) == keys
    for key in keys:
        assert {f"secret_{key}", f"ckan_url_{key}", f"ckan_token_{key}"} <= set(Settings.model_fields)


def test_a_city_of_the_list_has_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from flows import settings

    monkeypatch.setattr(settings, "city_names", lambda: {"regensburg": "Regensburg"})
    fields = settings._per_city_fields()
    assert set(fields) == {"secret_regensburg", "ckan_url_regensburg", "ckan_token_regensburg"}
    assert "Regensburg's own CKAN portal" in fields["ckan_url_regensburg"][1].description


def test_city_settings_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog.organisation import UnknownCity
    from flows.settings import Settings

    monkeypatch.setenv("INVENTUR_CKAN_URL_NUERNBERG", "https://opendata.nuernberg.de")
    monkeypatch.setenv("INVENTUR_SECRET_AUGSBURG", "geheim")
    settings = Settings()
    assert settings.city("nuernberg").ckan_url == "https://opendata.nuernberg.de"
    assert settings.city("muenchen").ckan_url is None
    assert settings.signing_secret("augsburg") == b"geheim"
    with pytest.raises(UnknownCity):
        settings.city("berlin")


def test_no_module_writes_the_city_list_itself() -> None:
    listed = re.compile(r"""["']muenchen["'],\s*["']augsburg["'],\s*["']nuernberg["']""")
    found = [str(path.relative_to(ROOT)) for package in ("catalog", "survey", "connectors", "flows", "portal")
             for path in (ROOT / package).rglob("*.py") if listed.search(path.read_text(encoding="utf-8"))]
    assert found == []
