"""inventur's local CKAN development portal.

``portal.local`` brings a complete CKAN 2.11 portal up on one machine (``up``, ``down``,
``status``): private PostgreSQL and Redis, Apache Solr 9 from Maven Central (``portal.solr``), CKAN in
its own virtual environment. No search engine of ours: CKAN searches in Apache Solr, configured for
German text. Nothing is imported here, so that importing the package stays cheap.
"""
