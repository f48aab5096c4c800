"""The ``inventur`` command line: the root group, with every command module's commands added to it."""

from __future__ import annotations

import click

from flows.cli import demo, harvest, hvd, inventory, portal, publish, report, review, shapes, survey
from flows.cli.app import App, InventurGroup
from flows.settings import load_settings


@click.group(cls=InventurGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="inventur")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """inventur: the open-data inventory of München, Augsburg and Nürnberg.

    Builds and collects the data-silo survey, harvests existing catalogs, validates and normalises
    everything into one inventory, and publishes what may be open to CKAN and as DCAT-AP.de.
    Settings come from INVENTUR_* environment variables (see the README).
    """
    ctx.obj = App(load_settings())


for _module in (inventory, survey, review, portal, demo, report, harvest, publish, shapes, hvd):
    _module.register(cli)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="inventur")
