"""Apache Solr for the local development portal: CKAN's search index, as every CKAN portal runs it.

- ``artifacts``: Solr's jars from Maven Central (``pom.xml``), resolved by Maven once into a cache folder
  shared by the user's portals (``~/.cache/inventur/solr-9.10.1``), as CKAN's environment is;
- ``configset``: the Solr home in the portal's folder: one core, ``ckan``, with CKAN's own ``schema.xml``
  whose ``text`` field type analyses German (``conf/text_de.xml``, word list ``conf/lang/compounds_de.txt``)
  and a minimal ``solrconfig.xml``;
- ``server``: the process: Solr's embedded Jetty server (``JettySolrRunner``) started by ``Launcher.java``,
  a single Java source file run without a build step, on 127.0.0.1 at a private port with a bounded heap.

Nothing is imported here, so that importing the package stays cheap.
"""
