"""Preparing one letter: settings defaults, validation, computed fields, template.

This is the pipeline every use case shares (single letter, batch, correct,
reissue): data in, a :class:`Prepared` letter out, or :class:`InvalidInput`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from . import zipwriter
from .compute import enrich
from .docprops import stamp
from .config import Config
from .errors import ConfigError, ConversionError, InvalidInput, TemplateError
from .housestyle.estimate import surely_one_page
from .housestyle.fit import FIT_KEY, apply_fit, choose_fit
from .housestyle.profiles import load_profile
from .housestyle.tablefit import fit_document
from .models import Problem, copy_tree
from .pictures import PICTURE_SETTINGS, add_letter_pictures, load_pictures
from .rendering import CompiledTemplate, load_template, renumber, to_context
from .schemas import KindSchema, load_kind
from .validation import validate
from .verification import VERIFY_KEY, check_page_url, public_base, qr_png
from .workdays import WorkCalendar

# Which settings section fills which top-level field when the input omits it.
CONFIG_DEFAULTS = {"sender": "organisation", "contact": "contact", "payee": "bank"}
#: Where a letter's context keeps the pictures it carries (paths from the settings).
PICTURES_KEY = "layout_pictures"


@dataclass
class Prepared:
    """A validated letter ready to render: ``context`` is what the template sees."""

    kind: KindSchema
    document: dict[str, Any]
    context: dict[str, Any]
    warnings: list[Problem] = field(default_factory=list)

    @property
    def customer(self) -> str:
        return str(self.document.get("recipient", {}).get("name", ""))

    @property
    def subject(self) -> str:
        return str(self.context.get("title", ""))

    @property
    def letter_date(self) -> date:
        return self.document["letter_date"]


def with_defaults(kind: KindSchema, data: dict[str, Any], config: Config) -> dict[str, Any]:
    """The input with the organisation's defaults filled in where it is silent."""
    out = copy_tree(data) if isinstance(data, dict) else data
    if not isinstance(out, dict):
        return out
    for name, section in CONFIG_DEFAULTS.items():
        defaults = {k: v for k, v in config.section(section).items() if k not in PICTURE_SETTINGS}
        given = out.get(name)
        if name == "sender" and name in kind.rules and not defaults and not given:
            where = f"配置文件 {config.source}" if config.source else "设置（未找到 lettergen.toml）"
            raise ConfigError(f"{where}缺少 [organisation] 一节（发函单位：name、address、phone、credit_code），"
                              "每封信函都要用；请在 lettergen.toml 中加入该节")
        if name not in kind.rules or not defaults:
            continue
        if given is None:
            out[name] = dict(defaults)
        elif isinstance(given, dict):
            out[name] = {**defaults, **{k: v for k, v in given.items() if v not in (None, "")}}
    return out


def calendar_for(config: Config) -> WorkCalendar:
    cal = config.section("calendar")
    return WorkCalendar(cal.get("holidays") or [], cal.get("workdays") or [])


def prepare(kind: str | KindSchema, data: dict[str, Any], config: Config, *, today: date | None = None) -> Prepared:
    """Validate ``data`` for ``kind`` and compute its fields; :class:`InvalidInput` lists every problem."""
    schema = kind if isinstance(kind, KindSchema) else load_kind(config.schemas_dir, kind)
    result = validate(schema, with_defaults(schema, data, config), today=today)
    if result.problems:
        raise InvalidInput(result.problems)
    calendar = calendar_for(config)
    enriched = enrich(schema, result.document, config, calendar)
    warnings = list(result.warnings)
    warnings += [Problem("", "工作日", text, severity="warning") for text in calendar.warnings]
    context = to_context(enriched, schema.rules)
    pictures = load_pictures(config.section("organisation"), config.path)
    if pictures:  # kept with the context, so a reissue places the same pictures
        context[PICTURES_KEY] = pictures
    if public_base(config):  # likewise: a reissue prints the same QR code
        context[VERIFY_KEY] = public_base(config)
    return Prepared(schema, result.document, context, warnings)


def template_path(config: Config, kind: str) -> Path:
    """The kind's template for the configured house-style profile (default profile as fallback)."""
    base = config.templates_dir
    profile = config.style_profile
    if profile and profile != "song":
        candidate = base / profile / f"{kind}.docx"
        if candidate.is_file():
            return candidate
    candidate = base / f"{kind}.docx"
    if not candidate.is_file():
        raise TemplateError(f"信函类型「{kind}」没有模板：{candidate}")
    return candidate


def template_for(config: Config, kind: str) -> CompiledTemplate:
    return load_template(template_path(config, kind))


# Names the rendering adds to every letter's context besides its data.
RENDER_NAMES = ("number", "corrects")


@dataclass(frozen=True)
class Rendering:
    """A letter and the template's rendering it was finished from (before its fit,
    pictures, QR code and identity: what :func:`numbered` renumbers)."""

    raw: bytes
    docx: bytes


def render_context(template: CompiledTemplate, context: dict[str, Any], number: str,
                   identity: dict[str, str] | None = None, verify_code: str | None = None, *,
                   trial: bool = False) -> bytes:
    """Render ``context`` with its document number; ``corrects`` (the number and date of
    the letter this one corrects, or None) comes from the context when set, and so
    does the letter's fitted spacing (``layout_fit``, see :func:`fit_letter`).  ``identity``
    (register id, number, kind, sequence …) goes into the document properties.
    ``verify_code`` (the register entry's) prints the QR code of the letter's check
    page when the context keeps a public URL (``[service] public_url``); without it
    (drafts, trial renders) there is no QR code, but the room for it is checked.  A ``trial``
    rendering (measured, checked, then thrown away) stores its rendered parts uncompressed:
    a valid package, bigger, made faster; never one that is written or handed out."""
    return render_letter(template, context, number, identity, verify_code, trial=trial).docx


