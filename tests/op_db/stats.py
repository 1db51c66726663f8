"""OpInfo entries for numgrad/oplib/stats.py (its one primitive: log10; the rest are
compositions of other ops, tested in tests/test_stats.py)."""
from __future__ import annotations

import numpy as np

import numgrad as ng
from tests.op_db import OpInfo
from tests.op_db.pointwise import _u

OPS = [
    OpInfo("log10", ng.log10, np.log10, _u(0.5, 3)),
]
