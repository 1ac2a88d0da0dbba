"""The root click group and options shared by several commands (defined once)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from ..config import Config, load_config


@dataclass
class AppContext:
    config_path: Path | None
    _config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


pass_app = click.make_pass_decorator(AppContext)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Settings file (default: ./lettergen.toml if present).",
)
@click.version_option(package_name="lettergen")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """lettergen: formal Chinese business letters from structured data.

    Kinds: sales_letter (销售信函), payment_reminder (催款通知),
    complaint_response (投诉处理函), after_sales (售后服务函).
    """
    ctx.obj = AppContext(config_path)


kind_argument = click.argument("kind", metavar="KIND")
