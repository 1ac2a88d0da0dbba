"""The one exception hierarchy of lettergen.

Every error carries data (not just a message) so that the API's callers and
the CLI can present it; the CLI turns them into exit codes in one place
(:func:`lettergen.cli.main`).  Messages about the user's data are in Chinese.
"""
from __future__ import annotations

from typing import Iterable

from .models import Problem


class LettergenError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(LettergenError):
    """The settings file is missing, unreadable or inconsistent."""

    exit_code = 3


class UnknownKind(LettergenError):
    """No schema/template pair exists for the requested letter kind."""

    exit_code = 2

    def __init__(self, kind: str, known: Iterable[str]):
        self.kind = kind
        self.known = sorted(known)
        super().__init__(
            f"未知的信函类型「{kind}」；可用类型：{'、'.join(self.known) or '（无）'}"
        )


class InvalidInput(LettergenError):
    """The input data does not satisfy the kind's schema.

    ``problems`` lists every problem at once, each naming the field (path and
    Chinese label), the value and what is wrong.  ``keys``: the input was
    YAML / JSON, so the message names each field's key path beside its label.
    """

    exit_code = 2

    def __init__(self, problems: list[Problem], source: str | None = None, *, keys: bool = False):
        self.problems = list(problems)
        self.source = source
        head = f"{source}：" if source else ""
        lines = [f"{head}输入数据有 {len(self.problems)} 处问题："]
        lines += [f"  - {p.describe(keys=keys)}" for p in self.problems]
        super().__init__("\n".join(lines))


class InputFileError(LettergenError):
    """An input file cannot be read or parsed (encoding, syntax, format)."""

    exit_code = 2

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"无法读取输入文件 {path}：{reason}")


class TemplateError(LettergenError):
    """A template is missing, does not parse, or fails while rendering."""

    exit_code = 4


class RegisterError(LettergenError):
    """The register (database of issued letters) refused an operation."""

    exit_code = 5


class UnknownNumber(RegisterError):
    """The register has no entry with this document number."""

    def __init__(self, number: str):
        self.number = number
        super().__init__(f"登记簿中没有文号 {number}")


class UnknownJob(RegisterError):
    """No batch job has this id."""

    def __init__(self, job_id: str):
        self.job_id = job_id
        super().__init__(f"没有编号为 {job_id} 的批量任务")


class RegisterUnavailable(RegisterError):
    """The register's database cannot be reached or stayed locked too long."""


class ConversionError(LettergenError):
    """LibreOffice could not convert a document (missing, hung, crashed)."""

    exit_code = 6


class CheckFailed(LettergenError):
    """A layout, template or wording check found failures."""

    exit_code = 1

    def __init__(self, message: str, findings: list | None = None):
        self.findings = list(findings or [])
        super().__init__(message)


class BatchFailed(LettergenError):
    """Some letters of a batch could not be generated (their numbers are voided)."""

    exit_code = 1


class OutputExists(LettergenError):
    """The file a letter would be written to already exists (nothing is overwritten)."""

    exit_code = 2

    def __init__(self, path: str):
        self.path = path
        super().__init__(f"文件已存在：{path}；为免覆盖已签发的信函，请换一个文件名或先移走该文件（未占用文号）")


class IdempotencyConflict(LettergenError):
    """An Idempotency-Key was reused with another request, or its request is still running."""

    exit_code = 5

    def __init__(self, message: str, *, in_progress: bool = False):
        self.in_progress = in_progress
        super().__init__(message)
