"""The use cases of lettergen: the stable Python API behind the CLI.

Other systems call these functions directly::

    import lettergen
    lettergen.kinds()                                  # letter kinds
    lettergen.json_schema("payment_reminder")          # input contract
    docx = lettergen.render("payment_reminder", data, number="禾丰催函〔2026〕12号")

Every function takes an optional :class:`~lettergen.config.Config` (default:
``lettergen.toml`` in the working folder, else built-in defaults).
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .config import Config, load_config
from .errors import ConversionError, InputFileError, RegisterError, UnknownKind
from .files import write_atomic
from .issuing import Issued, issue, open_register, regenerate
from .letters import fit_letter, prepare, render_context, template_for, template_path, with_defaults
from .models import KindInfo, RenderedLetter

from .schemas import KindSchema, kind_names, load_kind
from .validation import ValidationResult, validate as _validate


def _config(config: Config | None) -> Config:
    return config if config is not None else load_config()


def kinds(config: Config | None = None) -> list[KindInfo]:
    """The letter kinds: every schema that has a template."""
    cfg = _config(config)
    out = []
    for key in kind_names(cfg.schemas_dir):
        schema = load_kind(cfg.schemas_dir, key)
        try:
            tpl = str(template_path(cfg, key))
        except Exception:
            continue
        out.append(KindInfo(key, schema.name, schema.description, str(schema.path), tpl, cfg.number_code(key)))
    return out


def schema(kind: str, config: Config | None = None) -> KindSchema:
    """The kind's resolved schema (fields, Chinese labels, rules)."""
    return load_kind(_config(config).schemas_dir, kind)


def json_schema(kind: str, config: Config | None = None) -> dict[str, Any]:
    """The kind's input contract as JSON Schema, for other systems."""
    return schema(kind, config).json_schema()


def sample_text(kind: str, config: Config | None = None) -> str:
    """The bundled sample input of ``kind`` (YAML text)."""
    cfg = _config(config)
    load_kind(cfg.schemas_dir, kind)
    path = cfg.samples_dir / f"{kind}.yaml"
    if not path.is_file():
        raise UnknownKind(kind, [p.stem for p in cfg.samples_dir.glob("*.yaml")])
    return path.read_text(encoding="utf-8")


def load_data(path: str | Path) -> dict[str, Any]:
    """Read one letter's input from a YAML or JSON file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(str(file), "文件不存在") from None
    except UnicodeDecodeError:
        raise InputFileError(str(file), "不是 UTF-8 编码的文本文件") from None
    except OSError as exc:
        raise InputFileError(str(file), exc.strerror or str(exc)) from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(str(file), f"JSON 格式错误（第{exc.lineno}行第{exc.colno}列）：{exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第{mark.line + 1}行第{mark.column + 1}列）" if mark else ""
        raise InputFileError(str(file), f"YAML 格式错误{where}：{getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise InputFileError(str(file), "内容应为一组字段（键: 值）")
    return data


def validate(kind: str, data: dict[str, Any], config: Config | None = None, *, today: date | None = None) -> ValidationResult:
    """Check ``data`` without raising: the normalised document, problems and warnings."""
    cfg = _config(config)
    kind_schema = load_kind(cfg.schemas_dir, kind)
    return _validate(kind_schema, with_defaults(kind_schema, data, cfg), today=today)


def render_letter(kind: str, data: dict[str, Any], *, number: str, config: Config | None = None, today: date | None = None) -> RenderedLetter:
    """Validate, compute and render one letter with the given document number."""
    cfg = _config(config)
    prepared = prepare(kind, data, cfg, today=today)
    template = template_for(cfg, kind)
    fit_letter(template, prepared.context, cfg, number)
    docx = render_context(template, prepared.context, number)
    return RenderedLetter(kind, number, prepared.context, docx, template.name, template.sha256, prepared.warnings)


def render(kind: str, data: dict[str, Any], *, number: str, config: Config | None = None, today: date | None = None) -> bytes:
    """One letter as .docx bytes (the same data, number and template give the same bytes)."""
    return render_letter(kind, data, number=number, config=config, today=today).docx


def render_to_file(kind: str, data: dict[str, Any], output: str | Path, *, number: str, config: Config | None = None) -> RenderedLetter:
    """Render and write atomically; nothing is written when the data is invalid."""
    letter = render_letter(kind, data, number=number, config=config)
    write_atomic(output, letter.docx)
    return letter


# --- issuing through the register ---------------------------------------------

def issue_letter(kind: str, data: dict[str, Any], *, output: str | Path | None = None, config: Config | None = None,
                 pdf: bool = False, supersedes: str | None = None, corrects: dict | None = None,
                 strict: bool = False) -> Issued:
    """Validate, take the next number from the register, write and register one letter.

    Invalid data raises :class:`InvalidInput` and consumes no number; so does a
    wording / time-limit finding with ``strict`` (:class:`CheckFailed`).
    Otherwise those findings are returned as warnings in ``Issued.findings``.
    """
    cfg = _config(config)
    with open_register(cfg) as register:
        issued = issue(kind, data, cfg, register, output=Path(output).resolve() if output else None,
                       supersedes=supersedes, corrects=corrects, strict=strict)
        if pdf:
            from .pdfs import archival, convert_issued  # PDF support only when asked for

            failures = convert_issued(register, [(issued.entry.number, str(issued.path))], pdfa=archival(cfg))
            if failures:
                raise ConversionError(f"文号 {issued.entry.number} 已签发（{issued.path}），但 PDF 转换失败：{failures[0][1]}")
            issued.entry = register.get(issued.entry.number)
    return issued


def reissue(number: str, *, output: str | Path | None = None, config: Config | None = None) -> Path:
    """Regenerate the letter ``number`` from its stored data, byte-identical to the original.

    Writes to ``output`` (default: the recorded path).  Raises
    :class:`RegisterError` saying why when that is impossible (template changed,
    number void or never issued).
    """
    cfg = _config(config)
    with open_register(cfg) as register:
        entry = register.get(number)
    if entry.status not in ("issued", "superseded"):
        raise RegisterError(f"文号 {number} 的状态为「{entry.status_label}」，没有可重新生成的信函")
    docx = regenerate(entry, cfg)
    digest = hashlib.sha256(docx).hexdigest()
    if digest != entry.file_hash:
        raise RegisterError(f"文号 {number} 重新生成的文件与登记的校验值不符（{digest[:12]}… ≠ {str(entry.file_hash)[:12]}…），未写出")
    target = Path(output) if output else Path(entry.output_path or f"{number}.docx")
    write_atomic(target, docx)
    return target


def correct(number: str, data: dict[str, Any], *, reason: str, output: str | Path | None = None,
            config: Config | None = None) -> Issued:
    """Issue a corrected letter that supersedes ``number`` and says so (订正).

    The old letter stays in the register as superseded, with ``reason``.
    """
    cfg = _config(config)
    with open_register(cfg) as register:
        old = register.get(number)
        if old.status != "issued":
            raise RegisterError(f"文号 {number} 的状态为「{old.status_label}」，只能订正已签发的信函")
    corrects = {"number": old.number, "letter_date": old.letter_date, "title": old.subject}
    issued = issue_letter(old.kind, data, output=output, config=cfg, supersedes=number, corrects=corrects)
    with open_register(cfg) as register:
        register.mark_superseded(number, issued.entry.number, reason)
    return issued
