"""`python main.py segments`: stdin bytes in, a count out, end to end."""

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop_app import cli
from tests.conftest import SMS_VECTORS

REPO = Path(__file__).resolve().parents[1]
VECTORS = {
    vector["name"]: vector
    for vector in json.loads(
        (SMS_VECTORS / "segment_vectors.json").read_text(encoding="utf-8")
    )
}


def _run(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    stdin: bytes,
    *options: str,
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    status = cli.run(["--data-dir", str(data_dir), "segments", *options])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _run_json(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    stdin: bytes,
    *options: str,
) -> dict[str, Any]:
    status, out, _ = _run(monkeypatch, capsys, data_dir, stdin, "--json", *options)
    assert status == 0
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.mark.parametrize(
    "name",
    [
        "ascii_hello",
        "crlf_only",
        "brackets_153_issue39",
        "emoji_67_pairs_never_split",
        "zwj_sequence_across_boundary",
        "decomposed_e_x70",
    ],
)
def test_json_counts_stdin_exactly(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    name: str,
) -> None:
    vector = VECTORS[name]

    result = _run_json(monkeypatch, capsys, data_dir, vector["text"].encode("utf-8"))

    assert (result["encoding"], result["units"], result["segments"]) == (
        vector["encoding"],
        vector["units"],
        vector["segments"],
    )
    assert result["characters"] == len(vector["text"])


def test_json_keeps_trailing_newline(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
) -> None:
    result = _run_json(monkeypatch, capsys, data_dir, b"a" * 160 + b"\r\n")

    assert (result["units"], result["segments"]) == (162, 2)


def test_json_lists_culprits(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
) -> None:
    result = _run_json(monkeypatch, capsys, data_dir, "Hi Zoë, it’s 😀".encode())

    assert result["encoding"] == "UCS-2"
    assert [
        (c["position"], c["char"], c["codepoint"], c["replacement"])
        for c in result["culprits"]
    ] == [
        (5, "ë", "U+00EB", None),
        (10, "’", "U+2019", "'"),
        (13, "😀", "U+1F600", None),
    ]
    assert result["culprits"][2]["name"] == "GRINNING FACE"


def test_smart_json_counts_the_replaced_text(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
) -> None:
    stdin = "“Hi” — it’s ready…".encode()

    result = _run_json(monkeypatch, capsys, data_dir, stdin, "--smart")

    assert result["text"] == '"Hi" - it\'s ready...'
    assert result["encoding"] == "GSM-7"
    assert result["units"] == len(result["text"])
    assert result["culprits"] == []


def test_smart_keeps_culprits_it_cannot_replace(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
) -> None:
    result = _run_json(monkeypatch, capsys, data_dir, "Olá’".encode(), "--smart")

    assert result["text"] == "Olá'"
    assert [c["char"] for c in result["culprits"]] == ["á"]


def test_plain_output_is_the_summary(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
) -> None:
    status, out, err = _run(monkeypatch, capsys, data_dir, "It’s".encode())

    assert status == 0
    assert err == ""
    assert out.splitlines() == [
        "UCS-2 · 4 characters · 1 segment · 66 characters left in this segment",
        "UCS-2 because of: ’ (U+2019) at 2",
    ]


def test_empty_stdin_is_zero_segments(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
) -> None:
    result = _run_json(monkeypatch, capsys, data_dir, b"")

    assert (result["segments"], result["units"], result["remaining"]) == (0, 0, 160)


def test_invalid_utf8_is_a_calm_error(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
) -> None:
    status, out, err = _run(monkeypatch, capsys, data_dir, b"caf\xe9", "--json")

    assert status == 1
    assert out == ""
    assert err == (
        "duet: Standard input is not UTF-8 text: byte 4 cannot be read. "
        "Save the message as UTF-8 and try again.\n"
    )


def test_real_process_json(tmp_path: Path) -> None:
    text = VECTORS["ext_straddles_153_boundary"]["text"] + " ’"

    finished = subprocess.run(
        [sys.executable, "main.py", "--data-dir", str(tmp_path), "segments", "--json"],
        cwd=REPO,
        input=text.encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr.decode("utf-8", "replace")
    result = json.loads(finished.stdout.decode("utf-8"))
    assert result["encoding"] == "UCS-2"
    assert result["units"] == len(text)
    assert result["segments"] == 5
    assert [c["position"] for c in result["culprits"]] == [len(text) - 1]
