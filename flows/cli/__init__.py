"""The ``inventur`` command line (a package: ``app`` shared by all commands, one module per family of
commands, ``main`` the root group and entry point)."""
