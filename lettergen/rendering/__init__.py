"""Rendering Word templates: the only docxtpl / Jinja user.

* :mod:`.environment` – the bounded, strict, autoescaping sandbox and the filters;
* :mod:`.sources` – a template package read, refused when it links outside
  itself or carries macros (:mod:`lettergen.packagetrust`), and prepared as
  docxtpl prepares it;
* :mod:`.compiled` – the compiled-template cache and the fast renderer;
* :mod:`.package` – pictures and relationships a render adds;
* :mod:`.integrity` – the check that refuses a damaged letter;
* :mod:`.renumber` – a placeholder rendering given its number, when that is exact;
* :mod:`.references` – what a template reads;
* :mod:`.template` – the public, docxtpl-like :class:`Template`.
"""
from .compiled import CompiledTemplate, load_template, register_filter, template_hash
from .environment import LIMITS, Limits, cn_date, make_environment, paragraphs
from .references import template_references, template_sources, to_context
from .renumber import renumber
from .template import Template

__all__ = [
    "CompiledTemplate", "LIMITS", "Template", "Limits", "cn_date", "load_template", "make_environment", "paragraphs", "register_filter",
    "renumber", "template_hash", "template_references", "template_sources", "to_context",
]
