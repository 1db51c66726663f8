"""OpInfo entries for numgrad/oplib/shape.py."""
from __future__ import annotations

import numpy as np

import numgrad as ng
from tests.op_db import OpInfo


def _x(*shape):
    return lambda rng, dt: (rng.standard_normal(shape).astype(dt),)


def _xs(*shapes):
    return lambda rng, dt: tuple(rng.standard_normal(s).astype(dt) for s in shapes)


OPS = [
    OpInfo("reshape", lambda x: x.reshape(3, 2), lambda x: x.reshape(3, 2), _x(2, 3)),
    OpInfo("view_infer", lambda x: x.view(-1, 2), lambda x: x.reshape(-1, 2), _x(2, 3),
           covers=["reshape"]),
    OpInfo("expand", lambda x: x.expand(2, 3, 2), lambda x: np.broadcast_to(x, (2, 3, 2)), _x(3, 1)),
    OpInfo("broadcast_to", lambda x: ng.broadcast_to(x, (2, 3)), lambda x: np.broadcast_to(x, (2, 3)),
           _x(3), covers=["expand"]),
    OpInfo("permute", lambda x: x.permute(2, 0, 1), lambda x: x.transpose(2, 0, 1), _x(2, 3, 2)),
    OpInfo("transpose", lambda x: x.transpose(0, -1), lambda x: x.swapaxes(0, -1), _x(2, 1, 3),
           covers=["permute"]),
    OpInfo("t", lambda x: x.t(), lambda x: x.T, _x(2, 3), covers=["permute"]),
    OpInfo("T_mT", lambda x: (x.T, x.mT), lambda x: (x.transpose(), x.swapaxes(-1, -2)), _x(2, 3, 2),
           covers=["permute"]),
    OpInfo("clone", lambda x: x.clone(), lambda x: x.copy(), _x(2, 3)),
    OpInfo("flatten", lambda x: x.flatten(1), lambda x: x.reshape(2, -1), _x(2, 2, 2),
           covers=["reshape"]),
    OpInfo("flatten_0d", lambda x: ng.flatten(x.sum()), lambda x: x.sum().reshape(1), _x(2),
           covers=["reshape"]),
    OpInfo("squeeze", lambda x: (x.squeeze(), x.squeeze(0), x.squeeze((0, 2))),
           lambda x: (x.squeeze(), x.squeeze(0), x.squeeze((0, 2))), _x(1, 3, 1),
           covers=["reshape"]),
    OpInfo("unsqueeze", lambda x: (x.unsqueeze(0), x.unsqueeze(-1)),
           lambda x: (x[None], x[..., None]), _x(2, 3), covers=["reshape"]),
    OpInfo("movedim", lambda x: x.movedim((0, 1), (2, 0)), lambda x: np.moveaxis(x, (0, 1), (2, 0)),
           _x(2, 3, 1), covers=["permute"]),
    OpInfo("repeat", lambda x: x.repeat(2, 1, 2), lambda x: np.tile(x, (2, 1, 2)), _x(2, 1),
           covers=["reshape", "expand", "clone"]),
    OpInfo("narrow", lambda x: x.narrow(1, 1, 2), lambda x: x[:, 1:3], _x(2, 3),
           covers=["slice", "slice_backward"]),
    OpInfo("narrow_negative_start", lambda x: ng.narrow(x, 0, -2, 1), lambda x: x[1:2], _x(3, 2),
           covers=["slice"]),
    OpInfo("select", lambda x: x.select(1, -1), lambda x: x[:, -1], _x(2, 3)),
    OpInfo("split_size", lambda x: x.split(2, 1), lambda x: (x[:, :2], x[:, 2:]), _x(2, 3),
           covers=["slice"]),
    OpInfo("split_sections", lambda x: ng.split(x, [1, 2], 0), lambda x: (x[:1], x[1:]),
           _x(3, 2), covers=["slice"]),
    OpInfo("chunk", lambda x: x.chunk(2, -1), lambda x: tuple(np.array_split(x, 2, -1)), _x(2, 3),
           covers=["slice"]),
    OpInfo("unbind", lambda x: x.unbind(1), lambda x: tuple(x[:, i] for i in range(3)), _x(2, 3),
           covers=["select"]),
    OpInfo("cat", lambda a, b, c: ng.cat([a, b, c], 1), lambda a, b, c: np.concatenate([a, b, c], 1),
           _xs((2, 1), (2, 2), (2, 1))),
    OpInfo("cat_neg_dim", lambda a, b: ng.cat((a, b), -2), lambda a, b: np.concatenate([a, b], -2),
           _xs((1, 2), (2, 2)), covers=["cat"]),
    OpInfo("cat_constant", lambda a: ng.cat([a, ng.ones(3, dtype=a.dtype)]),
           lambda a: np.concatenate([a, np.ones(3)]), _x(2), covers=["cat"]),
    OpInfo("stack", lambda a, b: ng.stack([a, b], 1), lambda a, b: np.stack([a, b], 1),
           _xs((2, 2), (2, 2))),
    OpInfo("stack_neg_dim_constant", lambda a: ng.stack([a, ng.ones(3, dtype=a.dtype), a], -1),
           lambda a: np.stack([a, np.ones(3), a], -1), _x(3), covers=["stack"]),
    OpInfo("flip", lambda x: x.flip(0, 2), lambda x: np.flip(x, (0, 2)), _x(2, 2, 3)),
    OpInfo("flip_list", lambda x: ng.flip(x, [-1]), lambda x: np.flip(x, -1), _x(2, 3),
           covers=["flip"]),
    OpInfo("roll", lambda x: (ng.roll(x, (1, -2), (0, 1)), x.roll(4)),
           lambda x: (np.roll(x, (1, -2), (0, 1)), np.roll(x, 4)), _x(2, 3), covers=["cat", "slice"]),
    OpInfo("tile", lambda x: (ng.tile(x, (2,)), x.tile(2, 1, 2)),
           lambda x: (np.tile(x, 2), np.tile(x, (2, 1, 2))), _x(2, 3), covers=["expand", "clone"]),
    OpInfo("swapaxes_swapdims", lambda x: (ng.swapaxes(x, 0, -1), x.swapdims(1, 2)),
           lambda x: (np.swapaxes(x, 0, -1), np.swapaxes(x, 1, 2)), _x(2, 3, 2), covers=["permute"]),
    OpInfo("view_reshape_expand_as", lambda x: (x.view_as(ng.zeros(3, 2)), x.t().reshape_as(ng.zeros(6)),
                                                x[:1].expand_as(ng.zeros(2, 2, 3))),
           lambda x: (x.reshape(3, 2), x.T.reshape(6), np.broadcast_to(x[:1], (2, 2, 3))), _x(2, 3),
           covers=["reshape", "expand"]),
]
