"""Which CKAN extensions the local portal installs and configures (portal/extensions.py), without CKAN.

The installation itself and what the extensions serve are tested on the real portal (tests/test_portal_dcat.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.organisation import Department, load_organisation
from catalog.publish.mapping import format_labels, organisation_title, portal_settings, theme_groups
from flows.settings import Settings
from portal.errors import PortalError
from portal.extensions import (
    DCAT_REQUIREMENT,
    OWN_EXTENSION,
    dcatde_extension,
    extensions,
    installed_version,
    missing,
    plugins,
    profiles,
)

WHEEL = "ckanext_dcatde-6.10.0-py3-none-any.whl"


def test_without_ckanext_dcatde_the_portal_serves_ckanext_dcats_dcat_ap_2() -> None:
    assert profiles(False) == ["euro_dcat_ap_2", "inventur_catalog"]
    assert plugins(False) == ["activity", "dcat", "inventur"]
    assert profiles(True) == ["dcatap_de", "inventur_catalog"]
    assert plugins(True) == ["activity", "dcat", "dcatde", "inventur"]
    assert [e.argument for e in extensions(None)] == ["setuptools<81", DCAT_REQUIREMENT, str(OWN_EXTENSION)]


def test_ckanext_dcatde_from_a_wheel_or_a_requirement(tmp_path: Path) -> None:
    wheel = tmp_path / WHEEL
    wheel.write_bytes(b"wheel one")
    first = dcatde_extension(str(wheel))
    assert first.argument == str(wheel) and first.reinstall == "ckanext-dcatde"
    wheel.write_bytes(b"wheel two")  # rebuilt under the same name: a new key, so it is installed again
    assert dcatde_extension(str(wheel)).key != first.key
    git = "ckanext-dcatde @ git+https://github.com/GovDataOfficial/ckanext-dcatde@6.10.0"
    assert dcatde_extension(git).argument == git and dcatde_extension(git).reinstall is None
    with pytest.raises(PortalError, match="does not exist"):
        dcatde_extension(str(tmp_path / "elsewhere" / WHEEL))
    assert extensions(git)[-1].argument == git


def test_an_environment_lacking_an_extension_is_completed(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    venv.mkdir()
    wanted = extensions(None)
    assert missing(venv, wanted) == wanted  # an environment of an earlier inventur: no marker
    (venv / ".inventur-extensions").write_text(json.dumps([e.key for e in wanted]))
    assert missing(venv, wanted) == []
    git = "ckanext-dcatde @ git+https://github.com/GovDataOfficial/ckanext-dcatde@6.10.0"
    assert [e.argument for e in missing(venv, extensions(git))] == [git]
    info = venv / "lib" / "python3.11" / "site-packages" / "ckanext_dcatde-6.10.0.dist-info"
    info.mkdir(parents=True)
    assert installed_version(venv, "ckanext-dcatde") == "6.10.0" and installed_version(venv, "ckanext-dcat") is None


def test_the_shapes_of_both_profiles_are_found_inside_the_setting(tmp_path: Path) -> None:
    for version in ("2.0", "3.0"):
        (tmp_path / "dcat-ap-de" / f"shapes-{version}").mkdir(parents=True)
    inside = Settings(shapes_dir=tmp_path / "dcat-ap-de").dcat_shape_profiles()
    assert inside == {v: tmp_path / "dcat-ap-de" / f"shapes-{v}" for v in ("2.0", "3.0")}
    (tmp_path / "dcat-ap-de" / "shapes-2.0" / "dcat-ap.ttl").write_text("")
    one = Settings(shapes_dir=tmp_path / "dcat-ap-de" / "shapes-2.0").dcat_shape_profiles()
    assert one == {"2.0": tmp_path / "dcat-ap-de" / "shapes-2.0"}  # a folder of one profile's shapes
    assert Settings(shapes_dir=tmp_path / "nowhere").dcat_shape_profiles() == {}


def test_what_german_visitors_read() -> None:
    settings = portal_settings()
    assert settings["ckan.locale_default"] == "de"
    assert settings["ckanext.inventur.catalog_language"].endswith("/language/DEU")
    labels = format_labels()
    assert labels["http://publications.europa.eu/resource/authority/file-type/WMS_SRVC"] == "WMS"
    assert labels["http://publications.europa.eu/resource/authority/file-type/CSV"] == "CSV"
    groups = {g["name"]: g for g in theme_groups()}
    assert groups["envi"]["title"] == "Umwelt" and "http" not in groups["envi"]["description"]
    organisation = load_organisation()
    augsburg, muenchen = organisation.city("augsburg"), organisation.city("muenchen")
    umwelt = Department("augsburg", "UWA", "Umweltamt", "Amt")
    assert organisation_title(umwelt, augsburg) == "Augsburg: Umweltamt"
    assert organisation_title(Department("muenchen", "UWA", "Umweltamt", "Amt"), muenchen) == "München: Umweltamt"
    library = Department("augsburg", "STB", "Stadtbücherei Augsburg", "Eigenbetrieb")
    assert organisation_title(library, augsburg) == "Stadtbücherei Augsburg"  # says its city already


def test_the_marker_holds_one_key_per_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import portal.extensions as module

    venv = tmp_path / "ckan"
    venv.mkdir()
    installed: list[list[str]] = []
    monkeypatch.setattr(module, "_install", lambda venv, python, arguments, lacking, log: installed.append(arguments))
    older = [module.Extension("ckanext-inventur", "ckanext-inventur@sha256:0000", reinstall="ckanext-inventur"),
             module.Extension("ckanext-dcat==2.2.0", "ckanext-dcat==2.2.0")]
    module.ensure_extensions(venv, older, tmp_path / "log", lambda m: None)
    wanted = extensions(None)
    module.ensure_extensions(venv, wanted, tmp_path / "log", lambda m: None)
    assert missing(venv, wanted) == [] and missing(venv, older) == older  # the older versions are gone
    assert len(installed) == 2