def render_letter(template: CompiledTemplate, context: dict[str, Any], number: str,
                  identity: dict[str, str] | None = None, verify_code: str | None = None, *,
                  trial: bool = False) -> Rendering:
    """:func:`render_context`, keeping the template's rendering too."""
    raw = template.render({"corrects": None, **context, "number": number}, document_hook=fit_document,
                          level=0 if trial else zipwriter.LEVEL)
    return Rendering(raw, _finish_letter(raw, context, identity, number, verify_code))


def numbered(template: CompiledTemplate, trial: Rendering, context: dict[str, Any], placeholder: str, number: str,
             identity: dict[str, str] | None = None, verify_code: str | None = None) -> bytes:
    """The letter of ``trial`` (``context`` rendered with ``placeholder``, see :func:`trial_letter`)
    with its ``number``: the same bytes as :func:`render_context`, made from the trial's
    rendering when :func:`~lettergen.rendering.renumber` can do that exactly, else rendered."""
    raw = renumber(template, trial.raw, placeholder, number, context)
    if raw is None:
        return render_context(template, context, number, identity, verify_code)
    return _finish_letter(raw, context, identity, number, verify_code)


def render_with_text(template: CompiledTemplate, context: dict[str, Any], number: str,
                     identity: dict[str, str] | None = None, verify_code: str | None = None) -> tuple[bytes, str]:
    """:func:`render_context`, plus the rendered ``word/document.xml`` as text.

    The same bytes as :func:`render_context`; the wording checks of a batch
    read the XML from here instead of unpacking the package again.
    """
    docx, xml = template.render_with_text({"corrects": None, **context, "number": number}, document_hook=fit_document)
    return _finish_letter(docx, context, identity, number, verify_code), xml


def _finish_letter(docx: bytes, context: dict[str, Any], identity: dict[str, str] | None, number: str,
                   verify_code: str | None) -> bytes:
    """The fitted spacing, the organisation's pictures, the QR code and the register identity,
    on a rendered letter (its table widths already fitted to its content)."""
    base = context.get(VERIFY_KEY)
    qr = qr_png(check_page_url(base, number, verify_code)) if base and verify_code else None
    docx = add_letter_pictures(apply_fit(docx, context.get(FIT_KEY)), context.get(PICTURES_KEY) or {},
                               qr=qr, qr_room=bool(base))
    return stamp(docx, identity) if identity else docx


FIT_MODES = ("auto", "off")


def fit_mode(config: Config) -> str:
    mode = str(config.section("layout").get("fit", "auto"))
    if mode not in FIT_MODES:
        raise ConfigError(f"配置项 layout.fit 只能是 {'、'.join(FIT_MODES)}，当前为 {mode!r}")
    return mode


def fit_and_render(template: CompiledTemplate, context: dict[str, Any], config: Config, number: str, *,
                   trial: bool = False) -> bytes:
    """:func:`fit_letter` (the fit stored in ``context``), then the letter rendered with ``number``:
    the rendering the fitting made on the way when it stored no fit, else a fresh one
    (``trial``: see :func:`render_context`)."""
    return _fit_and_render(template, context, config, number, trial).docx


def trial_letter(template: CompiledTemplate, context: dict[str, Any], config: Config, placeholder: str) -> Rendering:
    """The trial rendering of issuing: :func:`fit_and_render` with ``placeholder`` for the
    number, uncompressed, keeping what :func:`numbered` needs to number it."""
    return _fit_and_render(template, context, config, placeholder, True)


def _fit_and_render(template: CompiledTemplate, context: dict[str, Any], config: Config, number: str,
                    trial: bool) -> Rendering:
    return (_fit(template, context, config, number, trial)
            or render_letter(template, context, number, trial=trial))


def fit_letter(template: CompiledTemplate, context: dict[str, Any], config: Config, number: str, *,
               trial: bool = False) -> bytes | None:
    """Measure the letter with LibreOffice and, if it overflows its last page by a
    little, store the tighter spacing that saves the page in ``context`` (from
    where the register keeps it).  Does nothing with ``[layout] fit = "off"`` or
    without LibreOffice, and measures nothing when the letter surely fits one
    page (:func:`~lettergen.housestyle.estimate.surely_one_page`).

    Returns the letter rendered with ``number`` and the final ``context`` when
    it made that rendering on the way (no fit stored), so the caller need not
    render it again; otherwise ``None``."""
    made = _fit(template, context, config, number, trial)
    return made.docx if made is not None else None


def _fit(template: CompiledTemplate, context: dict[str, Any], config: Config, number: str,
         trial: bool) -> Rendering | None:
    """:func:`fit_letter`, answering the :class:`Rendering` it made on the way."""
    context.pop(FIT_KEY, None)
    if fit_mode(config) == "off":
        return None
    from .convert.measure import can_measure, count_pages  # LibreOffice only when fitting

    if not can_measure():
        return None

    def render(fit: dict | None) -> bytes:
        return render_context(template, {**context, FIT_KEY: fit} if fit else context, number, trial=trial)

    plain = render_letter(template, context, number, trial=trial)
    if surely_one_page(plain.docx):  # LibreOffice would say one page: no fit, the same bytes
        return plain
    try:
        fit = choose_fit(render, count_pages, load_profile(config.style_profile), plain.docx)
    except ConversionError as exc:
        raise ConversionError(f"排版测量失败（未占用文号）：{exc.message}；"
                              "如需不经测量直接出具，请在设置中写 [layout] fit = \"off\"") from None
    if fit:
        context[FIT_KEY] = fit
        return None
    return plain
