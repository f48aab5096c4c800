"""Harvest sources besides CKAN (:mod:`connectors.ckan.source`): DCAT catalogs (``dcat``), SQL databases
(``sql``), the bounded HTTP they read with (``http``) and the sources file (``sources``)."""
