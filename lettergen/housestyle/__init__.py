"""House style: profiles, the template builder and the layout checker.

* :func:`load_profile` / :data:`PROFILES` – the house-style profiles (data).
* :func:`build_template` / :func:`build_all` – Word templates from template
  source files (format documented in :mod:`lettergen.housestyle.source`).
* :func:`check_letter` – layout findings for any .docx letter.
* :class:`Resolver` – effective formatting resolved as Word does.
"""
from __future__ import annotations

from .builder import build_all, build_template, template_dir_for
from .check import Finding, check_letter
from .profiles import DEFAULT_PROFILE, PROFILES, Profile, load_profile
from .resolve import Resolver
from .source import Source, load_source, parse_source

__all__ = [
    "DEFAULT_PROFILE", "PROFILES", "Profile", "load_profile",
    "Source", "load_source", "parse_source",
    "build_template", "build_all", "template_dir_for",
    "Finding", "check_letter", "Resolver",
]
