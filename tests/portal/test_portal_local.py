"""The real local portal: CKAN 2.11 on private PostgreSQL and Redis, searching through the Solr stand-in.

Brought up once per session (see conftest.py). Every test works on its own organisation or
datasets, named with random words, so a portal folder reused between runs does not disturb them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from ckanapi.errors import NotFound
from portal_support import GROUPS, LICENSES, unique_word

from portal.local import PortalInfo, status, up
from tests.conftest import CkanApi as Api

pytestmark = [pytest.mark.portal, pytest.mark.slow]

TIMEOUT = 60
LICENCE = LICENSES[0]["id"]



@pytest.fixture(scope="module")
def organization(api: Api) -> dict[str, Any]:
    name = f"muenchen-{unique_word(8)}"
    result: dict[str, Any] = api("organization_create", name=name, title="Referat für Tests")
    return result


def make_dataset(api: Api, organization: dict[str, Any], word: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": f"ds-{word}",
        "title": f"Wasserqualität {word.capitalize()}",
        "notes": "Messwerte der Wasserqualität an der Isar; flooding events",
        "owner_org": organization["id"],
        "license_id": LICENCE,
        "tags": [{"name": f"tag-{word}"}, {"name": "Umwelt"}],
        "groups": [{"name": "envi"}],
        "extras": [
            {"key": "identifier", "value": f"muc-{word}"},
            {
                "key": "politicalGeocodingURI",
                "value": '["http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09162000"]',
            },
        ],
        "resources": [{"url": f"https://example.org/{word}.csv", "format": "CSV", "name": "Messwerte"}],
    }
    data.update(changes)
    result: dict[str, Any] = api("package_create", **data)
    return result


@pytest.fixture(scope="module")
def dataset(api: Api, organization: dict[str, Any]) -> dict[str, Any]:
    return make_dataset(api, organization, unique_word())


def names(result: dict[str, Any]) -> list[str]:
    return [package["name"] for package in result["results"]]


def test_dataset_is_created_with_licence_from_the_list(api: Api, dataset: dict[str, Any]) -> None:
    assert dataset["license_id"] == LICENCE
    assert dataset["license_title"] == LICENSES[0]["title"]
    assert dataset["isopen"] is True
    assert {lic["id"] for lic in api("license_list")} >= {lic["id"] for lic in LICENSES}
    assert [g["name"] for g in dataset["groups"]] == ["envi"]


def test_search_by_text_tag_organisation_group_format_and_extra(
    api: Api, dataset: dict[str, Any], organization: dict[str, Any]
) -> None:
    name = dataset["name"]
    word = name.removeprefix("ds-")
    assert names(api("package_search", q=word)) == [name]
    assert names(api("package_search", q=f"{word} flooding")) == [name]
    assert names(api("package_search", fq=f"tags:tag-{word}")) == [name]
    assert names(api("package_search", fq=f"organization:{organization['name']}")) == [name]
    assert names(api("package_search", fq=f'groups:envi AND tags:"tag-{word}"')) == [name]
    assert names(api("package_search", fq=f"res_format:CSV AND tags:tag-{word}")) == [name]
    assert names(api("package_search", q=f"identifier:muc-{word}")) == [name]
    assert api("package_search", fq=f"res_format:XLSX AND tags:tag-{word}")["count"] == 0


def test_search_returns_facets(api: Api, dataset: dict[str, Any], organization: dict[str, Any]) -> None:
    word = dataset["name"].removeprefix("ds-")
    result = api(
        "package_search",
        fq=f"tags:tag-{word}",
        rows=0,
        **{"facet.field": '["tags", "groups", "res_format", "organization", "license_id"]'},
    )
    facets = {
        key: {item["name"]: item["count"] for item in value["items"]}
        for key, value in result["search_facets"].items()
    }
    assert facets["tags"] == {f"tag-{word}": 1, "Umwelt": 1}
    assert facets["groups"] == {"envi": 1}
    assert facets["res_format"] == {"CSV": 1}
    assert facets["organization"] == {organization["name"]: 1}
    assert facets["license_id"] == {LICENCE: 1}
    group_titles = {item["name"]: item["display_name"] for item in result["search_facets"]["groups"]["items"]}
    assert group_titles == {"envi": "Umwelt"}


def test_organization_show_counts_the_dataset(
    api: Api, dataset: dict[str, Any], organization: dict[str, Any]
) -> None:
    shown = api("organization_show", id=organization["name"], include_datasets=True)
    assert shown["package_count"] == 1
    assert [p["name"] for p in shown["packages"]] == [dataset["name"]]


@pytest.mark.parametrize(
    "page", ["/dataset", "/dataset/{dataset}", "/organization/{organization}", "/group/envi"]
)
def test_html_pages_list_the_dataset(
    portal: PortalInfo, dataset: dict[str, Any], organization: dict[str, Any], page: str
) -> None:
    path = page.format(dataset=dataset["name"], organization=organization["name"])
    response = requests.get(portal.url + path, timeout=TIMEOUT)
    assert response.status_code == 200
    assert f"/dataset/{dataset['name']}" in response.text


def test_update_is_reflected_in_search(api: Api, organization: dict[str, Any]) -> None:
    word, new_word = unique_word(), unique_word()
    created = make_dataset(api, organization, word)
    created["title"] = f"Luftqualität {new_word}"
    created["tags"] = [{"name": f"tag-{new_word}"}]
    api("package_update", **created)
    assert names(api("package_search", q=new_word)) == [created["name"]]
    assert names(api("package_search", fq=f"tags:tag-{new_word}")) == [created["name"]]
    assert api("package_search", fq=f"tags:tag-{word}")["count"] == 0


def test_soft_delete_hides_and_patch_restores(api: Api, organization: dict[str, Any]) -> None:
    word = unique_word()
    created = make_dataset(api, organization, word)
    api("package_delete", id=created["id"])
    assert api("package_search", fq=f"tags:tag-{word}")["count"] == 0
    # CKAN removes deleted datasets from the index (ckan.search.remove_deleted_packages)
    assert api("package_search", fq=f"tags:tag-{word}", include_deleted=True)["count"] == 0
    assert api("package_show", id=created["id"])["state"] == "deleted"
    api("package_patch", id=created["id"], state="active")
    assert names(api("package_search", fq=f"tags:tag-{word}")) == [created["name"]]


def test_groups_were_created_from_the_arguments(api: Api) -> None:
    for group in GROUPS:
        shown = api("group_show", id=group["name"])
        assert shown["title"] == group["title"]
        assert shown["description"] == group.get("description", "")
    with pytest.raises(NotFound):
        api("group_show", id="nonexistent-group")


def test_up_again_is_idempotent_and_fast(portal: PortalInfo) -> None:
    port = int(portal.url.rsplit(":", 1)[1])
    started = time.perf_counter()
    venv = Path(json.loads((portal.base_dir / "portal.json").read_text())["venv"])  # the session's (INVENTUR_CKAN_VENV)
    again = up(portal.base_dir, licenses=LICENSES, groups=GROUPS, port=port, venv=venv)
    elapsed = time.perf_counter() - started
    assert again.url == portal.url and again.sysadmin == portal.sysadmin == "inventur-admin"
    assert elapsed < 10, f"a second up() took {elapsed:.1f} s"
    token_check = Api(again)("api_token_list", user_id=again.sysadmin)
    assert token_check
    token_file = portal.base_dir / "token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    current = status(portal.base_dir)
    assert current["url"] == portal.url
    assert all(current[name]["status"] == "running" for name in ("postgres", "redis", "solr", "ckan"))
    assert len(current["ckan"]["workers"]) >= 1  # CKAN runs as a master with worker processes
