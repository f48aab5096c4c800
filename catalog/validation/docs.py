"""Data Docs of a validation run: where Great Expectations writes them, and how they become readable offline.

Great Expectations renders its HTML with stylesheets, scripts, fonts and logos from public CDNs
(Bootstrap, jQuery, bootstrap-table, Vega, Font Awesome, an S3 bucket). The reports of the inventory
must open on a machine without internet access and must not make a reviewer's browser call third
parties, so after GE has built the site every page is rewritten:

- external ``<link>``, ``<script src>``, ``<img>`` and CSS ``url(...)`` references are removed (the
  GE logo is taken from the site's own ``static/images``);
- inline scripts are removed: they drive jQuery widgets that are not there, and every content the
  pages show is rendered into the HTML already, except the index table (see below) and the
  "Show All / Failed Only" filter of a validation result page, which gets a small script of our own
  (no library; ``#failed-only`` in the address opens the page filtered);
- the status icons (Font Awesome, a web font from a CDN) become characters that need no font:
  ✗ failed, ✓ passed, ⚠ warning, each in the icon's colour and with its name as a tooltip;
- a small local stylesheet (``static/styles/offline.css``) lays the pages out;
- the index page, whose tables GE fills with JavaScript, gets a plain summary of the run (findings
  by code and severity) and plain links to the validation result and expectation suite pages;
- links to GE's web site keep their text only, GE's promotional footers are dropped, and static files no page refers to are deleted (they are
  several megabytes, copied into every run's folder).

This module does not import Great Expectations.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.I)
_EXTERNAL_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>\s*</script\s*>", re.I)
_INLINE_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.I | re.S)
_LOGO = re.compile(r"(<img\b[^>]*\bsrc\s*=\s*[\"'])https?://[^\"']*/logo-long\.png[^\"']*([\"'])", re.I)
_EXTERNAL_IMG = re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.I)
_EXTERNAL_URL = re.compile(r"url\(\s*[\"']?(?:https?:)?//[^)]*\)", re.I)
_IMPORT = re.compile(r"@import\s+(?:url\()?\s*[\"']?(?:https?:)?//[^;]*;", re.I)
_EXTERNAL_ANCHOR = re.compile(r"<a\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//[^>]*>(.*?)</a\s*>", re.I | re.S)
_FOOTER = re.compile(r"<footer\b.*?</footer\s*>", re.I | re.S)
_BODY = re.compile(r"<body\b[^>]*>", re.I)
_HEAD_END = re.compile(r"</head\s*>", re.I)

OFFLINE_CSS = """\
/* Layout for Data Docs opened without the CDN stylesheets GE links to (written by catalog.validation.docs). */
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px;
       color: #212529; margin: 0; padding: 0 1.5rem 2rem; line-height: 1.45; }
