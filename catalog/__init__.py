"""inventur: catalog."""
