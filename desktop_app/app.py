"""Composition root: paths, logging, the QApplication and the main window."""

import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for ``python main.py``: the window, or a command-line command."""
    from desktop_app import cli

    return cli.run(sys.argv[1:] if argv is None else argv)


def run_gui(data_dir: Path, *, quit_after_start: bool = False) -> int:
    """Open the main window on ``data_dir`` and run the event loop."""
    # Filled in by the UI work; see desktop_app/ui/.
    raise NotImplementedError
