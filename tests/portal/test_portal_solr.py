"""The Solr stand-in over real HTTP: the requests CKAN (through pysolr) sends, and the answers it reads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from portal_support import TIMEOUT, SolrCore

from portal.solr import NOTICE, StandInServer, make_server

CKAN_QF = "name^4 title^4 tags^2 groups^2 text"
CKAN_MM = "2<-1 5<80%"


def doc(key: str, **fields: Any) -> dict[str, Any]:
    """A document with the fields CKAN always sends."""
    return {"index_id": f"idx-{key}", "id": key, "site_id": "default", "state": "active", **fields}


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def error_message(response: requests.Response) -> str:
    assert response.status_code == 400, response.text
    message: str = response.json()["error"]["msg"]
    return message


# -- the HTTP surface ---------------------------------------------------------------------------------


def test_ping_and_root_say_it_is_a_development_stand_in(standin: StandInServer, solr: SolrCore) -> None:
    ping = requests.get(f"{solr.url}/admin/ping", params={"wt": "json"}, timeout=TIMEOUT)
    assert ping.status_code == 200
    assert ping.json()["status"] == "OK"
    assert "DEVELOPMENT STAND-IN" in ping.json()["notice"] and "not Apache Solr" in ping.json()["notice"]
    assert "development stand-in" in ping.headers["X-Solr-Stand-In"]
    root = requests.get(standin.url, timeout=TIMEOUT)
    assert root.text.startswith(NOTICE)


def test_schema_is_served_as_ckan_checks_it(solr: SolrCore, schema_file: Path) -> None:
    managed = requests.get(f"{solr.url}/schema", params={"wt": "schema.xml"}, timeout=TIMEOUT)
    classic = requests.get(f"{solr.url}/admin/file/", params={"file": "schema.xml"}, timeout=TIMEOUT)
    assert managed.content == classic.content == schema_file.read_bytes()
    described = requests.get(f"{solr.url}/schema", timeout=TIMEOUT).json()["schema"]
    assert described["name"] == "ckan-2.11" and described["uniqueKey"] == "index_id"


def test_unknown_paths_and_writers_are_refused(standin: StandInServer, solr: SolrCore) -> None:
    assert requests.get(f"{standin.url}/ckan/nothing", timeout=TIMEOUT).status_code == 404
    assert requests.get(f"{standin.url}/bad%20core/select", timeout=TIMEOUT).status_code == 404
    assert "wt=json" in error_message(solr.raw_select(q="*:*", wt="xml"))
    assert "local parameters" in error_message(solr.raw_select(q="{!lucene}*:*"))
    assert "not supported" in error_message(solr.raw_select(q="x", defType="func"))


# -- updates ------------------------------------------------------------------------------------------


def test_documents_come_back_with_solr_shapes(solr: SolrCore) -> None:
    solr.add(
        doc(
            "a",
            name="wasser",
            title="Wasserqualität",
            tags=["Umwelt"],
            organization="muenchen-rgu",
            metadata_modified="2024-05-01T10:11:12.123456Z",
            title_string="Wasserqualität",
            owner_org="org-1",
            data_dict='{"id": "a"}',
            rating=4.5,
        )
    )
    body = solr.select(q="*:*", fl="*,score")
    assert body["responseHeader"]["status"] == 0
    assert body["responseHeader"]["params"]["q"] == "*:*"
    response = body["response"]
    assert (response["numFound"], response["start"], response["maxScore"]) == (1, 0, 1.0)
    found = response["docs"][0]
    assert found["tags"] == ["Umwelt"]  # multi-valued: always a list
    assert found["organization"] == "muenchen-rgu"  # single-valued: a scalar
    assert found["metadata_modified"] == "2024-05-01T10:11:12.123Z"  # millisecond precision, UTC
    assert found["rating"] == 4.5
    assert found["data_dict"] == '{"id": "a"}'
    assert found["title_ngram"] == "Wasserqualität"  # a stored copyField destination
    assert found["indexed_ts"].endswith("Z")  # default="NOW"
    assert "title_string" not in found and "owner_org" not in found and "text" not in found  # stored="false"
    assert solr.select(q="*:*", fl="id name")["response"]["docs"] == [{"id": "a", "name": "wasser"}]
    assert solr.select(q="*:*", fl="id,tit*")["response"]["docs"] == [
        {"id": "a", "title": "Wasserqualität", "title_ngram": "Wasserqualität"}
    ]


def test_same_unique_key_replaces_the_document(solr: SolrCore) -> None:
    solr.add(doc("a", title="first"))
    solr.add(doc("a", title="second"))
    assert solr.select(q="*:*", fl="title")["response"] == {
        "numFound": 1,
        "start": 0,
        "numFoundExact": True,
        "docs": [{"title": "second"}],
    }
    assert solr.ids(q="title:first") == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"id": "x", "title": "no key"}, "missing mandatory uniqueKey field: index_id"),
        (doc("x", name=["a", "b"]), "multiple values encountered for non multiValued field name"),
        (doc("x", metadata_modified="2024-05-01 10:00"), "Invalid Date String"),
        (doc("x", views_recent="many"), "Error adding field 'views_recent'"),
        (doc("x", tags={"add": "x"}), "atomic updates"),
    ],
)
def test_invalid_documents_are_rejected_and_nothing_is_applied(
    solr: SolrCore, bad: dict[str, Any], message: str
) -> None:
    response = solr.update_json([doc("good"), bad], commit="true")
    assert message in error_message(response)
    assert solr.select(q="*:*")["response"]["numFound"] == 0


def test_pysolr_xml_deletes_and_commit(solr: SolrCore) -> None:
    solr.add(doc("a", name="a"), doc("b", name="b"), doc("c", name="c"), doc("d", name="d"))
    assert solr.update_xml("<delete><id>idx-a</id></delete>", commit="true").status_code == 200
    ckan_delete = '+entity_type:package AND +(id:"b" OR name:"b") AND +site_id:"default"'
    solr.add(doc("b", name="b", entity_type="package"))
    assert solr.update_xml(f"<delete><query>{ckan_delete}</query></delete>", commit="true").status_code == 200
    assert solr.update_xml("<commit />", commit="true").status_code == 200
    assert sorted(solr.ids(q="*:*")) == ["c", "d"]
    xml_add = '<add><doc><field name="index_id">idx-e</field><field name="id">e</field><field name="tags">x</field><field name="tags">y</field></doc></add>'
    assert solr.update_xml(xml_add).status_code == 200
    assert solr.select(q="id:e", fl="tags")["response"]["docs"] == [{"tags": ["x", "y"]}]


def test_json_command_objects_with_repeated_keys(solr: SolrCore) -> None:
    body = (
        '{"add": {"doc": {"index_id": "1", "id": "one", "site_id": "s"}},'
        ' "add": {"doc": {"index_id": "2", "id": "two", "site_id": "s"}},'
        ' "delete": {"id": "1"}, "commit": {}}'
    )
    response = solr.session.post(
        f"{solr.url}/update", data=body, headers={"Content-Type": "application/json"}, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    assert solr.ids(q="*:*") == ["two"]
    delete = solr.update_json({"delete": {"query": "site_id:s"}})
    assert delete.status_code == 200 and solr.ids(q="*:*") == []


# -- queries ------------------------------------------------------------------------------------------


@pytest.fixture
def catalogue(solr: SolrCore) -> SolrCore:
    """A few CKAN-like datasets."""
    now = datetime.now(UTC)
    solr.add(
        doc(
            "water",
            name="wasserqualitaet-isar",
            title="Wasserqualität der Isar",
            notes="Messwerte zur Wasserqualität; flooding events of the river",
            tags=["Wasser", "Umwelt"],
            groups=["envi"],
            organization="muenchen-rgu",
            res_format=["CSV", "JSON"],
            extras_identifier="muc-0001",
            metadata_modified=iso(now - timedelta(days=2)),
            title_string="Wasserqualität der Isar",
            views_recent=5,
            rating=3.5,
        ),
        doc(
            "bikes",
            name="radverkehr-zaehlstellen",
            title="Radverkehr Zählstellen",
            notes="Counts of bicycles at the counting stations",
            tags=["Verkehr", "Rad"],
            groups=["tran"],
            organization="muenchen-mor",
            res_format=["CSV"],
            metadata_modified=iso(now - timedelta(days=400)),
            title_string="Radverkehr Zählstellen",
            views_recent=50,
        ),
        doc(
            "trees",
            name="baumkataster",
            title="Baumkataster",
            notes="Trees of the city; water demand of trees",
            tags=["Umwelt"],
            groups=["envi", "agri"],
            organization="augsburg-umwelt",
            res_format=["GeoJSON"],
            metadata_modified=iso(now - timedelta(days=30)),
            title_string="Baumkataster",
            state="deleted",
        ),
        doc(
            "quality",
            name="luftqualitaet",
            title="Luftqualität",
            notes="Air quality measurements",
            tags=["Umwelt", "Luft"],
            groups=["envi"],
            organization="nuernberg-umwelt",
            title_string="Luftqualität",
            rating=4.0,
        ),
    )
    return solr


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tags:Umwelt", ["quality", "trees", "water"]),
        ("tags:umwelt", []),  # string fields are exact and case-sensitive
        ('tags:"Umwelt"', ["quality", "trees", "water"]),
        ("title:isar", ["water"]),  # text fields are lower-cased
        ("notes:floods", ["water"]),  # and stemmed: flooding ~ floods
        ("wasserqualitat", ["water"]),  # default field "text", ASCII-folded
        ("extras_identifier:muc-0001", ["water"]),
        ("muc", ["water"]),  # extras_* are copied into text
        ('notes:"counting stations"', ["bikes"]),
        ('notes:"stations counting"', []),
        ('notes:"counts stations"~2', ["bikes"]),
        ("name:rad*", ["bikes"]),
        ("title:RAD*", ["bikes"]),  # wildcards on text fields are lower-cased, not stemmed
        ("name:*kataster", ["trees"]),
        ("name:b?umkataster", ["trees"]),
        ("name:/luft.*/", ["quality"]),
        ("title:wasserqualitet~1", ["water"]),
        ("name:[baumkataster TO luftqualitaet]", ["quality", "trees"]),
        ("name:{baumkataster TO luftqualitaet}", []),
        ("rating:*", ["quality", "water"]),
        ("views_recent:[10 TO *]", ["bikes"]),
        ("rating:[3.5 TO 4}", ["water"]),
        ("res_format:CSV AND groups:tran", ["bikes"]),
        ("tags:Umwelt -state:deleted", ["quality", "water"]),
        ("-tags:Umwelt", ["bikes"]),
        ("(tags:Rad OR tags:Luft) AND NOT organization:muenchen-rgu", ["bikes", "quality"]),
        ("title_ngram:sserqual", ["water"]),
        ("*:*", ["bikes", "quality", "trees", "water"]),
    ],
)
def test_lucene_queries(catalogue: SolrCore, query: str, expected: list[str]) -> None:
    assert sorted(catalogue.ids(q=query, **{"q.op": "AND"})) == expected


def test_default_operator(catalogue: SolrCore) -> None:
    assert sorted(catalogue.ids(q="tags:Rad tags:Luft")) == ["bikes", "quality"]
    assert catalogue.ids(q="tags:Rad tags:Luft", **{"q.op": "AND"}) == []
    assert sorted(catalogue.ids(q="tags:Rad OR tags:Luft", **{"q.op": "AND"})) == ["bikes", "quality"]


def test_date_math_in_ranges(catalogue: SolrCore) -> None:
    assert sorted(catalogue.ids(q="metadata_modified:[NOW-1YEAR TO NOW]")) == ["trees", "water"]
    assert catalogue.ids(q="metadata_modified:[* TO NOW-1YEAR/DAY]") == ["bikes"]
    assert sorted(catalogue.ids(q="metadata_modified:*")) == ["bikes", "trees", "water"]
    assert "Invalid Date" in error_message(catalogue.raw_select(q="metadata_modified:[yesterday TO NOW]"))


def test_filters_are_intersected_like_ckan_sends_them(catalogue: SolrCore) -> None:
    params: dict[str, Any] = {
        "q": "*:*",
        "fq": [
            "+capacity:public  +state:(active)",
            '+site_id:"default"',
            '+permission_labels:("public")',
            "",
        ],
    }
    assert catalogue.ids(**params) == []  # no capacity/permission labels indexed yet
    catalogue.add(
        doc("p", name="p", capacity="public", permission_labels=["public"]),
        doc("q", name="q", capacity="private", permission_labels=["member-x"]),
    )
    assert catalogue.ids(**params) == ["p"]
    params["fq"][2] = '+permission_labels:("public" OR "member-x")'
    params["fq"][0] = "+state:(active)"
    assert sorted(catalogue.ids(**params)) == ["p", "q"]


def test_sorting_and_paging(catalogue: SolrCore) -> None:
    fq = "-state:deleted"
    assert catalogue.ids(q="*:*", fq=fq, sort="title_string asc") == ["quality", "bikes", "water"]
    assert catalogue.ids(q="*:*", fq=fq, sort="metadata_modified desc") == ["water", "bikes", "quality"]
    assert catalogue.ids(q="*:*", fq=fq, sort="metadata_modified asc") == ["bikes", "water", "quality"]
    assert catalogue.ids(q="*:*", fq=fq, sort="views_recent desc, name asc") == ["bikes", "water", "quality"]
    assert catalogue.ids(q="*:*", fq=fq, sort="title_string asc", start=1, rows=1) == ["bikes"]
    page = catalogue.select(q="*:*", fq=fq, rows=0)["response"]
    assert (page["numFound"], page["docs"]) == (3, [])
    assert "Can't determine a Sort Order" in error_message(catalogue.raw_select(q="*:*", sort="name"))
    assert "multivalued" in error_message(catalogue.raw_select(q="*:*", sort="tags asc"))


def test_facets_are_flat_lists_counted_over_the_matches(catalogue: SolrCore) -> None:
    facets = catalogue.select(
        q="*:*",
        fq="-state:deleted",
        rows=0,
        facet="true",
        **{"facet.field": ["tags", "res_format", "organization"], "facet.mincount": 1, "facet.limit": 50},
    )["facet_counts"]["facet_fields"]
    assert facets["tags"] == ["Umwelt", 2, "Luft", 1, "Rad", 1, "Verkehr", 1, "Wasser", 1]
    assert facets["res_format"] == ["CSV", 2, "JSON", 1]
    assert facets["organization"] == ["muenchen-mor", 1, "muenchen-rgu", 1, "nuernberg-umwelt", 1]
    narrowed = catalogue.select(
        q="tags:Umwelt",
        rows=0,
        facet="true",
        **{
            "facet.field": ["tags", "groups"],
            "facet.mincount": 0,
            "f.tags.facet.limit": 2,
            "f.groups.facet.sort": "index",
            "facet.query": "res_format:CSV",
        },
    )["facet_counts"]
    assert narrowed["facet_fields"]["tags"] == ["Umwelt", 3, "Luft", 1]
    assert narrowed["facet_fields"]["groups"] == ["agri", 1, "envi", 3, "tran", 0]
    assert narrowed["facet_queries"] == {"res_format:CSV": 1}
    prefixed = catalogue.select(
        q="*:*", facet="true", **{"facet.field": "tags", "facet.prefix": "L", "facet.missing": "true"}
    )
    assert prefixed["facet_counts"]["facet_fields"]["tags"] == ["Luft", 1, None, 0]


def test_ckan_dismax_search(catalogue: SolrCore) -> None:
    def dismax(q: str, **extra: Any) -> list[str]:
        params = {"q": q, "defType": "dismax", "qf": CKAN_QF, "mm": CKAN_MM, "tie": "0.1", "q.op": "AND"}
        params.update(extra)
        return catalogue.ids(fq="-state:deleted", **params)

    assert dismax("wasserqualität") == ["water"]
    assert sorted(dismax("quality")) == ["quality"]
    assert dismax("water quality") == []  # two words: both required
    assert dismax("air quality measurements zzz") == ["quality"]  # four words: three are enough
    assert dismax("Umwelt -Wasser") == ["quality"]
    assert dismax('"counting stations"') == ["bikes"]
    assert dismax("name:baumkataster") == []  # field syntax is literal text in dismax
    assert dismax("radverkehr-zaehlstellen") == ["bikes"]  # an exact name matches the name field


def test_dismax_field_boosts_rank_title_matches_first(solr: SolrCore) -> None:
    solr.add(
        doc("in-notes", name="a", title="Other data", notes="all about the river"),
        doc("in-title", name="b", title="River data", notes="measurements"),
    )
    ranked = solr.ids(q="river", defType="dismax", qf=CKAN_QF, mm=CKAN_MM, tie="0.1", sort="score desc")
    assert ranked == ["in-title", "in-notes"]


def test_edismax_mixes_fields_and_free_text(catalogue: SolrCore) -> None:
    params = {"defType": "edismax", "qf": CKAN_QF, "q.op": "AND", "fq": "-state:deleted"}
    assert catalogue.ids(q="tags:Umwelt quality", **params) == ["quality"]
    assert sorted(catalogue.ids(q="isar OR stations", **params)) == ["bikes", "water"]
    assert sorted(catalogue.ids(q="*:*", **params)) == ["bikes", "quality", "water"]


def test_scores_follow_bm25(solr: SolrCore) -> None:
    solr.add(
        doc("short", notes="river river"),
        doc("long", notes="river and a great many other words about the city and its parks"),
        doc("none", notes="parks only"),
    )
    body = solr.select(q="notes:river", fl="id,score", sort="score desc")
    ids = [d["id"] for d in body["response"]["docs"]]
    scores = [d["score"] for d in body["response"]["docs"]]
    assert ids == ["short", "long"]
    assert scores[0] > scores[1] > 0
    assert body["response"]["maxScore"] == scores[0]


def test_values_of_a_multivalued_field_do_not_form_phrases_across_each_other(solr: SolrCore) -> None:
    solr.add(doc("x", title="alpha beta", notes="gamma delta"))
    assert solr.ids(q='text:"alpha beta"') == ["x"]
    assert solr.ids(q='text:"beta gamma"') == []


def test_query_errors_are_400_with_a_message(catalogue: SolrCore) -> None:
    assert "Cannot parse" in error_message(catalogue.raw_select(q="title:(open"))
    assert "undefined field" not in catalogue.raw_select(q="whatever:x").text  # the "*" field catches all
    assert "not indexed" in error_message(catalogue.raw_select(q="data_dict:x"))
    assert "Invalid Number" in error_message(catalogue.raw_select(q="views_recent:many"))
    assert "Invalid Number" in error_message(catalogue.raw_select(q="*:*", rows="ten"))


def test_long_queries_arrive_as_form_posts(catalogue: SolrCore) -> None:
    response = catalogue.session.post(
        f"{catalogue.url}/select/",
        data={"q": "tags:Umwelt", "fq": ["-state:deleted", "groups:envi"], "fl": "id", "wt": "json"},
        timeout=TIMEOUT,
    )
    assert sorted(d["id"] for d in response.json()["response"]["docs"]) == ["quality", "water"]


def serve(data_dir: Path, schema: Path) -> tuple[StandInServer, threading.Thread]:
    server = make_server("127.0.0.1", 0, data_dir, schema)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


def shut(server: StandInServer, thread: threading.Thread) -> None:
    server.shutdown()
    server.server_close()
    server.app.close()
    thread.join(timeout=10)


def test_index_survives_a_restart(tmp_path: Path, schema_file: Path) -> None:
    server, thread = serve(tmp_path, schema_file)
    SolrCore(f"{server.url}/ckan").add(doc("kept", title="Bleibt erhalten", tags=["a"]))
    shut(server, thread)
    server, thread = serve(tmp_path, schema_file)
    try:
        core = SolrCore(f"{server.url}/ckan")
        assert core.ids(q="title:erhalten") == ["kept"]
        facets = core.select(q="*:*", facet="true", **{"facet.field": "tags"})["facet_counts"]["facet_fields"]
        assert facets == {"tags": ["a", 1]}
    finally:
        shut(server, thread)


def test_a_changed_schema_reindexes_the_stored_documents(tmp_path: Path, schema_file: Path) -> None:
    server, thread = serve(tmp_path / "data", schema_file)
    SolrCore(f"{server.url}/ckan").add(doc("x", name="Rad-Weg"))
    shut(server, thread)
    changed = tmp_path / "schema.xml"
    text = schema_file.read_text(encoding="utf-8")
    changed.write_text(
        text.replace('<field name="name" type="string"', '<field name="name" type="text_general"')
    )
    server, thread = serve(tmp_path / "data", changed)
    try:
        assert SolrCore(f"{server.url}/ckan").ids(q="name:rad") == ["x"]
    finally:
        shut(server, thread)


def test_filters_follow_every_change_of_the_index(tmp_path: Path, schema_file: Path) -> None:
    """Filter documents are kept in memory and updated per added or deleted document: after adds,
    replacements, deletions by id and by query and a refused update, every filter answers as a freshly
    started stand-in (which reads the index from disk) does."""
    filters = ['+site_id:"default" +state:active', "+capacity:public", '+tags:("a" OR "b")', "-tags:b"]

    def answers(core: SolrCore) -> list[list[str]]:
        return [sorted(core.ids(q="*:*", fq=fq)) for fq in filters]

    server, thread = serve(tmp_path, schema_file)
    try:
        core = SolrCore(f"{server.url}/ckan")
        core.add(*(doc(f"d{i}", capacity="public" if i % 2 else "private", tags=["a" if i % 3 else "b"])
                   for i in range(6)))
        assert answers(core) == [[f"d{i}" for i in range(6)], ["d1", "d3", "d5"],
                                 [f"d{i}" for i in range(6)], ["d1", "d2", "d4", "d5"]]
        core.add(doc("d1", capacity="private", tags=["b"]), doc("d6", capacity="public", state="deleted"))
        assert core.update_xml("<delete><id>idx-d2</id></delete>", commit="true").status_code == 200
        assert core.update_xml("<delete><query>tags:a AND capacity:private</query></delete>").status_code == 200
        refused = core.update_json([doc("d7", capacity="public"), {"id": "no-key"}], commit="true")
        assert refused.status_code == 400
        changed = answers(core)
        assert changed == [["d0", "d1", "d3", "d5"], ["d3", "d5", "d6"], ["d0", "d1", "d3", "d5"], ["d5", "d6"]]
    finally:
        shut(server, thread)
    server, thread = serve(tmp_path, schema_file)
    try:
        assert answers(SolrCore(f"{server.url}/ckan")) == changed
    finally:
        shut(server, thread)
