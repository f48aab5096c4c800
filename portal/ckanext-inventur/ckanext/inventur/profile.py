"""The RDF profile ``inventur_catalog``: completes the catalog node of ckanext-dcat's catalog endpoint.

ckanext-dcat (2.3.0) writes the catalog's title and description from ``ckan.site_title`` and
``ckan.site_description``, no publisher, and ``dct:language`` as the literal of ``ckan.locale_default``
(``"de"``); DCAT-AP.de wants a publisher and the EU language IRI. This profile runs after the dataset
profile (``dcatap_de``) and touches the catalog node only: datasets stay exactly as ckanext-dcatde writes
them, which is what GovData harvests.
"""

from __future__ import annotations

from ckan.plugins.toolkit import config
from ckanext.dcat.profiles import RDFProfile
from ckanext.dcat.utils import catalog_uri
from rdflib import Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

PREFIX = "ckanext.inventur."


def _setting(name: str) -> str:
    return str(config.get(PREFIX + name) or "").strip()


class CatalogProfile(RDFProfile):
    """Publisher, language IRI and theme taxonomy of the catalog; datasets are left alone."""

    def parse_dataset(self, dataset_dict, dataset_ref):  # type: ignore[no-untyped-def]
        return dataset_dict

    def graph_from_dataset(self, dataset_dict, dataset_ref):  # type: ignore[no-untyped-def]
        return None

    def graph_from_catalog(self, catalog_dict, catalog_ref):  # type: ignore[no-untyped-def]
        g = self.g
        language = _setting("catalog_language")
        if language:
            for value in list(g.objects(catalog_ref, DCTERMS.language)):
                if isinstance(value, Literal):
                    g.remove((catalog_ref, DCTERMS.language, value))
            g.add((catalog_ref, DCTERMS.language, URIRef(language)))
        name = _setting("catalog_publisher_name")
        if name:
            publisher = URIRef(_setting("catalog_publisher_uri") or catalog_uri().rstrip("/") + "/publisher")
            g.add((catalog_ref, DCTERMS.publisher, publisher))
            g.add((publisher, RDF.type, FOAF.Agent))
            g.add((publisher, FOAF.name, Literal(name)))
            kind = _setting("catalog_publisher_type")
            if kind:
                g.add((publisher, DCTERMS.type, URIRef(kind)))
        taxonomy = _setting("catalog_theme_taxonomy")
        if taxonomy:
            g.add((catalog_ref, DCAT.themeTaxonomy, URIRef(taxonomy)))
