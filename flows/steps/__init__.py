"""The pipeline's steps as plain functions over :class:`flows.services.Services`, one module per part of the
pipeline: ``inventory`` (build, collect, validate, feedback, export, quality, HVD), ``harvest``,
``publish``, ``report``."""
