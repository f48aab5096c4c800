"""Everything rendered for people from the campaign report's figures (:mod:`catalog.report`): the HTML page
(``html``), the workbook (``xlsx``) and the Markdown of Prefect artifacts (``markdown``)."""
