"""inventur: connectors."""
