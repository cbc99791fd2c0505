"""The `quest` command's entry point: a quick command (cli/quick.py) or the typer app (cli/app.py),
then an exit without the interpreter's teardown.

Once a command has returned, its output is flushed and its store closed (every service closes what it
opens), so unwinding the interpreter module by module only delays the prompt: 0.1-0.4 s after a check.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    from ugrad_quest.cli.quick import command

    quick = command(sys.argv[1:])
    try:
        if quick is not None:
            code = quick()
        else:
            from ugrad_quest.cli.app import app

            app(prog_name="quest")
            code = 0
    except SystemExit as exc:
        code = exc.code
    except BrokenPipeError:  # quest list | head: the reader left, as click says it (exit 1, no traceback)
        code = 1
    if code is None:
        code = 0
    elif not isinstance(code, int):  # SystemExit("message"): Python prints it and exits 1
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (quest list | head): nothing more to say to it
            pass
    os._exit(code)
