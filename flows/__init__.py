"""inventur: flows."""
