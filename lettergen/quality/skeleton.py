"""A new letter kind from nothing: schema, template source, template, sample.

:func:`new_kind` writes the four files a kind needs so that it immediately
validates, renders, passes the layout check, the template contract and the
wording check; the user then edits them (fields in ``schemas/KEY.yaml``,
paragraphs in ``templates/source/KEY.yaml`` followed by ``lettergen
templates build``).  Existing files are never overwritten.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ..config import Config
from ..errors import LettergenError
from ..files import write_atomic
from ..housestyle import DEFAULT_PROFILE, PROFILES, build_template, load_profile, load_source, template_dir_for

KEY = re.compile(r"[a-z][a-z0-9_]*")
_GENERIC_ENDINGS = ("通知书", "通知", "函")


class SkeletonError(LettergenError):
    """The new kind's key or name is unusable, or its files exist already."""

    exit_code = 2


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def default_subject(name_cn: str) -> str:
    """回访函 -> 回访 (the title reads 关于回访的函); 答谢信 and short names stay whole."""
    for ending in _GENERIC_ENDINGS:
        if name_cn.endswith(ending) and len(name_cn) - len(ending) >= 2:
            return name_cn[: -len(ending)]
    return name_cn


SCHEMA = """\
# {name}（{key}）: created by `lettergen templates new`.
# The common fields (sender, contact, recipient, letter_date, subject, title,
# attachments) come from _common.yaml; add this kind's own fields below
# (format: see _common.yaml), then use them in templates/source/{key}.yaml.
kind: {key}
name: {qname}
description: {qdesc}
title_suffix: {qsuffix}

fields:
  subject:
    default: {qsubject}
  body:
    use: long_text
    required: true
    meta: {{label: 正文, help: "每行一段"}}
  reference_no:            # example field: rename, remove or copy it
    use: short_text
    maxlength: 40
    meta: {{label: 事项编号, hint: "{upper}-2026-001"}}

computed: {{}}
"""

SOURCE = """\
# Template source of {name}（{key}）; format: lettergen/housestyle/source.py.
# After editing, run `lettergen templates build`.
kind: {key}
title: "{{{{ title }}}}"
body:
  - "现就{{{{ subject }}}}事宜致函贵方{{% if reference_no %}}（编号：{{{{ reference_no }}}}）{{% endif %}}。"
  - {{paragraphs: body}}
  - "如有任何疑问，请与{{{{ contact.name }}}}联系（电话：{{{{ contact.phone }}}}），我们将竭诚为您服务。"
"""

SAMPLE = """\
# {name} sample: sender and contact come from lettergen.toml.
letter_date: 2026-11-25
recipient:
  name: 上海浦江餐饮管理有限公司
  contact: 刘总
reference_no: {upper}-2026-001
body: |
  感谢贵公司长期以来对我们工作的信任与支持。
  我们将一如既往地为贵公司提供优质的产品与服务，期待与贵公司继续合作。
"""


def kind_files(config: Config, key: str) -> dict[str, Path]:
    """Where the files of kind ``key`` go (schema, source, template(s), sample)."""
    templates = config.templates_dir
    files = {
        "schema": config.schemas_dir / f"{key}.yaml",
        "source": templates.parent / "source" / f"{key}.yaml",
        "template": templates / f"{key}.docx",
        "sample": config.samples_dir / f"{key}.yaml",
    }
    for profile in PROFILES:
        folder = template_dir_for(templates, profile)
        if profile != DEFAULT_PROFILE and folder.is_dir():
            files[f"template:{profile}"] = folder / f"{key}.docx"
    return files


def new_kind(config: Config, key: str, name_cn: str, *, title_suffix: str = "函") -> list[Path]:
    """Create the files of a new kind ``key`` named ``name_cn``; returns their paths.

    Template variants are built for every profile folder that exists
    (``templates/letters/fangsong/``), the default profile always.
    """
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise SkeletonError(f"类型标识「{key}」无效：应以小写英文字母开头，只含小写字母、数字和下划线")
    name_cn, title_suffix = (name_cn or "").strip(), (title_suffix or "").strip()
    if not name_cn or not title_suffix or "\n" in name_cn + title_suffix:
        raise SkeletonError("信函类型的中文名称和标题后缀不能为空，且只能占一行")
    files = kind_files(config, key)
    existing = [str(p) for p in files.values() if p.exists()]
    if existing:
        raise SkeletonError(f"信函类型「{key}」的文件已存在，未做任何修改：{'、'.join(existing)}")
    values = dict(key=key, name=name_cn, qname=_q(name_cn), qdesc=_q(f"{name_cn}（由模板骨架生成，请补充用途说明）"),
                  qsuffix=_q(title_suffix), qsubject=_q(default_subject(name_cn)), upper=key.upper())
    texts = {"schema": SCHEMA, "source": SOURCE, "sample": SAMPLE}
    for name, text in texts.items():
        files[name].parent.mkdir(parents=True, exist_ok=True)
        write_atomic(files[name], text.format(**values).encode("utf-8"))
    source = load_source(files["source"])
    for name, path in files.items():
        if name.startswith("template"):
            profile = name.partition(":")[2] or DEFAULT_PROFILE
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, build_template(source, load_profile(profile)))
    return list(files.values())
