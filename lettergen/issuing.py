"""Issuing letters: a number from the register, the file written, the entry completed.

Order of events for every letter, so that bad input never consumes a number
and a failure after reservation is recorded, not skipped:

1. validate and compute (:func:`lettergen.letters.prepare`): errors here
   consume nothing;
2. render once with a placeholder number, so template errors also consume
   nothing;
3. reserve the number (committed, status ``reserved``), record where the file
   will go;
4. render with the number, write to a temporary name, rename;
5. mark the entry issued with the file's hash.  If 4 or 5 fails the number is
   voided with the reason; if the process dies, the next run completes the
   entry when its file is there, or voids it (:func:`recover`).
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import jsondata
from .config import Config
from .errors import CheckFailed, OutputExists, RegisterError
from .files import sha256_file, write_atomic
from .identity import check_register, letter_identity
from .letters import Prepared, numbered, prepare, render_context, template_for, trial_letter
from .numbering import numbering_for
from .preflight import check_config, check_filename_pattern, check_output_folder
from .register import Entry, Register
from .sources import NameSet, safe_filename

PLACEHOLDER_NUMBER = "〔文号〕"


@dataclass
class Issued:
    """One issued letter: its register entry, file and the quality findings (warnings)."""

    entry: Entry
    path: Path
    prepared: Prepared | None  # None when an idempotent retry returned an earlier letter
    findings: list = field(default_factory=list)
    replayed: bool = False


def quality_gate(prepared: Prepared, docx: bytes, config: Config, *, strict: bool) -> list:
    """Wording, tone and time-limit findings of a rendered letter.

    With ``strict``, warnings are failures: :class:`CheckFailed` is raised (the
    caller has not taken a number yet).
    """
    from .quality import check_letter_quality

    findings = check_letter_quality(prepared.kind.kind, prepared.context, docx, config, strict=strict)
    failures = [f for f in findings if f.severity == "error"]
    if failures:
        raise CheckFailed("信函未通过措辞与时限检查（未占用文号）：\n" + "\n".join(f"  - {f}" for f in failures), failures)
    return [f for f in findings if f.severity == "warning"]


def open_register(config: Config) -> Register:
    """The register named by the settings (``[register] url`` or ``LETTERGEN_REGISTER_URL``, ``journal``)."""
    return Register(config.register_url, journal=config.section("register").get("journal") or "wal")


def output_name(config: Config, prepared: Prepared, number: str, seq: int, used: set[str] | NameSet) -> str:
    """The file name from ``[output] filename``, made safe and unique within ``used``."""
    pattern = config.filename_pattern
    check_filename_pattern(pattern)
    text = pattern.format(
        number=number, customer=prepared.customer, kind=prepared.kind.kind, kind_name=prepared.kind.name,
        date=prepared.letter_date.isoformat(), seq=seq,
    )
    return safe_filename(text, used=used)


def register_data(prepared: Prepared) -> dict[str, Any]:
    """What the register keeps to regenerate the letter: input and context, types preserved."""
    return {"input": jsondata.encode(prepared.document), "context": jsondata.encode(prepared.context)}


def reserve_spec(config: Config, prepared: Prepared, template_name: str, template_hash: str, *,
                 data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """What :meth:`Register.reserve` takes for ``prepared`` (``data``: its :func:`register_data`, if made already)."""
    key, make_number = numbering_for(config, prepared.kind.kind, prepared.letter_date.year)
    return dict(
        kind=prepared.kind.kind,
        sequence_key=key,
        year=prepared.letter_date.year,
        make_number=make_number,
        letter_date=prepared.letter_date,
        customer=prepared.customer,
        subject=prepared.subject,
        data=data if data is not None else register_data(prepared),
        template_name=template_name,
        template_hash=template_hash,
        issued_by=config.issued_by,
        **extra,
    )


def recover(register: Register) -> list[Entry]:
    """Settle reservations left by dead processes: completed if their file was written, else voided."""

    def complete(entry: Entry) -> tuple[str, str] | None:
        # files are renamed into place only once fully written and synced, so a
        # readable package at the planned path is that letter, complete
        path = entry.output_path
        if path and Path(path).is_file() and zipfile.is_zipfile(path):
            return path, sha256_file(path)
        return None

    return register.recover_stale(complete=complete)


def issue(
    kind: str,
    data: dict[str, Any],
    config: Config,
    register: Register,
    *,
    output: Path | None = None,
    supersedes: str | None = None,
    corrects: dict | None = None,
    strict: bool = False,
    actor: str | None = None,
    idempotency_key: str | None = None,
) -> Issued:
    """Validate, number, render, write and register one letter.

    ``corrects`` (number, letter_date, title of an earlier letter) makes the
    letter state that it corrects that one.  ``actor`` (``key:NAME``,
    ``user:NAME``) is recorded as who issued it; ``idempotency_key`` is stored
    with the number, in the same transaction.
    """
    prepared = prepare(kind, data, config)
    if output is not None and Path(output).exists():
        raise OutputExists(str(output))
    if corrects:
        prepared.context["corrects"] = corrects
    template = template_for(config, kind)
    # the fit is stored with the context; the trial rendering: template errors consume no number
    trial = trial_letter(template, prepared.context, config, PLACEHOLDER_NUMBER)
    findings = quality_gate(prepared, trial.docx, config, strict=strict)
    check_config(config)
    if output is None:
        check_filename_pattern(config.filename_pattern)  # a settings error must not cost a number
    check_output_folder(Path(output).parent if output is not None else config.output_dir, 1, len(trial.docx))
    check_register(register, config, [config.output_dir, Path(output).parent if output else None])
    recover(register)
    spec = reserve_spec(config, prepared, template.name, template.sha256, supersedes=supersedes, actor=actor,
                        idempotency_key=idempotency_key)
    with register.issuing(**spec) as entry:
        if output is None:
            used = NameSet.in_folder(config.output_dir)
            output = config.output_dir.resolve() / output_name(config, prepared, entry.number, entry.seq, used)
        register.plan_outputs([(entry.number, str(output))])
        docx = numbered(template, trial, prepared.context, PLACEHOLDER_NUMBER, entry.number,
                        letter_identity(entry, register.register_id), entry.verify_code)
        digest = write_atomic(output, docx)
        entry = register.mark_issued(entry.number, output_path=str(output), file_hash=digest)
    return Issued(entry, Path(output), prepared, findings)


def regenerate(entry: Entry, config: Config, register_id: str | None = None) -> bytes:
    """The letter of ``entry`` rendered again from its stored data.

    With ``register_id`` the letter carries its identity (as issued since
    register revision 0005; without it, as letters issued before).  Raises
    :class:`RegisterError` when the template changed since it was issued (the
    file would differ) or the entry has no data (rebuilt from the letters).
    """
    if "context" not in entry.data:
        raise RegisterError(f"文号 {entry.number} 的登记是从信函文件重建的，没有原始数据，无法重新生成；"
                            f"原件：{entry.output_path}")
    template = template_for(config, entry.kind)
    if template.sha256 != entry.template_hash:
        raise RegisterError(
            f"文号 {entry.number} 签发时所用模板（{entry.template_name}，校验值 {entry.template_hash[:12]}…）"
            f"已被修改（当前 {template.sha256[:12]}…），无法重新生成完全相同的文件；"
            "如需按新模板出具，请使用 register correct 订正"
        )
    context = jsondata.decode(entry.data["context"])
    identity = letter_identity(entry, register_id) if register_id else None
    return render_context(template, context, entry.number, identity, entry.verify_code)
