"""Where the tests find the official SHACL material: only where a setting points (the project stands alone).

- ``INVENTUR_HVD_SHAPES_DIR``: the DCAT-AP HVD 3.0.0 shapes (the folder with ``hvd-SHACL.ttl``);
- ``INVENTUR_SHAPES_DIR``: a DCAT-AP.de profile folder (``.../shapes-2.0``); the folder around it holds both
  profiles, the code lists (``vocab``) and the ontologies, as GovData's validator material is laid out
  (``INVENTUR_SHARED_DIR``, the reference folder with ``dcat-ap-de/`` in it, is read as well).

Unset, the tests that need them skip and say how to get them; set to a folder that lacks them, they fail
(a CI run that points at the material must really check against it). ``.ci/run`` sets both.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HVD_HOWTO = (
    "the DCAT-AP HVD shapes are not configured: set INVENTUR_HVD_SHAPES_DIR to the folder with hvd-SHACL.ttl "
    "(SEMICeu/DCAT-AP, releases/3.0.0-hvd/shacl; e.g. ../shared/dcat-ap-hvd beside the checkout)"
)
DE_HOWTO = (
    "the DCAT-AP.de shapes are not configured: set INVENTUR_SHAPES_DIR to the shapes-2.0 folder of the "
    "DCAT-AP.de validation material (shapes-2.0, shapes-3.0, vocab and ontologies side by side, as in "
    "GovDataOfficial/DCAT-AP.de-SHACL-Validation; e.g. ../shared/dcat-ap-de/shapes-2.0 beside the checkout)"
)
DE_PARTS = ("shapes-2.0", "shapes-3.0", "vocab", "ontologies")


def hvd_shapes_dir() -> Path:
    """The DCAT-AP HVD shapes folder, or skip (unset) / fail (set but without the shapes)."""
    given = os.environ.get("INVENTUR_HVD_SHAPES_DIR")
    if not given:
        pytest.skip(HVD_HOWTO)
    folder = Path(given)
    if not (folder / "hvd-SHACL.ttl").is_file():
        pytest.fail(f"INVENTUR_HVD_SHAPES_DIR={given} has no hvd-SHACL.ttl")
    return folder


def dcat_ap_de_dir() -> Path:
    """The DCAT-AP.de material (both profiles, code lists, ontologies), or skip (unset) / fail (incomplete)."""
    shapes = os.environ.get("INVENTUR_SHAPES_DIR")
    shared = os.environ.get("INVENTUR_SHARED_DIR")
    if shapes:
        folder = Path(shapes).parent
    elif shared:
        folder = Path(shared) / "dcat-ap-de"
    else:
        pytest.skip(DE_HOWTO)
    missing = [part for part in DE_PARTS if not (folder / part).is_dir()]
    if missing:
        pytest.fail(f"the DCAT-AP.de material in {folder} lacks {', '.join(missing)}")
    return folder
