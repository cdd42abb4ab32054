"""The command line's own plumbing: window start parsing, errors, help."""

from pathlib import Path

import pytest

from desktop_app import cli


def test_window_start_is_parsed_without_the_full_parser() -> None:
    args = cli._window_arguments(["--data-dir", "/tmp/x", "--quit-after-start"])

    assert args is not None
    assert (args.command, args.data_dir, args.quit_after_start) == (
        None,
        Path("/tmp/x"),
        True,
    )
    assert cli._window_arguments(["--data-dir=/tmp/y"]).data_dir == Path("/tmp/y")


@pytest.mark.parametrize(
    "argv", [["import", "f.csv"], ["--version"], ["--help"], ["--data-dir"]]
)
def test_anything_else_goes_to_the_full_parser(argv: list[str]) -> None:
    assert cli._window_arguments(argv) is None


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.run(["--help"])

    assert stopped.value.code == 0
    out = capsys.readouterr().out
    for command in ("import", "send", "history", "settings", "segments", "contacts"):
        assert command in out
