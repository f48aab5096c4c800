"""Publishing: the reviewed inventory onto CKAN portals.

- :mod:`catalog.publish.rules`: the hard rules that decide publication, and what an entry still waits for;
- :mod:`catalog.publish.mapping`: an entry as a CKAN package, a department as an organisation;
- :mod:`catalog.publish.plan`: the difference between the inventory and a portal, as actions (pure);
- :mod:`catalog.publish.states`: the entries as the planner needs them, read from the store a chunk at a time;
- :mod:`catalog.publish.portal`: the :class:`~catalog.publish.portal.CkanPortal` protocol publishing talks to;
- :mod:`catalog.publish.apply`: carrying out a plan on a portal (create, settle, ownership, retries of a lost answer);
- :mod:`catalog.publish.record`: publications, CKAN's refusals as findings, entries marked published;
- :mod:`catalog.publish.run`: one publish run over the portals, with its summary;
- :mod:`catalog.publish.verify`: the portal's DCAT held against the export.

The implementations of the portal protocol (the ckanapi client and an in-memory twin) live in
``connectors.ckan``; the command and the flow only wire them up.
"""
