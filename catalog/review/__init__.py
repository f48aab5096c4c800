"""Review of the inventory by a city's open-data team: decisions, the rules they may not override, and the
review items (``decisions``)."""