a { color: #0b5cad; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
.card { border: 1px solid #d0d7de; border-radius: 4px; margin: .75rem 0; padding: .5rem .75rem; }
.card-header { font-weight: 600; border-bottom: 1px solid #eaeef2; margin-bottom: .4rem; }
.text-danger, .ge-failed-icon { color: #b42318; }
.text-success { color: #1a7f37; }
.badge { display: inline-block; padding: 0 .35rem; border-radius: 3px; background: #eaeef2; font-size: 90%; }
.d-none, .sr-only, .invisible, .modal, .ge-walkthrough-modal, [id$="-table-toolbar"], button { display: none; }
.breadcrumb { list-style: none; display: flex; gap: .5rem; padding: 0; }
.navbar img { height: 28px; }
ul.nav { list-style: none; padding: 0; display: flex; gap: 1rem; }
.inventur-status { font-weight: 700; font-size: 1.1em; }
.btn-group-toggle label { display: inline-block; margin-right: .75rem; cursor: pointer; }
.inventur-offline-index { border: 1px solid #d0d7de; border-radius: 4px; padding: .75rem 1rem; margin: 1rem 0; }
.inventur-offline-index h2 { font-size: 1.2rem; margin: .25rem 0 .5rem; }
"""


# Font Awesome icons GE marks a status with: the character and the word shown instead
_ICONS: dict[str, tuple[str, str]] = {
    "fa-times": ("✗", "failed"),
    "fa-times-circle": ("✗", "failed"),
    "fa-check-circle": ("✓", "passed"),
    "fa-check": ("✓", "passed"),
    "fa-exclamation-triangle": ("⚠", "warning"),
    "fa-question-circle": ("?", "unknown"),
}
_ICON = re.compile(r"<i\b[^>]*\bclass\s*=\s*[\"']([^\"']*\bfa-[a-z-]+[^\"']*)[\"'][^>]*>\s*</i\s*>", re.I)
_BODY_END = re.compile(r"</body\s*>", re.I)

FILTER_SCRIPT = """<script id="inventur-offline-filter">
/* The "Failed Only" filter of GE's validation result page without jQuery (catalog.validation.docs). */
(function () {
  function each(selector, action) { Array.prototype.forEach.call(document.querySelectorAll(selector), action); }
  function shown(element, visible) { if (element) { element.style.display = visible ? "" : "none"; } }
  function filter(visible) {
    each(".hide-succeeded-validation-target-child", function (cell) { shown(cell.parentElement, visible); });
    each(".hide-succeeded-validation-target", function (element) { shown(element, visible); });
    each(".hide-succeeded-validations-column-section-target-child", function (block) {
      var section = block.parentElement && block.parentElement.parentElement;
      shown(section, visible);
      if (section && section.id) {
        each('a[href$="' + section.id + '"]', function (link) { shown(link, visible); });
      }
    });
  }
  window.showAllValidations = function () { filter(true); };
  window.hideSucceededValidations = function () { filter(false); };
  if (window.location.hash === "#failed-only") {
    var option = document.getElementById("option2");
    if (option) { option.checked = true; }
    filter(false);
  }
})();
</script>
"""


def _status_text(match: re.Match[str]) -> str:
    classes = match[1].split()
    for name in classes:
        if name in _ICONS:
            symbol, word = _ICONS[name]
            css = " ".join(["inventur-status", *(c for c in classes if c.startswith("text-"))])
            return f'<span class="{css}" role="img" aria-label="{word}" title="{word}">{symbol}</span>'
    return ""  # an icon that shows no status: nothing to show without its font


def site_config(site_dir: Path) -> dict[str, Any]:
    """The GE ``data_docs_sites`` entry that writes one run's site into ``site_dir``."""
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


def is_docs_site(site_dir: Path) -> bool:
    """Whether ``site_dir`` holds a report written by :func:`make_offline` (and nothing foreign)."""
    allowed = {"index.html", "static", "validations", "expectations"}
    return (
        (site_dir / "index.html").is_file()
        and (site_dir / "static" / "styles" / "offline.css").is_file()
        and {p.name for p in site_dir.iterdir()} <= allowed
    )


def _relative_root(page: Path, site_dir: Path) -> str:
    rel = os.path.relpath(site_dir, page.parent).replace(os.sep, "/")
    return "" if rel == "." else rel + "/"


def _strip_external(text: str, root: str) -> str:
    text = _EXTERNAL_LINK.sub("", text)
    text = _EXTERNAL_SCRIPT.sub("", text)
    text = _INLINE_SCRIPT.sub("", text)
    text = _LOGO.sub(lambda m: f"{m[1]}{root}static/images/logo-long.png{m[2]}", text)
    text = _EXTERNAL_IMG.sub("", text)
    text = _EXTERNAL_URL.sub("none", text)
    text = _IMPORT.sub("", text)
    text = _FOOTER.sub("", text)
    text = _ICON.sub(_status_text, text)
    return _EXTERNAL_ANCHOR.sub(lambda m: m[1], text)


def _insert(text: str, pattern: re.Pattern[str], insertion: str, *, before: bool) -> str:
    """``text`` with ``insertion`` before or after the first match of ``pattern`` (unchanged without one)."""
    match = pattern.search(text)
    if match is None:
        return text
    at = match.start() if before else match.end()
    return text[:at] + insertion + text[at:]


def _summary_html(site_dir: Path, run_name: str, summary: Mapping[str, Any]) -> str:
    """The plain index section: run figures, findings by code, links to the result and suite pages."""
    esc = html.escape
    parts = [f'<section class="inventur-offline-index"><h2>Validation run {esc(run_name)}</h2>']
    figures = summary.get("figures", {})
    if figures:
        parts.append("<table>")
        parts += [f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>" for k, v in figures.items()]
        parts.append("</table>")
    counts = summary.get("findings", [])
    if counts:
        parts.append("<h2>Findings by code</h2><table><tr><th>code</th><th>severity</th><th>count</th></tr>")
        parts += [f"<tr><td>{esc(c)}</td><td>{esc(s)}</td><td>{n}</td></tr>" for c, s, n in counts]
        parts.append("</table>")
    for title, folder in (("Validation results", "validations"), ("Expectation suites", "expectations")):
        pages = sorted((site_dir / folder).rglob("*.html")) if (site_dir / folder).is_dir() else []
        if pages:
            parts.append(f"<h2>{title}</h2><ul>")
            for page in pages:
                href = page.relative_to(site_dir).as_posix()
                parts.append(f'<li><a href="{esc(href)}">{esc(href)}</a></li>')
            parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


def _prune_static(site_dir: Path, pages: list[str]) -> None:
    """Delete the static files no page refers to (GE copies fonts, images and style templates into every site)."""
    static = site_dir / "static"
    if not static.is_dir():
        return
    referenced = "\n".join(pages)
    for path in sorted(static.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_file() and path.name != "offline.css" and path.name not in referenced:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def make_offline(site_dir: Path, *, run_name: str, summary: Mapping[str, Any] | None = None) -> Path:
    """Rewrite the Data Docs site in ``site_dir`` so that it needs nothing from the internet.

    ``summary`` may carry ``figures`` (a mapping shown as a table) and ``findings`` (rows of code,
    severity, count) for the index page. Returns the path of the site's ``index.html``.
    """
    styles = site_dir / "static" / "styles"
    styles.mkdir(parents=True, exist_ok=True)
    (styles / "offline.css").write_text(OFFLINE_CSS, encoding="utf-8")
    index = site_dir / "index.html"
    written: list[str] = []
    for page in sorted(site_dir.rglob("*.html")):
        root = _relative_root(page, site_dir)
        text = _strip_external(page.read_text(encoding="utf-8"), root)
        text = _insert(text, _HEAD_END, f'<link rel="stylesheet" href="{root}static/styles/offline.css"/>\n', before=True)
        if page == index:
            text = _insert(text, _BODY, _summary_html(site_dir, run_name, summary or {}), before=False)
        if "hideSucceededValidations" in text:
            text = _insert(text, _BODY_END, FILTER_SCRIPT, before=True)
        page.write_text(text, encoding="utf-8")
        written.append(text)
    _prune_static(site_dir, written)
    for css in styles.glob("*.css"):
        text = css.read_text(encoding="utf-8")
        css.write_text(_IMPORT.sub("", _EXTERNAL_URL.sub("none", text)), encoding="utf-8")
    return index
