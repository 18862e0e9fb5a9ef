"""Render an HTML report with headless Chromium: a PNG screenshot and, optionally, the DOM.

Usage:
  python bench/screenshot_report.py report.html out.png [--dom dom.html] [--width 1200]
      [--height 1600]

The browser runs with no network, no sync, no first-run, in a throw-away
profile, so the page must be self-contained to look right. Exit code 2 when
Chromium is missing, 1 when it fails to produce the PNG.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The path of a Chromium binary, or None."""
    for c in CANDIDATES:
        path = c if Path(c).is_file() else shutil.which(c)
        if path:
            return path
    return None


def _run(binary: str, url: str, extra: list[str], *, width: int, height: int,
         timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="derivcheck-chromium-") as profile:
        cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
               "--hide-scrollbars", f"--user-data-dir={profile}",
               f"--window-size={width},{height}", *extra, url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def screenshot(html_path: str | Path, png_path: str | Path, *, dom_path: str | Path | None = None,
               width: int = 1200, height: int = 1600, timeout: float = 120.0) -> None:
    """Screenshot ``html_path`` to ``png_path`` (and dump the rendered DOM to ``dom_path``).

    Raises:
      FileNotFoundError: no Chromium on this machine.
      RuntimeError: Chromium ran but wrote no PNG (its stderr is in the message).
    """
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError("no Chromium found; install it with "
                                "'apt-get install -y chromium'")
    url = Path(html_path).resolve().as_uri()
    png = Path(png_path).resolve()
    if png.exists():
        png.unlink()
    proc = _run(binary, url, [f"--screenshot={png}"], width=width, height=height,
                timeout=timeout)
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-2000:]}")
    if dom_path is not None:
        proc = _run(binary, url, ["--dump-dom"], width=width, height=height, timeout=timeout)
        if proc.returncode != 0 or not proc.stdout.strip():
            raise RuntimeError(f"chromium --dump-dom failed (exit {proc.returncode}): "
                               f"{proc.stderr.strip()[-2000:]}")
        Path(dom_path).write_text(proc.stdout, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("html")
    ap.add_argument("png")
    ap.add_argument("--dom", help="also write the DOM as Chromium rendered it")
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--height", type=int, default=1600)
    args = ap.parse_args(argv)
    try:
        screenshot(args.html, args.png, dom_path=args.dom, width=args.width,
                   height=args.height)
    except FileNotFoundError as exc:
        print(f"screenshot_report: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"screenshot_report: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.png}" + (f" and {args.dom}" if args.dom else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
