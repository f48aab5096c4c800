"""inventur's local CKAN development portal.

``portal.local`` brings a complete CKAN 2.11 portal up on one machine (``up``, ``down``,
``status``): private PostgreSQL and Redis, CKAN in its own virtual environment, and
``portal.solr``, a DEVELOPMENT STAND-IN for Apache Solr that answers the part of Solr's HTTP API
CKAN uses (production portals use CKAN's official Solr). Nothing is imported here, so that
importing the package stays cheap.
"""
