"""Benchmark: Duet's window start time against a bare PySide6 window, side by side.

Each run is a new process, offscreen, timed from launch to exit:

1. baseline: a tiny script (written to a temporary file) that opens a QMainWindow,
   quits right after its first paint, exactly as Duet's ``--quit-after-start`` does;
2. Duet: ``python main.py --data-dir TMP --quit-after-start`` on a database that
   exists (one untimed warm-up run warms the disk cache);
3. with ``--bundle``: the frozen ``build/dist/duet/duet`` the same way.

The runs alternate so the VM's noise hits both alike. Prints the median of each,
the ratio against the goal (Duet <= 1.5x the bare window), then which heavy modules
Duet imported before it quit (``-X importtime``): those are the ones to make lazy.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--runs N] [--bundle]``.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "build" / "dist" / "duet" / "duet"
GOAL = 1.5
MUST_BE_LAZY = ("matplotlib", "twilio", "yagmail", "keyring")
ALSO_WATCHED = ("numpy", "PIL", "requests", "sqlite_utils", "qrcode", "phonenumbers")

BARE_WINDOW = """
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


class Window(QMainWindow):
    painted = False

    def paintEvent(self, event):
        super().paintEvent(event)
        if not self.painted:
            self.painted = True
            QTimer.singleShot(0, QApplication.instance().quit)


app = QApplication(sys.argv[:1])
window = Window()
window.setCentralWidget(QLabel("Hello"))
window.resize(1024, 640)
window.show()
sys.exit(app.exec())
"""


def _environment(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    home = scratch / "home"
    home.mkdir(exist_ok=True)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        MPLCONFIGDIR=str(scratch / "mpl"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def _time_once(command: list[str], env: dict[str, str]) -> float:
    """Run ``command`` once and return its wall time in ms; fail on a bad exit."""
    started = time.perf_counter()
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} exited with {done.returncode}:\n{done.stderr[-2000:]}"
        )
    return elapsed


def _imports(command: list[str], env: dict[str, str]) -> list[tuple[int, str, float]]:
    """Run ``command`` under ``-X importtime``; return (depth, module, cumulative ms).

    The lines come in Python's order: a module's own imports before the module.
    """
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows: list[tuple[int, str, float]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line[len("import time:") :].split("|")
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        rows.append((depth, name.strip(), int(cumulative) / 1000))
    return rows


def _parent(rows: list[tuple[int, str, float]], index: int) -> int | None:
    """Return the index of the module whose import ran ``rows[index]``'s import."""
    depth = rows[index][0]
    for later in range(index + 1, len(rows)):
        if rows[later][0] < depth:
            return later
    return None


def _package_import(
    rows: list[tuple[int, str, float]], package: str
) -> tuple[float, list[str]] | None:
    """Return the time ``package`` took to import and who imported it first.

    ``importlib.import_module`` leaves no line for the package itself, only for its
    submodules, so the package's outermost lines are added up.
    """

    def inside(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    indexes = [i for i, row in enumerate(rows) if inside(row[1])]
    if not indexes:
        return None
    total = 0.0
    for index in indexes:
        parent = _parent(rows, index)
        if parent is None or not inside(rows[parent][1]):
            total += rows[index][2]
    chain: list[str] = []
    parent = _parent(rows, indexes[0])
    while parent is not None:
        if not inside(rows[parent][1]):
            chain.append(rows[parent][1])
        parent = _parent(rows, parent)
    return total, chain


def main() -> int:
    """Time both starts, print the medians, the ratio and the eager imports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs each (>= 7)")
    parser.add_argument("--bundle", action="store_true", help=f"also time {BUNDLE}")
    args = parser.parse_args()
    runs = max(args.runs, 7)

    with tempfile.TemporaryDirectory(prefix="duet-bench-startup-") as folder:
        scratch = Path(folder)
        env = _environment(scratch)
        bare_script = scratch / "bare_window.py"
        bare_script.write_text(BARE_WINDOW, encoding="utf-8")
        data_dir = scratch / "data"
        commands = {
            "bare PySide6 window": [sys.executable, str(bare_script)],
            "Duet (python main.py)": [
                sys.executable,
                str(ROOT / "main.py"),
                "--data-dir",
                str(data_dir),
                "--quit-after-start",
            ],
        }
        if args.bundle:
            if not BUNDLE.exists():
                raise SystemExit(f"{BUNDLE} does not exist; run scripts/build-bundle")
            commands["Duet (frozen bundle)"] = [
                str(BUNDLE),
                "--data-dir",
                str(scratch / "data-bundle"),
                "--quit-after-start",
            ]

        for command in commands.values():  # warm-up: disk cache
            _time_once(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(_time_once(command, env))

        imported = _imports(commands["Duet (python main.py)"][1:], env)

    _report(times, imported, runs)
    return 0


def _report(
    times: dict[str, list[float]],
    imported: list[tuple[int, str, float]],
    runs: int,
) -> None:
    print(f"Start -> first paint -> quit, offscreen, new process each, {runs} runs:")
    print(f"{'':24} {'median ms':>10} {'min':>7} {'max':>7} {'ratio':>7}")
    baseline = statistics.median(times["bare PySide6 window"])
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:24} {median:10.0f} {min(values):7.0f} {max(values):7.0f}"
            f" {median / baseline:6.2f}x"
        )
    ratio = statistics.median(times["Duet (python main.py)"]) / baseline
    verdict = "meets" if ratio <= GOAL else "MISSES"
    print(f"Duet / bare window = {ratio:.2f}x: {verdict} the goal of <= {GOAL}x")

    print("\nHeavy modules imported before Duet quit (-X importtime, cumulative ms):")
    for name in (*MUST_BE_LAZY, *ALSO_WATCHED):
        found = _package_import(imported, name)
        if found is None:
            print(f"  {name:14} {'-':>7}    not imported")
            continue
        note = "  <- should load lazily" if name in MUST_BE_LAZY else ""
        print(f"  {name:14} {found[0]:7.0f} ms{note}")
        if found[1]:
            print(f"  {'':14} imported by {' <- '.join(found[1][:4])}")

    top = sorted((row for row in imported if row[0] == 0), key=lambda row: -row[2])
    print("Slowest top-level imports:")
    for _depth, name, ms in top[:10]:
        print(f"  {name:40} {ms:7.0f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
