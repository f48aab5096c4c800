"""ckanext-inventur: the catalog node and the German visitor pages of the inventur portals."""
