"""The judge process: pytest with the hidden suites and the plugin, as `python -m pytest ARGS` runs it,
then an exit without the interpreter's teardown.

Everything the judge reports is in the results file, written line by line and closed after each line,
and its workers are closed at the session's end (runner/plugin.py), so once pytest has returned and
its output is flushed nothing is left to do: unwinding pytest, hypothesis and the testkit module by
module took 0.15 s of every check. A warm judge (runner/warm.py) runs the same function in a fork.
"""

from __future__ import annotations

import os
import sys


def main(args: list[str]) -> None:
    import pytest

    try:
        code = int(pytest.main(args))
    except SystemExit as exc:  # pytest's own usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader is gone: nothing more to say to it
            pass
    os._exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
