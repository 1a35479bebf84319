"""The briefing as a PDF: the same HTML with a print stylesheet, laid out by WeasyPrint.

Fonts are the package's own DejaVu Sans files (``fonts/``, free licence in ``DejaVu-LICENSE.txt``)
referenced by @font-face file URLs, so the PDF does not depend on the machine's fonts.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ctdhub.errors import CtdhubError
from ctdhub.publish.briefing.figures import BriefingFigures
from ctdhub.publish.briefing.i18n import Language
from ctdhub.publish.briefing.render_html import _template_text, briefing_html


def fonts_dir() -> Path:
    return Path(str(resources.files("ctdhub.publish.briefing").joinpath("fonts")))


def font_faces() -> str:
    d = fonts_dir()
    return "".join(
        f'@font-face {{ font-family: "DejaVu Sans"; font-weight: {w}; src: url("{(d / name).as_uri()}"); }}\n'
        for name, w in (("DejaVuSans.ttf", "normal"), ("DejaVuSans-Bold.ttf", "bold"))
    )


def briefing_pdf(figs: BriefingFigures, L: Language) -> bytes:
    """The briefing rendered to PDF bytes."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: pango/cairo libraries missing
        raise CtdhubError(
            f"PDF output needs WeasyPrint and its system libraries ({exc}); use --format html instead."
        ) from None
    html = briefing_html(figs, L, extra_css=font_faces() + _template_text("print.css"))
    pdf = HTML(string=html, base_url=str(fonts_dir())).write_pdf()
    return bytes(pdf)
