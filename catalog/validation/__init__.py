"""Validation of the inventory: the Great Expectations suite run a chunk at a time (``suite``), the rules
and the cross-entry checks (``rules``, ``similarity``), the store's side of a run (``store``) and its
Data Docs (``docs``)."""
