"""Drawing a report's charts as accessible inline SVG (vl-convert) and making its PDF (WeasyPrint, offline)."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any, Literal

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from insights import charts
from insights.models import PolicyReport

STYLESHEET = Path(__file__).resolve().parent / "static" / "insights" / "reports" / "report.css"
PDF_TEMPLATE = "insights/reports/pdf.html"  # the stand-alone page WeasyPrint reads
MAX_CHART_WIDTH = 660  # CSS pixels: the width of the text on an A4 page with the report's margins
CHART_FONT = "DejaVu Sans, Liberation Sans, sans-serif"


# -- Charts and PDF -------------------------------------------------------------------------------------------

_SVG_START = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?<svg\b([^>]*)>", re.DOTALL)


def draw(spec: dict[str, Any], element_id: str, language: str) -> SafeString:
    """The chart as inline SVG: drawn by vl-convert with the numbers and dates of the report's language,
    named and described for screen readers (role img, <title> and <desc>)."""
    import vl_convert

    static = dict(spec)
    if static.get("width") == "container":
        static["width"] = 640
    # The PDF sets text in DejaVu Sans; vl-convert must measure labels in the same font, or they overlap.
    static["config"] = {**static.get("config", {}), "font": CHART_FONT}
    locale: Literal["nl-NL", "en-GB"] = "nl-NL" if language.startswith("nl") else "en-GB"
    svg = str(
        vl_convert.vegalite_to_svg(
            static,
            vl_version=charts.VEGA_LITE_VERSION,
            format_locale=locale,
            time_format_locale=locale,
            allowed_base_urls=[],
        )
    )
    return mark_safe(
        accessible_svg(svg, element_id, str(spec.get("title", "")), str(spec.get("description", "")))
    )


def accessible_svg(svg: str, element_id: str, title: str, description: str) -> str:
    """The SVG with a name and description, and no wider than the page (scaled by its viewBox)."""
    found = _SVG_START.match(svg)
    if found is None:
        raise ValueError("vl-convert did not return an SVG document")
    attributes = _fit_width(found.group(1))
    opening = (
        f'<svg{attributes} id="{element_id}" role="img" aria-labelledby="{element_id}-title" '
        f'aria-describedby="{element_id}-desc">'
    )
    names = f'<title id="{element_id}-title">{escape(title)}</title><desc id="{element_id}-desc">{escape(description)}</desc>'
    return opening + names + svg[found.end() :]


_SIZE = re.compile(r'\s(width|height)="([0-9.]+)"')


def _fit_width(attributes: str) -> str:
    sizes = {name: float(value) for name, value in _SIZE.findall(attributes)}
    width, height = sizes.get("width"), sizes.get("height")
    if not width or not height or width <= MAX_CHART_WIDTH:
        return attributes
    scale = MAX_CHART_WIDTH / width
    fitted = _SIZE.sub("", attributes)
    return f' width="{MAX_CHART_WIDTH}" height="{round(height * scale, 1)}"{fitted}'


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    import vl_convert

    return bytes(vl_convert.svg_to_png(svg, scale=scale))


def render_pdf(report: PolicyReport, body: str) -> bytes:
    """The PDF of the document: A4, page numbers, the system's fonts, nothing fetched from the network."""
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]

    from guidance.pdf import offline_fetcher

    page = render_to_string(PDF_TEMPLATE, {"report": report, "body": mark_safe(body)})
    fetcher = offline_fetcher()
    stylesheet = CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=fetcher)
    # Tagged: headings, tables and figures keep their structure for screen readers.
    pdf: bytes = HTML(string=page, base_url=None, url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], pdf_tags=True
    )
    return pdf


def pdf_filename(report: PolicyReport) -> str:
    day = (report.built_at or report.created_at).date().isoformat()
    return f"{slugify(report.title)[:80] or 'report'}-{report.pk}-{day}.pdf"
