"""The ``lettergen`` command line: a thin adapter over :mod:`lettergen.api`.

Commands parse, call one library function and print.  Errors become exit
codes in one place, :func:`main`:

====  ==========================================================
0     success
1     a check found failures, or an unexpected error
2     invalid input (data, file, kind) or bad command-line usage
3     configuration error
4     template error
5     register error
6     PDF conversion error
====  ==========================================================
"""
from __future__ import annotations

import sys

import click

from .. import interrupts
from ..errors import LettergenError
from .options import cli

# Command modules register themselves on ``cli`` when imported.
from . import letters as _letters  # noqa: F401,E402
from . import batch_cmds as _batch  # noqa: F401,E402
from . import register_cmds as _register  # noqa: F401,E402
from . import convert_cmds as _convert  # noqa: F401,E402
from . import style_cmds as _style  # noqa: F401,E402
from . import letter_register_cmds as _letter_register  # noqa: F401,E402
from . import quality_cmds as _quality  # noqa: F401,E402
from . import register_safety_cmds as _register_safety  # noqa: F401,E402
from . import service_cmds as _service  # noqa: F401,E402
from . import users_cmds as _users  # noqa: F401,E402


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI, map errors to exit codes."""
    interrupts.install()
    try:
        cli.main(args=argv, prog_name="lettergen", standalone_mode=False)
    except LettergenError as exc:
        click.echo(f"错误：{exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("已中止。", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(0)
