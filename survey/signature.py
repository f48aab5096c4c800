"""The signature of a survey workbook: HMAC-SHA256 over the values of its ``Meta`` sheet, keyed with
the city's secret. It binds a workbook to its campaign, city and department, so that a workbook
passed to another department, or edited in ``Meta``, is recognised.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

# The template version this code builds. A returned workbook of a version not in READABLE_VERSIONS is
# "template-outdated"; 2026.1 lacks the columns added in 2026.2 (catalog.fields: ``since``), which are then
# left as they were.
TEMPLATE_VERSION = "2026.2"
READABLE_VERSIONS: tuple[str, ...] = ("2026.1", "2026.2")

# The signed values of the Meta sheet, in this order (one row each: key in column A, value in B).
SIGNED_KEYS: tuple[str, ...] = ("campaign", "city", "department", "department_name", "survey_version", "issued")


@dataclass(frozen=True)
class Meta:
    campaign: str
    city: str
    department: str
    department_name: str
    survey_version: str
    issued: str  # ISO date
    signature: str = ""

    def values(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in SIGNED_KEYS}


def _message(values: Mapping[str, str]) -> bytes:
    return "\x1f".join(f"{k}={values[k]}" for k in SIGNED_KEYS).encode("utf-8")


def sign(meta: Meta, secret: bytes) -> Meta:
    """The same meta values with their signature."""
    digest = hmac.new(secret, _message(meta.values()), hashlib.sha256).hexdigest()
    return Meta(**meta.values(), signature=digest)


def verify(meta: Meta, secret: bytes) -> bool:
    """Whether the signature matches the values under the city's secret (constant-time comparison)."""
    expected = hmac.new(secret, _message(meta.values()), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, meta.signature or "")
