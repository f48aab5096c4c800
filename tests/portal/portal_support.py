"""Helpers shared by the portal tests: a test schema, licences, groups and a small stand-in client.

Kept in a module of its own (not in ``conftest.py``) so that test modules can import them.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

import requests

from catalog.ckan_mapping import ckan_licences, theme_groups

TEST_SCHEMA = """<?xml version="1.0" encoding="UTF-8" ?>
<schema name="ckan-2.11" version="1.6">
  <types>
    <fieldType name="string" class="solr.StrField" sortMissingLast="true" omitNorms="true"/>
    <fieldType name="int" class="solr.IntPointField" omitNorms="true"/>
    <fieldType name="float" class="solr.FloatPointField" omitNorms="true"/>
    <fieldType name="date" class="solr.DatePointField" omitNorms="true"/>
    <fieldType name="boolean" class="solr.BoolField" omitNorms="true"/>
    <fieldType name="text" class="solr.TextField" positionIncrementGap="100">
      <analyzer type="index">
        <tokenizer class="solr.WhitespaceTokenizerFactory"/>
        <filter class="solr.WordDelimiterGraphFilterFactory" generateWordParts="1" generateNumberParts="1"
                catenateWords="1" catenateNumbers="1" catenateAll="0" splitOnCaseChange="1"/>
        <filter class="solr.FlattenGraphFilterFactory"/>
        <filter class="solr.LowerCaseFilterFactory"/>
        <filter class="solr.SnowballPorterFilterFactory" language="English"/>
        <filter class="solr.ASCIIFoldingFilterFactory"/>
      </analyzer>
      <analyzer type="query">
        <tokenizer class="solr.WhitespaceTokenizerFactory"/>
        <filter class="solr.WordDelimiterGraphFilterFactory" generateWordParts="1" generateNumberParts="1"
                catenateWords="0" catenateNumbers="0" catenateAll="0" splitOnCaseChange="1"/>
        <filter class="solr.LowerCaseFilterFactory"/>
        <filter class="solr.SnowballPorterFilterFactory" language="English"/>
        <filter class="solr.ASCIIFoldingFilterFactory"/>
      </analyzer>
    </fieldType>
    <fieldType name="text_general" class="solr.TextField" positionIncrementGap="100">
      <analyzer>
        <tokenizer class="solr.WhitespaceTokenizerFactory"/>
        <filter class="solr.WordDelimiterGraphFilterFactory" splitOnCaseChange="0"/>
        <filter class="solr.LowerCaseFilterFactory"/>
      </analyzer>
    </fieldType>
    <fieldType name="text_ngram" class="solr.TextField" positionIncrementGap="100">
      <analyzer type="index">
        <tokenizer class="solr.NGramTokenizerFactory" minGramSize="2" maxGramSize="10"/>
        <filter class="solr.LowerCaseFilterFactory"/>
      </analyzer>
      <analyzer type="query">
        <tokenizer class="solr.WhitespaceTokenizerFactory"/>
        <filter class="solr.LowerCaseFilterFactory"/>
      </analyzer>
    </fieldType>
  </types>
  <fields>
    <field name="index_id" type="string" indexed="true" stored="true" required="true"/>
    <field name="id" type="string" indexed="true" stored="true" required="true"/>
    <field name="site_id" type="string" indexed="true" stored="true"/>
    <field name="name" type="string" indexed="true" stored="true"/>
    <field name="title" type="text" indexed="true" stored="true"/>
    <field name="title_ngram" type="text_ngram" indexed="true" stored="true"/>
    <field name="title_string" type="string" indexed="true" stored="false"/>
    <field name="notes" type="text" indexed="true" stored="true"/>
    <field name="author" type="text_general" indexed="true" stored="true"/>
    <field name="state" type="string" indexed="true" stored="true"/>
    <field name="tags" type="string" indexed="true" stored="true" multiValued="true"/>
    <field name="groups" type="string" indexed="true" stored="true" multiValued="true"/>
    <field name="organization" type="string" indexed="true" stored="true"/>
    <field name="res_format" type="string" indexed="true" stored="true" multiValued="true"/>
    <field name="text" type="text" indexed="true" stored="false" multiValued="true"/>
    <field name="views_recent" type="int" indexed="true" stored="false"/>
    <field name="rating" type="float" indexed="true" stored="true"/>
    <field name="metadata_modified" type="date" indexed="true" stored="true"/>
    <field name="indexed_ts" type="date" indexed="true" stored="true" default="NOW"/>
    <field name="data_dict" type="string" indexed="false" stored="true"/>
    <dynamicField name="*_date" type="date" indexed="true" stored="true"/>
    <dynamicField name="extras_*" type="text" indexed="true" stored="true"/>
    <dynamicField name="*" type="string" indexed="true" stored="false"/>
  </fields>
  <uniqueKey>index_id</uniqueKey>
  <copyField source="name" dest="text"/>
  <copyField source="title" dest="text"/>
  <copyField source="title" dest="title_ngram"/>
  <copyField source="notes" dest="text"/>
  <copyField source="tags" dest="text"/>
  <copyField source="extras_*" dest="text"/>
</schema>
"""

# the real lists the local portal is brought up with (the dcat-ap.de licences, one group per EU theme)
LICENSES: list[dict[str, Any]] = ckan_licences()
GROUPS: list[dict[str, str]] = theme_groups()

TIMEOUT = 30


class SolrCore:
    """A thin HTTP client for one core of the stand-in, as CKAN's pysolr would talk to it."""

    def __init__(self, base_url: str) -> None:
        self.url = base_url
        self.session = requests.Session()

    def update_json(self, payload: Any, **params: str) -> requests.Response:
        return self.session.post(f"{self.url}/update", json=payload, params=params, timeout=TIMEOUT)

    def update_xml(self, xml: str, **params: str) -> requests.Response:
        return self.session.post(
            f"{self.url}/update/",
            data=xml.encode("utf-8"),
            params=params,
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=TIMEOUT,
        )

    def add(self, *docs: dict[str, Any]) -> None:
        response = self.update_json(list(docs), commit="true")
        assert response.status_code == 200, response.text

    def raw_select(self, **params: Any) -> requests.Response:
        params.setdefault("wt", "json")
        return self.session.get(f"{self.url}/select/", params=params, timeout=TIMEOUT)

    def select(self, **params: Any) -> dict[str, Any]:
        response = self.raw_select(**params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def ids(self, **params: Any) -> list[str]:
        params.setdefault("fl", "id")
        params.setdefault("rows", 100)
        return [doc["id"] for doc in self.select(**params)["response"]["docs"]]


def unique_word(length: int = 12) -> str:
    """A random lower-case word: a search term that matches only what a test created."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(length))
