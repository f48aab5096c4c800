"""The RDF profile ``inventur_catalog``: completes what ckanext-dcat 2.3.0 and ckanext-dcatde write, so that
the portal's DCAT is the DCAT-AP.de (and DCAT-AP HVD) description the inventory meant to publish.

It runs after the dataset profile (``dcatap_de`` in ``ckanext.dcat.rdf.profiles``) and only adds:

- the catalog node: a publisher (ckanext-dcat writes none), the language as the EU language IRI instead of
  the literal of ``ckan.locale_default`` (``"de"``), the EU data-theme table as ``dcat:themeTaxonomy``, and
  every data service of the datasets of the page as ``dcat:service``;
- the data services (a resource's ``access_services``): ckanext-dcat 2.3.0 writes their title,
  description, endpoint URL and description, licence, access rights and the datasets they serve; this adds
  what it does not write, read from keys of the same access service: ``documentation`` (``foaf:page``),
  ``conforms_to``, ``contact`` (a ``vcard:Organization``: ``uri``, ``name``, ``email``, ``url``),
  ``publisher`` (a ``foaf:Agent``: ``uri``, ``name``, ``type``, ``url``), ``hvd_category`` and
  ``applicable_legislation`` (later versions of ckanext-dcat read ``conforms_to``, ``contact``,
  ``publisher`` and ``applicable_legislation`` under these names themselves);
- for a High-Value Dataset (extra ``hvd_category``), the classes the DCAT-AP HVD range checks need on the
  nodes it links, as the HVD shapes run without ontologies: its categories as ``skos:Concept`` (in the
  scheme of ``ckanext.inventur.hvd_category_scheme``), licences as ``dct:LicenseDocument``, contact points
  (its own and its services') also as ``vcard:Kind``.

Nothing that ckanext-dcat or ckanext-dcatde wrote is changed or removed, except the catalog's literal
language.
"""

from __future__ import annotations

import json
from typing import Any

from ckan.plugins.toolkit import config
from ckanext.dcat.profiles import RDFProfile
from ckanext.dcat.profiles.base import CleanedURIRef, URIRefOrLiteral
from ckanext.dcat.utils import catalog_uri
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS

PREFIX = "ckanext.inventur."
DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")


def _setting(name: str) -> str:
    return str(config.get(PREFIX + name) or "").strip()


def _access_services(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """A resource's access services (ckanext-dcat keeps them as a JSON list)."""
    value = resource.get("access_services") or []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


class CatalogProfile(RDFProfile):
    """The catalog node's publisher, language IRI, theme taxonomy and services; the data services' and HVD
    datasets' statements that ckanext-dcat 2.3.0 does not write."""

    def parse_dataset(self, dataset_dict, dataset_ref):  # type: ignore[no-untyped-def]
        return dataset_dict

    def graph_from_dataset(self, dataset_dict, dataset_ref):  # type: ignore[no-untyped-def]
        g = self.g
        catalogs = list(g.subjects(RDF.type, DCAT.Catalog))  # only when the catalog endpoint writes a page
        services = []
        for resource in dataset_dict.get("resources") or []:
            for service_dict in _access_services(resource):
                uri = service_dict.get("uri")
                reference = service_dict.get("access_service_ref")
                node = CleanedURIRef(uri) if uri else BNode(reference) if reference else None
                if node is None or (node, RDF.type, DCAT.DataService) not in g:
                    continue
                self._complete_service(service_dict, node, dataset_ref)
                services.append(node)
                for catalog in catalogs[:1]:
                    g.add((catalog, DCAT.service, node))
        if self._get_dataset_value(dataset_dict, "hvd_category"):
            self._hvd_types(dataset_ref, services)

    def _complete_service(self, service: dict[str, Any], node: Any, dataset_ref: Any) -> None:
        g = self.g
        self._add_triples_from_dict(service, node, [
            ("documentation", FOAF.page, None, URIRefOrLiteral, FOAF.Document),
            ("conforms_to", DCTERMS.conformsTo, None, URIRefOrLiteral, DCTERMS.Standard),
            ("hvd_category", DCATAP.hvdCategory, None, URIRefOrLiteral),
            ("applicable_legislation", DCATAP.applicableLegislation, None, URIRefOrLiteral, ELI.LegalResource),
        ], list_value=True)
        if not service.get("serves_dataset"):
            g.add((node, DCAT.servesDataset, dataset_ref))
        contact = service.get("contact")
        if isinstance(contact, dict) and any(contact.get(k) for k in ("name", "email", "url")):
            contact_ref = CleanedURIRef(contact["uri"]) if contact.get("uri") else BNode()
            g.add((node, DCAT.contactPoint, contact_ref))
            g.add((contact_ref, RDF.type, VCARD.Organization))
            self._add_triple_from_dict(contact, contact_ref, VCARD.fn, "name")
            self._add_triple_from_dict(contact, contact_ref, VCARD.hasEmail, "email", _type=URIRef,
                                       value_modifier=self._add_mailto)
            self._add_triple_from_dict(contact, contact_ref, VCARD.hasURL, "url", _type=URIRef)
        publisher = service.get("publisher")
        if isinstance(publisher, dict) and (publisher.get("uri") or publisher.get("name")):
            publisher_ref = CleanedURIRef(publisher["uri"]) if publisher.get("uri") else BNode()
            g.add((node, DCTERMS.publisher, publisher_ref))
            g.add((publisher_ref, RDF.type, FOAF.Agent))  # as ckanext-dcat writes a dataset's publisher
            self._add_triples_from_dict(publisher, publisher_ref, [
                ("name", FOAF.name, None, Literal),
                ("url", FOAF.homepage, None, URIRef),
                ("type", DCTERMS.type, None, URIRefOrLiteral),
            ])

    def _hvd_types(self, dataset_ref: Any, services: list[Any]) -> None:
        g = self.g
        scheme = _setting("hvd_category_scheme")
        nodes = [dataset_ref, *g.objects(dataset_ref, DCAT.distribution), *services]
        for node in nodes:
            for category in list(g.objects(node, DCATAP.hvdCategory)):
                if isinstance(category, URIRef):
                    g.add((category, RDF.type, SKOS.Concept))
                    if scheme:
                        g.add((category, SKOS.inScheme, URIRef(scheme)))
            for licence in list(g.objects(node, DCTERMS.license)):
                if isinstance(licence, URIRef):
                    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
            for contact in list(g.objects(node, DCAT.contactPoint)):
                g.add((contact, RDF.type, VCARD.Kind))

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
