"""The CKAN extensions the local portal runs so that it exposes the DCAT GovData harvests.

City portals reach GovData through CKAN's own DCAT endpoints (``/catalog.ttl``, ``/dataset/<name>.ttl``),
written by ckanext-dcat with GovData's ckanext-dcatde (profile ``dcatap_de``, on ckanext-dcat's DCAT-AP 2
profile). The local portal installs the same:

- ckanext-dcat in the version ckanext-dcatde pins (2.3.0; it imports ``pkg_resources``, so CKAN's
  environment keeps ``setuptools<81``), always: without ckanext-dcatde the portal runs ckanext-dcat's
  own DCAT-AP 2 profile ``euro_dcat_ap_2``;
- ckanext-dcatde from a wheel file or a pip requirement (``INVENTUR_CKAN_DCATDE``): no package registry
  serves it, a real portal installs it from its repository
  (``ckanext-dcatde @ git+https://github.com/GovDataOfficial/ckanext-dcatde@6.10.0``);
- ckanext-inventur (``portal/ckanext-inventur``, beside this file): the catalog node's publisher, language,
  theme taxonomy and data services, and what ckanext-dcat 2.3.0 does not write of a data service and of a
  High-Value Dataset (profile ``inventur_catalog``, which only adds to what the dataset profile wrote), and
  the German visitor pages (plugin ``inventur``: readable format labels, the department and city beside
  each title).

Which of them an environment holds is written into a marker file of the environment, keyed by the
requirement (and, for files and folders, their content): an environment of an earlier inventur, or one
that lacks ckanext-dcatde when it is asked for, is completed instead of silently running without it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from portal.ckan_site import _run_install
from portal.errors import PortalError
from portal.processes import file_lock

DCAT_VERSION = "2.3.0"  # what ckanext-dcatde 6.10.0 pins (its base-requirements.txt)
DCAT_REQUIREMENT = f"ckanext-dcat=={DCAT_VERSION}"
SETUPTOOLS_REQUIREMENT = "setuptools<81"  # ckanext-dcat 2.3.0 imports pkg_resources
OWN_EXTENSION = Path(__file__).resolve().parent / "ckanext-inventur"
PROFILE_DCATDE = "dcatap_de"
PROFILE_DCAT_AP_2 = "euro_dcat_ap_2"
PROFILE_CATALOG = "inventur_catalog"
_MARKER = ".inventur-extensions"
_WHEEL_NAME = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[^-]+)-.+\.whl$")


@dataclass(frozen=True)
class Extension:
    """One thing to install into CKAN's environment: the pip argument, the key that tells whether it is
    installed (the requirement, or a distribution name with the digest of a file or folder), and the
    distribution to reinstall when the key changes while its version does not (a rebuilt wheel, our
    own extension edited)."""

    argument: str
    key: str
    reinstall: str | None = None


def _digest_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _digest_tree(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       and not any(part.endswith(".egg-info") or part == "build" for part in p.parts)):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def dcatde_extension(source: str) -> Extension:
    """ckanext-dcatde from ``source``: a wheel file (path) or a pip requirement string.

    Raises PortalError when ``source`` names a wheel file that is not there.
    """
    text = source.strip()
    path = Path(text).expanduser()
    if text.endswith(".whl") or path.is_file():
        if not path.is_file():
            raise PortalError(f"ckanext-dcatde: the wheel file {path} does not exist (INVENTUR_CKAN_DCATDE)")
        match = _WHEEL_NAME.match(path.name)
        name = match.group("name").replace("_", "-") if match else "ckanext-dcatde"
        resolved = path.resolve()
        return Extension(str(resolved), f"{name}@sha256:{_digest_file(resolved)}", reinstall=name)
    if not text:
        raise PortalError("ckanext-dcatde: INVENTUR_CKAN_DCATDE is empty; give a wheel file or a pip requirement")
    return Extension(text, text)


def extensions(dcatde: str | None) -> list[Extension]:
    """Everything the portal installs besides CKAN: ckanext-dcat, ckanext-inventur, and ckanext-dcatde when
    a source is given."""
    wanted = [
        Extension(SETUPTOOLS_REQUIREMENT, SETUPTOOLS_REQUIREMENT),
        Extension(DCAT_REQUIREMENT, DCAT_REQUIREMENT),
        Extension(str(OWN_EXTENSION), f"ckanext-inventur@sha256:{_digest_tree(OWN_EXTENSION)}",
                  reinstall="ckanext-inventur"),
    ]
    if dcatde:
        wanted.append(dcatde_extension(dcatde))
    return wanted


def _installed_keys(venv: Path) -> set[str]:
    try:
        keys = json.loads((venv / _MARKER).read_text())
    except (OSError, ValueError):
        return set()
    return {str(k) for k in keys} if isinstance(keys, list) else set()


def missing(venv: Path, wanted: Sequence[Extension]) -> list[Extension]:
    """The extensions of ``wanted`` that the environment does not hold (by the marker's keys)."""
    keys = _installed_keys(venv)
    return [e for e in wanted if e.key not in keys]


def ensure_extensions(
    venv: Path, wanted: Sequence[Extension], log_path: Path, progress: Callable[[str], None]
) -> None:
    """Install what ``wanted`` lacks in the environment ``venv`` (with uv if available, else pip); all of
    ``wanted`` in one resolution, so that pins (ckanext-dcatde's on ckanext-dcat) are honoured."""
    if not missing(venv, wanted):
        return
    with file_lock(venv.parent / f"{venv.name}.lock", timeout=1800, what=f"CKAN environment {venv}"):
        lacking = missing(venv, wanted)
        if not lacking:
            return
        progress("CKAN: installing " + ", ".join(_shown(e) for e in lacking) + f" into {venv}")
        python = str(venv / "bin" / "python")
        with tempfile.TemporaryDirectory(prefix="inventur-ckanext-") as scratch:
            # a folder is built from a copy: building writes build/ and *.egg-info beside its sources
            arguments = [_copied(e.argument, Path(scratch)) for e in wanted]
            _install(venv, python, arguments, lacking, log_path)
        # one key per distribution: what was installed before of the same distribution is no longer there
        names = {_distribution(e.key) for e in wanted}
        keys = {k for k in _installed_keys(venv) if _distribution(k) not in names} | {e.key for e in wanted}
        (venv / _MARKER).write_text(json.dumps(sorted(keys), indent=1) + "\n")


def _distribution(key: str) -> str:
    """The distribution a marker key is about: ``ckanext-dcat==2.3.0`` and ``ckanext-dcat @ git+...``
    both name ``ckanext-dcat``."""
    return re.split(r"[@=<>!~;\[ ]", key, maxsplit=1)[0].strip().lower().replace("_", "-")


def _copied(argument: str, scratch: Path) -> str:
    source = Path(argument)
    if not source.is_dir():
        return argument
    target = scratch / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    return str(target)


def _install(venv: Path, python: str, arguments: list[str], lacking: Sequence[Extension], log_path: Path) -> None:
    """One resolution of all ``arguments``; the lacking files and folders are reinstalled even when their
    version did not change (a rebuilt wheel, our own extension edited)."""
    reinstall = sorted({e.reinstall for e in lacking if e.reinstall})
    uv = shutil.which("uv")
    if uv:
        _run_install([[uv, "pip", "install", "--python", python, *arguments,
                       *(f"--reinstall-package={name}" for name in reinstall)]], log_path)
        return
    pip = [python, "-m", "pip", "install", "--disable-pip-version-check"]
    steps = [[*pip, *arguments]]
    names = {Path(e.argument).name for e in lacking if e.reinstall}
    local = [a for a in arguments if Path(a).name in names]
    if local:
        steps.append([*pip, "--force-reinstall", "--no-deps", *local])
    _run_install(steps, log_path)


def _shown(extension: Extension) -> str:
    if extension.reinstall and extension.argument.endswith(".whl"):
        return Path(extension.argument).name
    if extension.reinstall:
        return extension.reinstall
    return extension.argument


def installed_version(venv: Path, distribution: str) -> str | None:
    """The version of a distribution installed in ``venv`` (from its ``.dist-info`` folder), or None."""
    stem = distribution.replace("-", "_").lower()
    for info in venv.glob("lib/python3*/site-packages/*.dist-info"):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        if name.lower().replace("-", "_") == stem:
            return version
    return None


def profiles(dcatde: bool) -> list[str]:
    """The RDF profiles of ``ckanext.dcat.rdf.profiles``: GovData's, else ckanext-dcat's DCAT-AP 2; then ours
    (catalog node, data services, HVD classes)."""
    return [PROFILE_DCATDE if dcatde else PROFILE_DCAT_AP_2, PROFILE_CATALOG]


def plugins(dcatde: bool) -> list[str]:
    """The CKAN plugins of ``ckan.plugins``: CKAN's activity stream, ckanext-dcat, ckanext-dcatde, ours."""
    return ["activity", "dcat", *(["dcatde"] if dcatde else []), "inventur"]
