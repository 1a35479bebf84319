"""Jinja2 templates of the dashboard: one environment per language (gettext installed, autoescaping on)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ctdhub.publish.stats import CAVEAT
from ctdhub.publish.web.i18n import Lang, pick_lang

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment(lang: str, extra: tuple[Path, ...] = ()) -> Environment:
    """The template environment speaking `lang` (built once per language); templates are looked up in the
    `extra` folders first (the portal's), then the dashboard's (whose `base.html` they extend)."""
    env = Environment(
        loader=FileSystemLoader([*extra, TEMPLATES]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(Lang(lang).t, newstyle=True)  # type: ignore[attr-defined]
    env.globals["CAVEAT"] = CAVEAT
    return env


def render_page(
    template: str, *, ctx: Any = None, lang: Lang | None = None, extra: tuple[Path, ...] = (), **data: Any
) -> str:
    """Render `template` in the language of `ctx` (or `lang`)."""
    lang = lang or (ctx.lang if ctx is not None else Lang(pick_lang(None)))
    return environment(lang.code, extra).get_template(template).render(ctx=ctx, lang=lang, **data)
