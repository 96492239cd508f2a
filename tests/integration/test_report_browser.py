"""report.html in a real browser: Debian's headless Chromium opens it from disk, takes a screenshot, and the
test fails on console errors or a chart that drew nothing.

Skips when Chromium is absent, unless MAPFORGE_REQUIRE_BROWSER=1 (scripts/test.sh, CI), where it fails.
The screenshot is kept next to the report (and copied to $SCREENSHOT_DIR when set).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mapforge.runs import charts
from mapforge.runs.html_report import write_html_report
from tests.fake_runs import write_optimize_run
from tests.helpers import require

CHROMIUM = ("chromium", "chromium-browser")
# Chromium logs every console message of the page (and uncaught exceptions) as "...:CONSOLE:N] ..."
CONSOLE = re.compile(r":CONSOLE(?::\d+)?\]|Uncaught", re.I)


def chromium() -> str:
    path = next((p for p in map(shutil.which, CHROMIUM) if p), None)
    require(None if path else "Chromium is not installed", "scripts/setup.sh` (or `apt-get install -y chromium", "MAPFORGE_REQUIRE_BROWSER")
    assert path is not None
    return path


@dataclass
class Shot:
    png: Path
    console: list[str]
    log: str


def screenshot(browser: str, page: Path, png: Path, size: str = "1400,2000") -> Shot:
    """Open ``page`` in headless Chromium (no network, fresh profile), save a screenshot, return its console."""
    profile = png.parent / f"{png.stem}-profile"
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={png}", f"--window-size={size}",
            "--enable-logging=stderr", "--v=0", page.resolve().as_uri()]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        log, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError(f"chromium did not finish within 120 s: {' '.join(args)}") from None
    assert png.exists(), f"chromium wrote no screenshot (exit {proc.returncode}):\n{log[-3000:]}"
    return Shot(png, [ln for ln in log.splitlines() if CONSOLE.search(ln)], log)


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def pixels_near(png: Path, color: str, tol: int = 24) -> int:
    """How many pixels of the screenshot are within ``tol`` of ``color`` on every channel."""
    from PIL import Image  # matplotlib's own dependency

    want = _rgb(color)
    img = Image.open(png).convert("RGB")
    return sum(n for n, px in img.getcolors(maxcolors=1 << 24) or []
               if all(abs(a - b) <= tol for a, b in zip(px, want)))


def blank_fraction(png: Path) -> float:
    """The share of the screenshot in its single most common colour (the page background)."""
    from PIL import Image

    img = Image.open(png).convert("RGB")
    colors = img.getcolors(maxcolors=1 << 24) or []
    return max(n for n, _ in colors) / (img.width * img.height)


def problems(shot: Shot) -> list[str]:
    out = [f"console: {line}" for line in shot.console]
    if blank_fraction(shot.png) > 0.97:
        out.append(f"the page is blank ({blank_fraction(shot.png):.0%} one colour)")
    if pixels_near(shot.png, charts.POINT) < 40:
        out.append("the speedup chart shows no plotted points")
    return out


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    browser = chromium()
    run = write_optimize_run(tmp_path / "run", tmp_path / "task")
    page = write_html_report(run)
    shot = screenshot(browser, page, run / "report.png")
    keep = os.environ.get("SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot.png, Path(keep) / "report.png")
    assert problems(shot) == [], "\n".join(problems(shot))


def test_the_check_catches_console_errors_and_empty_charts(tmp_path: Path) -> None:
    """The same check on a broken page must fail: a script error and a chart with nothing plotted."""
    browser = chromium()
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><html><body><h1>report</h1><svg width="400" height="300"></svg>'
                   "<script>undefinedFunction();</script></body></html>")
    found = problems(screenshot(browser, bad, tmp_path / "bad.png"))
    assert any("Uncaught ReferenceError" in p for p in found), found
    assert "the speedup chart shows no plotted points" in found and any("blank" in p for p in found), found
