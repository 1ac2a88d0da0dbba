"""The use cases of lettergen: the stable Python API behind the CLI.

Other systems call these functions directly::

    import lettergen
    lettergen.kinds()                                  # letter kinds
    lettergen.json_schema("payment_reminder")          # input contract
    docx = lettergen.render("payment_reminder", data, number="禾丰催函〔2026〕12号")

Every function takes an optional :class:`~lettergen.config.Config` (default:
``lettergen.toml`` in the working folder, else built-in defaults).  The CLI
and the HTTP service (:mod:`lettergen.service`) call the same functions:
issuing, finding and fetching letters, void / correct / reissue, API keys.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Iterator


from .config import Config, load_config
from .errors import ConversionError, InputFileError, OutputExists, RegisterError, UnknownKind
from .files import sha256_file, write_atomic
from .inputs import DEFAULT_MAX_DEPTH, parse_document
from .issuing import Issued, issue, open_register, recover, regenerate
from .issuing_group import GroupIssuer
from .letters import fit_and_render, prepare, render_context, template_for, template_path, with_defaults
from .models import KindInfo, RenderedLetter
from .register import Entry, Register, VerifyReport
from .register.idempotency import IdempotencyStore, in_flight
from .register.keys import ApiKey, KeyStore
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


def load_data(path: str | Path, config: Config | None = None) -> dict[str, Any]:
    """Read one letter's input from a YAML or JSON file (no YAML aliases; nesting bounded)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(str(file), "文件不存在") from None
    except UnicodeDecodeError:
        raise InputFileError(str(file), "不是 UTF-8 编码的文本文件") from None
    except OSError as exc:
        raise InputFileError(str(file), exc.strerror or str(exc)) from None
    max_depth = config.limit("max_depth") if config is not None else DEFAULT_MAX_DEPTH
    data = parse_document(text, str(file), json_text=file.suffix.lower() == ".json", max_depth=max_depth)
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
    docx = fit_and_render(template, prepared.context, cfg, number)
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

@contextmanager
def _opened(cfg: Config, register: Register | None) -> Iterator[Register]:
    """``register`` when the caller holds one open (the HTTP service does), else the settings' register."""
    if register is not None:
        yield register
        return
    with open_register(cfg) as own:
        yield own


