"""``shopstream serve`` refuses a broken ``channels.yaml`` with the file, line and field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_serve_names_the_broken_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "channels.yaml").write_text("channels:\n  webhook:\n    url: ftp://x\n")
    done = subprocess.run(
        [sys.executable, "-m", "shopstream", "serve", "--port", "1", "--data-dir",
         str(tmp_path / "data")],
        env={**os.environ, "SHOPSTREAM_DECIDE_CONFIG_DIR": str(config),
             "SHOPSTREAM_ADMIN_KEYS": "ak", "SHOPSTREAM_WRITE_KEYS": "wk",
             "SHOPSTREAM_SERVER_KEYS": "sk"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"{config / 'channels.yaml'}:3: channels.webhook.url" in done.stderr
