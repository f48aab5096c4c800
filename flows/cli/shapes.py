"""``inventur shapes``: the official DCAT-AP.de validation material (fetch it, show what is there)."""

from __future__ import annotations

from pathlib import Path

import click

from flows.cli.app import App, fail, pass_app

HOW_TO_GET = (
    "run `inventur shapes fetch` (downloads GovData's official shapes and code lists into {folder}), "
    "or set INVENTUR_SHAPES_DIR to a folder with shapes-2.0, shapes-3.0, vocab and ontologies"
)


def how_to_get(folder: Path) -> str:
    """What a user does to get the shapes (one sentence, for messages)."""
    return HOW_TO_GET.format(folder=folder)


@click.group()
def shapes() -> None:
    """The official DCAT-AP.de shapes and code lists that `dcat validate` and `quality` check against.

    They are GovData's, not part of inventur: `inventur shapes fetch` takes them from GovData's validator
    repository (GovDataOfficial/DCAT-AP.de-SHACL-Validation) as its validator is configured.
    """


@shapes.command("fetch")
@click.option("--source", help="Archive (tar.gz URL or path) of GovData's validator repository "
              "(default: INVENTUR_SHAPES_SOURCE, its current commit on GitHub).")
@click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write (default: INVENTUR_SHAPES_DIR, else <data_dir>/dcat-ap-de).")
@pass_app
def shapes_fetch(app: App, source: str | None, target: Path | None) -> None:
    """Download the shapes of DCAT-AP.de 2.0 + Konventionen and 3.0 with the code lists they import.

    The folder is replaced only when everything was fetched; SOURCE.json in it records the source, the
    commit and every file with its origin and checksum.
    """
    from connectors.shapes_source import ShapesFetchError, fetch_material

    settings = app.settings
    folder = (target or settings.shapes_folder()).resolve()
    origin = source or settings.shapes_source
    try:
        fetched = fetch_material(origin, folder, timeout=max(settings.http_timeout, 60.0), progress=app.progress)
    except ShapesFetchError as exc:
        fail(f"the DCAT-AP.de shapes could not be fetched, {folder} is unchanged: {exc}", exc.exit_code)
    app.console.print(f"DCAT-AP.de shapes in {fetched.folder}")
    app.console.print(f"  from {fetched.source}" + (f" (commit {fetched.commit})" if fetched.commit else ""))
    for part in ("shapes-2.0", "shapes-3.0", "vocab", "ontologies"):
        app.console.print(f"  {part}: {fetched.count(part)} files")
    if target is not None and settings.shapes_dir is None and target.resolve() != settings.shapes_folder():
        app.console.print(f"  use them with INVENTUR_SHAPES_DIR={fetched.folder}")


@shapes.command("status")
@pass_app
def shapes_status(app: App) -> None:
    """Where the shapes are, where they came from, and how many files each part holds."""
    from connectors.shapes_source import describe

    folder = app.settings.shapes_folder()
    if app.settings.dcat_shapes() is None:
        app.console.print(f"no DCAT-AP.de shapes in {folder}: {how_to_get(folder)}")
        return
    for line in describe(folder):
        app.console.print(line)


def register(cli: click.Group) -> None:
    cli.add_command(shapes)
