"""The register of issued letters (发文登记簿): the only database user in lettergen.

``Register(url)`` opens (creating or upgrading in place) a SQLite file or a
PostgreSQL database; see :mod:`.core` for the rules it keeps.  Modules:

* :mod:`.core` — :class:`Register`: reserving numbers, status changes, queries;
* :mod:`.engine` — engines, the transaction helper, Alembic migrations;
* :mod:`.schema` — the tables at the newest revision;
* :mod:`.entry` — :class:`Entry`, :class:`VerifyReport`, the JSON codec;
* :mod:`.rows` — checking reservation requests, building rows (no database);
* :mod:`.verify` / :mod:`.export` — consistency check, CSV/XLSX export;
* :mod:`.process` — whether the process holding a reservation still runs.
"""
from .core import STALE_REASON, Register
from .entry import ISSUED, RESERVED, STATUS_LABELS, STATUSES, SUPERSEDED, VOID, Entry, VerifyReport
from .export import safe_text
from .verify import sha256_file

__all__ = [
    "Register", "Entry", "VerifyReport", "STALE_REASON", "STATUSES", "STATUS_LABELS",
    "RESERVED", "ISSUED", "VOID", "SUPERSEDED", "safe_text", "sha256_file",
]
