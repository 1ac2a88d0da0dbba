"""Shared fixtures: the bundled settings with a private register and output folder."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from lettergen.config import PROJECT_DIR, Config, load_config

# Property tests judge results, not speed: on a loaded machine (CI, the full suite beside
# LibreOffice and chromium) generating big documents can be slow, which is not a failure.
settings.register_profile("lettergen", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("lettergen")

KINDS = ("sales_letter", "payment_reminder", "complaint_response", "after_sales")

from tests.service_fixtures import server_factory, service  # noqa: F401,E402 (real-server fixtures)

try:  # the register's backend fixtures (SQLite and PostgreSQL)
    from tests.register_fixtures import *  # noqa: F401,F403
except ImportError:  # pragma: no cover - only while the register is absent
    pass


@pytest.fixture
def project_config(tmp_path: Path) -> Config:
    """The bundled example settings, with register and output under tmp_path."""
    base = load_config(PROJECT_DIR / "lettergen.toml")
    data = copy.deepcopy(base.data)
    data["register"]["url"] = f"sqlite:///{tmp_path / 'register.sqlite'}"
    data["output"]["dir"] = str(tmp_path / "out")
    return Config(data, base.base_dir, base.source)


@pytest.fixture
def project_copy(tmp_path: Path, project_config: Config) -> Config:
    """Schemas, templates and samples copied to tmp_path, with a Config pointing there."""
    import shutil

    for name in ("schemas", "templates", "samples"):
        shutil.copytree(PROJECT_DIR / name, tmp_path / name)
    data = copy.deepcopy(project_config.data)
    data["paths"] = {"templates": str(tmp_path / "templates" / "letters"),
                     "schemas": str(tmp_path / "schemas"), "samples": str(tmp_path / "samples")}
    return Config(data, tmp_path)


@pytest.fixture
def project_copy_settings(project_copy: Config, tmp_path: Path) -> Path:
    """A settings file (for ``--config``) pointing at the ``project_copy`` folders."""
    toml = tmp_path / "lettergen.toml"
    toml.write_text((PROJECT_DIR / "lettergen.toml").read_text(encoding="utf-8") + "\n[paths]\n"
                    f"templates = \"{project_copy.templates_dir}\"\nschemas = \"{project_copy.schemas_dir}\"\n"
                    f"samples = \"{project_copy.samples_dir}\"\n", encoding="utf-8")
    return toml


@pytest.fixture
def sample_data():
    """Load a bundled sample input by kind."""
    from lettergen.api import load_data

    def load(kind: str) -> dict:
        return load_data(PROJECT_DIR / "samples" / f"{kind}.yaml")

    return load
