"""inventur: survey."""