def request_hash(kind: str, data: dict[str, Any], **options: Any) -> str:
    """A fingerprint of an issuing request (to tell an idempotent retry from a different request)."""
    text = json.dumps({"kind": kind, "data": data, "options": options}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def issue_letter(kind: str, data: dict[str, Any], *, output: str | Path | None = None, config: Config | None = None,
                 pdf: bool = False, supersedes: str | None = None, corrects: dict | None = None,
                 strict: bool = False, actor: str | None = None, idempotency_key: str | None = None,
                 register: Register | None = None, issuer: GroupIssuer | None = None) -> Issued:
    """Validate, take the next number from the register, write and register one letter.

    Invalid data raises :class:`InvalidInput` and consumes no number; so does a
    wording / time-limit finding with ``strict`` (:class:`CheckFailed`), and
    ``pdf`` without LibreOffice (:class:`ConversionError`).
    Otherwise those findings are returned as warnings in ``Issued.findings``.
    ``actor`` is recorded as who issued it.  With ``idempotency_key``, a second
    call with the same key and request returns the first letter
    (``Issued.replayed``) and takes no number; the same key with another
    request raises :class:`IdempotencyConflict`.  ``register`` reuses an open
    register; ``issuer`` (a :class:`GroupIssuer`, as servers use) lets
    concurrent calls share the register's transactions.
    """
    cfg = _config(config)
    if register is None and issuer is None:
        prepare(kind, data, cfg)  # invalid input is refused before the register is opened (or created)
    if pdf:
        from .convert import require_converter

        require_converter()  # no number is taken for a PDF that cannot be made
    options = dict(output=output, supersedes=supersedes, corrects=corrects, strict=strict, actor=actor)
    if issuer is not None and (output or supersedes or corrects):
        raise TypeError("issue_letter(): a GroupIssuer issues plain letters to the output folder only")
    with _opened(cfg, register) as reg:
        if idempotency_key is None:
            issued = _issue_now(kind, data, cfg, reg, issuer, **options)
        else:
            issued = _issue_once(kind, data, cfg, reg, idempotency_key, pdf=pdf, issuer=issuer, **options)
        if pdf and not issued.replayed:
            from .pdfs import archival, convert_issued  # PDF support only when asked for

            failures = convert_issued(reg, [(issued.entry.number, str(issued.path))], pdfa=archival(cfg))
            if failures:
                raise ConversionError(f"文号 {issued.entry.number} 已签发（{issued.path}），但 PDF 转换失败：{failures[0][1]}")
            issued.entry = reg.get(issued.entry.number)
    return issued


def _issue_now(kind: str, data: dict[str, Any], cfg: Config, reg: Register, issuer: GroupIssuer | None, *,
               output, idempotency_key: str | None = None, **options: Any) -> Issued:
    if issuer is not None:
        return issuer.issue(kind, data, strict=options["strict"], actor=options["actor"],
                            idempotency_key=idempotency_key)
    return issue(kind, data, cfg, reg, output=Path(output).resolve() if output else None,
                 idempotency_key=idempotency_key, **options)


def _issue_once(kind: str, data: dict[str, Any], cfg: Config, reg: Register, key: str, *, pdf: bool,
                issuer: GroupIssuer | None, **options: Any) -> Issued:
    store = IdempotencyStore(reg)
    with in_flight(key):
        recover(reg)  # a letter left half-issued by a killed process is completed (or voided) first
        earlier = store.claim(key, request_hash(kind, data, pdf=pdf, strict=options["strict"]))
        if earlier is not None:
            return Issued(earlier, Path(earlier.output_path or ""), None, replayed=True)
        try:
            return _issue_now(kind, data, cfg, reg, issuer, idempotency_key=key, **options)
        except BaseException:
            store.release(key)
            raise


def reissue(number: str, *, output: str | Path | None = None, config: Config | None = None,
            register: Register | None = None) -> Path:
    """Regenerate the letter ``number`` from its stored data, byte-identical to the original.

    Writes to ``output`` (default: the recorded path) and never overwrites a
    file: when the recorded file is still there and unchanged, the letter is
    regenerated and compared but nothing is written.  Raises
    :class:`RegisterError` saying why when that is impossible (template changed,
    number void or never issued).
    """
    cfg = _config(config)
    with _opened(cfg, register) as reg:
        entry = reg.get(number)
        register_id = reg.register_id
    _require_regenerable(entry)
    target = Path(output) if output else Path(entry.output_path or f"{number}.docx")
    intact = output is None and target.is_file() and sha256_file(target) == entry.file_hash
    if target.exists() and not intact:
        raise OutputExists(str(target))
    docx = _regenerated(entry, cfg, register_id)  # refuses when the template changed, even for an intact file
    if not intact:
        write_atomic(target, docx)
    return target


def _require_regenerable(entry: Entry) -> None:
    if entry.status not in ("issued", "superseded"):
        raise RegisterError(f"文号 {entry.number} 的状态为「{entry.status_label}」，没有可重新生成的信函")


def _regenerated(entry: Entry, cfg: Config, register_id: str | None) -> bytes:
    _require_regenerable(entry)
    docx = regenerate(entry, cfg, register_id)
    digest = hashlib.sha256(docx).hexdigest()
    if digest != entry.file_hash and register_id:  # a letter issued before letters carried their register's identity
        docx = regenerate(entry, cfg)
        digest = hashlib.sha256(docx).hexdigest()
    if digest != entry.file_hash:
        raise RegisterError(f"文号 {entry.number} 重新生成的文件与登记的校验值不符（{digest[:12]}… ≠ {str(entry.file_hash)[:12]}…），未写出")
    return docx


def correct(number: str, data: dict[str, Any], *, reason: str, output: str | Path | None = None,
            config: Config | None = None, actor: str | None = None, register: Register | None = None) -> Issued:
    """Issue a corrected letter that supersedes ``number`` and says so (订正).

    The old letter stays in the register as superseded, with ``reason``.
    """
    cfg = _config(config)
    with _opened(cfg, register) as reg:
        old = reg.get(number)
        if old.status != "issued":
            raise RegisterError(f"文号 {number} 的状态为「{old.status_label}」，只能订正已签发的信函")
        corrects = {"number": old.number, "letter_date": old.letter_date, "title": old.subject}
        issued = issue_letter(old.kind, data, output=output, config=cfg, supersedes=number, corrects=corrects,
                              actor=actor, register=reg)
        reg.mark_superseded(number, issued.entry.number, reason, actor=actor)
    return issued


def void(number: str, reason: str, *, actor: str | None = None, config: Config | None = None,
         register: Register | None = None) -> Entry:
    """Void ``number`` (作废) with ``reason``; the entry stays in the register."""
    cfg = _config(config)
    with _opened(cfg, register) as reg:
        return reg.mark_void(number, reason, actor=actor)


def letter(number: str, *, config: Config | None = None, register: Register | None = None) -> Entry:
    """The register entry of ``number`` (:class:`UnknownNumber` if there is none)."""
    with _opened(_config(config), register) as reg:
        return reg.get(number)


def letters(*, limit: int | None = None, offset: int = 0, config: Config | None = None,
            register: Register | None = None, **filters: Any) -> tuple[list[Entry], int]:
    """Entries matching ``register list``'s filters, one page of them, and how many match in all."""
    with _opened(_config(config), register) as reg:
        return reg.list(limit=limit, offset=offset, **filters), reg.count(**filters)


def letter_docx(number: str, *, config: Config | None = None, register: Register | None = None) -> bytes:
    """The .docx of an issued letter: its file when unchanged, else regenerated byte-identical."""
    cfg = _config(config)
    with _opened(cfg, register) as reg:
        entry = reg.get(number)
        register_id = reg.register_id
    path = Path(entry.output_path or "")
    if entry.output_path and path.is_file():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == entry.file_hash:
            return data
    return _regenerated(entry, cfg, register_id)


def letter_pdf(number: str, *, config: Config | None = None, register: Register | None = None) -> Path:
    """The PDF of an issued letter; made from its .docx (and recorded) when there is none yet."""
    from .pdfs import convert_issued, pdf_path_for

    cfg = _config(config)
    with _opened(cfg, register) as reg:
        entry = reg.get(number)
        if entry.pdf_path and Path(entry.pdf_path).is_file() and sha256_file(entry.pdf_path) == entry.pdf_hash:
            return Path(entry.pdf_path)
        docx = Path(entry.output_path or f"{number}.docx")
        if not docx.is_file() or sha256_file(docx) != entry.file_hash:
            write_atomic(docx, _regenerated(entry, cfg, reg.register_id))
        if entry.status == "superseded":
            return _convert_unrecorded(docx, pdf_path_for(docx))
        failures = convert_issued(reg, [(number, str(docx))])
        if failures:
            raise ConversionError(f"文号 {number} 的 PDF 转换失败：{failures[0][1]}")
        return Path(reg.get(number).pdf_path)


def _convert_unrecorded(docx: Path, pdf: Path) -> Path:
    """PDF of a superseded letter (the register records PDFs of live letters only)."""
    from .convert import Converter

    with Converter() as converter:
        converter.convert(docx, pdf)
    return pdf


DRAFT_NUMBER = "〔草稿·未编号〕"


def draft(kind: str, data: dict[str, Any], *, pdf: bool = False, config: Config | None = None) -> RenderedLetter:
    """An unnumbered draft (not registered): ``.docx`` bytes, or PDF bytes with ``pdf``."""
    letter_ = render_letter(kind, data, number=DRAFT_NUMBER, config=config)
    if pdf:
        with tempfile.TemporaryDirectory(prefix="lettergen-draft-") as tmp:
            source = Path(tmp) / "draft.docx"
            source.write_bytes(letter_.docx)
            letter_.docx = _convert_unrecorded(source, Path(tmp) / "draft.pdf").read_bytes()
    return letter_


def verify_register(*, check_files: bool = True, config: Config | None = None,
                    register: Register | None = None) -> VerifyReport:
    """``register verify``: numbers without gaps, files unchanged, references valid."""
    with _opened(_config(config), register) as reg:
        return reg.verify(check_files=check_files)


# --- API keys (HTTP service) ------------------------------------------------------

def create_key(name: str, scopes: list[str], *, config: Config | None = None) -> tuple[ApiKey, str]:
    """A new API key and its token (shown once; only its hash is stored)."""
    with _opened(_config(config), None) as reg:
        return KeyStore(reg).create(name, scopes)


def list_keys(*, config: Config | None = None) -> list[ApiKey]:
    with _opened(_config(config), None) as reg:
        return KeyStore(reg).list()


def revoke_key(name: str, *, config: Config | None = None) -> ApiKey:
    with _opened(_config(config), None) as reg:
        return KeyStore(reg).revoke(name)


def authenticate(token: str, *, config: Config | None = None, register: Register | None = None) -> ApiKey | None:
    """The active API key whose token this is, or None."""
    with _opened(_config(config), register) as reg:
        return KeyStore(reg).authenticate(token)


# --- checking a spreadsheet before a batch (web page) ---------------------------

def check_sheet(kind: str, path: str | Path, *, sheet: str | None = None, group_by: str | None = None,
                config: Config | None = None):
    """Read and validate every row of a CSV / Excel sheet; nothing is written or numbered.

    Returns the batch's :class:`~lettergen.batch.plan.Plan`: its letters (valid
    or not) and every problem with its row and column, as ``batch --dry-run`` sees them.
    """
    from .batch.plan import plan_batch

    return plan_batch(kind, Path(path), _config(config), sheet=sheet, group_by=group_by)


def draft_correction(number: str, data: dict[str, Any], *, config: Config | None = None,
                     register: Register | None = None) -> RenderedLetter:
    """The unnumbered draft of a correction of ``number`` (订正): the letter as :func:`correct` would issue it."""
    cfg = _config(config)
    old = letter(number, config=cfg, register=register)
    prepared = prepare(old.kind, data, cfg)
    prepared.context["corrects"] = {"number": old.number, "letter_date": old.letter_date, "title": old.subject}
    template = template_for(cfg, old.kind)
    docx = render_context(template, prepared.context, DRAFT_NUMBER)
    return RenderedLetter(old.kind, DRAFT_NUMBER, prepared.context, docx, template.name, template.sha256, prepared.warnings)
