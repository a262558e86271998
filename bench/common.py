"""What the benchmark's modules share: paths, the server's address, the flags of the steps that run inside
an installation, the console and the error that stops the run."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# The command line entry: the steps inside an installation run as `ENTRY PREPARE_FLAG` (or INSPECT_FLAG).
ENTRY = Path(__file__).resolve().with_name("meldpunt_submit.py")
HOST = "127.0.0.1"
PREPARE_FLAG = "--prepare-installation"
INSPECT_FLAG = "--inspect-installation"
FAST_KDF = {"ZORGVEILIG_KDF_MEMORY_KIB": "8192", "ZORGVEILIG_KDF_ITERATIONS": "1"}

# Wide enough for the result table when the output goes to a file.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)


class BenchError(Exception):
    """The benchmark cannot go on (a server did not start, a setup step failed); the message says why."""
