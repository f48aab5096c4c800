"""inventur: portal."""
