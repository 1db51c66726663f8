"""`python -m numgrad`, the README's main job, runs its checks and exits 0."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_main_job_self_check_passes():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "numgrad"], capture_output=True, text=True, env=env,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    for title in ("gradient of", "jacobian of", "hessian of", "batched (one pass) vs row by row"):
        assert title in out
    assert out.count("same result") == 2
    assert "all checks passed" in out
