"""Where the tests find the official SHACL material: only where a setting points (the project stands alone).

- the DCAT-AP.de material (both profiles, code lists, ontologies): conftest's ``shapes_material_or_skip``
  (``INVENTUR_TEST_SHAPES_DIR``, or what `inventur shapes fetch` put into the checkout's data folder);
- the DCAT-AP HVD 3.0.0 shapes: ``INVENTUR_TEST_HVD_SHAPES_DIR``, the folder with ``hvd-SHACL.ttl``.

Unset, the tests that need them skip and say how to get them; with ``INVENTUR_REQUIRE_SHAPES=1`` (CI) they
fail instead, and a folder that lacks the files always fails. ``.ci/run`` sets both.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import shapes_material_or_skip

HVD_HOWTO = (
    "the DCAT-AP HVD shapes are not configured: set INVENTUR_TEST_HVD_SHAPES_DIR to a folder with hvd-SHACL.ttl "
    "(SEMICeu/DCAT-AP on GitHub, releases/3.0.0-hvd/shacl)"
)


def hvd_shapes_dir() -> Path:
    """The DCAT-AP HVD shapes folder, or skip (unset) / fail (required, or set but without the shapes)."""
    given = os.environ.get("INVENTUR_TEST_HVD_SHAPES_DIR", "").strip()
    if not given:
        if os.environ.get("INVENTUR_REQUIRE_SHAPES", "") == "1":
            pytest.fail(HVD_HOWTO)
        pytest.skip(HVD_HOWTO)
    folder = Path(given).expanduser()
    if not (folder / "hvd-SHACL.ttl").is_file():
        pytest.fail(f"INVENTUR_TEST_HVD_SHAPES_DIR={given} has no hvd-SHACL.ttl")
    return folder


def dcat_ap_de_dir() -> Path:
    """The DCAT-AP.de material (both profiles, code lists, ontologies), or skip / fail (see conftest)."""
    return shapes_material_or_skip()
