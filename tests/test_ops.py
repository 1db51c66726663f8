"""Checks generated for every entry of the op table (tests/op_db)."""
from __future__ import annotations

import numpy as np
import pytest

import numgrad as ng
from numgrad.autograd import gradcheck, gradgradcheck
from numgrad.autograd.gradcheck import analytical_jacobian
from tests.op_db import all_ops

OPS = all_ops()
IDS = [o.name for o in OPS]


def _tensors(arrays, requires_grad):
    return tuple(ng.from_numpy(a.copy()).requires_grad_(requires_grad and a.dtype.kind == "f")
                 for a in arrays)


def _outputs(res):
    return res if isinstance(res, (tuple, list)) else (res,)


def test_every_registered_op_has_an_entry():
    covered = {c for o in OPS for c in o.covers}
    missing = sorted(set(ng.ops.REGISTRY) - covered)
    assert not missing, f"ops without an OpInfo entry: {missing}"


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_forward_matches_reference(op):
    rng = np.random.default_rng(0)
    arrays = op.inputs(rng, np.float64)
    assert op.ref is not None, f"{op.name}: every entry needs a numpy/scipy reference"
    got = _outputs(op.fn(*_tensors(arrays, False)))
    want = _outputs(op.ref(*arrays))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g._data, dtype=np.float64), np.asarray(w, dtype=np.float64),
                                   rtol=1e-6, atol=op.ref_atol)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_float32_preserved(op):
    rng = np.random.default_rng(1)
    arrays = op.inputs(rng, np.float32)
    ts = _tensors(arrays, op.grad)
    outs = _outputs(op.fn(*ts))
    for o in outs:
        if o.dtype.kind == "f":
            assert o.dtype == np.float32, f"{op.name} returned {o.dtype} for float32 inputs"
    if op.grad:
        diff = [t for t in ts if t.requires_grad]
        fouts = [o for o in outs if o.requires_grad]
        gs = ng.autograd.grad([o.sum() for o in fouts], diff, allow_unused=True)
        for g in gs:
            assert g is None or g.dtype == np.float32


@pytest.mark.parametrize("op", [o for o in OPS if o.grad], ids=[o.name for o in OPS if o.grad])
def test_gradcheck(op):
    rng = np.random.default_rng(2)
    ts = _tensors(op.inputs(rng, np.float64), True)
    assert gradcheck(op.fn, ts, atol=op.atol, rtol=op.rtol)


@pytest.mark.parametrize("op", [o for o in OPS if o.grad and o.gradgrad],
                         ids=[o.name for o in OPS if o.grad and o.gradgrad])
def test_gradgradcheck(op):
    rng = np.random.default_rng(3)
    ts = _tensors(op.inputs(rng, np.float64), True)
    assert gradgradcheck(op.fn, ts, atol=op.atol, rtol=op.rtol)


@pytest.mark.parametrize("op", [o for o in OPS if o.grad], ids=[o.name for o in OPS if o.grad])
def test_batched_vjp_equals_looped(op):
    rng = np.random.default_rng(4)
    ts = _tensors(op.inputs(rng, np.float64), True)
    looped = analytical_jacobian(op.fn, ts, batched=False)
    batched = analytical_jacobian(op.fn, ts, batched=True)
    for lrow, brow in zip(looped, batched):
        for a, b in zip(lrow, brow):
            np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)
