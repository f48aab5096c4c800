"""DCAT-AP.de: the export of the inventory (``export``), validation with SHACL shapes (``shacl``) and the
comparison of a portal's DCAT with the export (``compare``)."""
