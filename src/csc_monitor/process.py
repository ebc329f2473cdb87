"""Ending the process without the interpreter's module teardown.

duckdb 2.0's nanobind bindings print dozens of false "leaked instance" lines at teardown whenever
Great Expectations and duckdb-engine were both imported. Running the exit handlers (engines are
disposed, temporary folders removed) and then leaving keeps the output ending with what matters.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn


def exit_quietly(code: int) -> NoReturn:
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
