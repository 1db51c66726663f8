"""Pytrees: nested tuples, lists, dicts (and namedtuples, OrderedDicts, defaultdicts)
whose leaves are anything else.

`tree_flatten(tree)` gives the leaves (depth first, dicts in insertion order)
and a `TreeSpec`; `tree_unflatten(leaves, spec)` rebuilds the structure.
Specs compare equal when the structures match (types, lengths, dict keys).
"""
from __future__ import annotations

from collections import OrderedDict, defaultdict
from typing import Any, Callable, NamedTuple


class TreeSpec(NamedTuple):
    """The structure of a pytree: a node type, its context (dict keys or
    namedtuple class) and one spec per child. A leaf has type None."""

    type: type | None
    context: Any  # dict keys ((default_factory, keys) for a defaultdict), else None
    children: tuple

    @property
    def num_leaves(self) -> int:
        if self.type is None:
            return 1
        return sum(c.num_leaves for c in self.children)

    def __repr__(self) -> str:
        if self.type is None:
            return "*"
        inner = ", ".join(repr(c) for c in self.children)
        if self.type in _DICTS:
            keys = self.context[1] if self.type is defaultdict else self.context
            inner = "{" + ", ".join(f"{k!r}: {c!r}" for k, c in zip(keys, self.children)) + "}"
            return inner if self.type is dict else f"{self.type.__name__}({inner})"
        if self.type is list:
            return "[" + inner + "]"
        if self.type is tuple:
            return "(" + inner + ("," if len(self.children) == 1 else "") + ")"
        return f"{self.type.__name__}(" + inner + ")"


LEAF = TreeSpec(None, None, ())
_DICTS = (dict, OrderedDict, defaultdict)


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    """(leaves, spec) of `tree`."""
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(x, leaves: list) -> TreeSpec:
    if isinstance(x, dict):
        keys = tuple(x)
        children = tuple(_flatten(x[k], leaves) for k in keys)
        if isinstance(x, defaultdict):
            return TreeSpec(defaultdict, (x.default_factory, keys), children)
        return TreeSpec(OrderedDict if isinstance(x, OrderedDict) else dict, keys, children)
    if isinstance(x, (tuple, list)):
        kind = type(x) if _is_namedtuple(x) else (list if isinstance(x, list) else tuple)
        return TreeSpec(kind, None, tuple(_flatten(c, leaves) for c in x))
    leaves.append(x)
    return LEAF


def tree_unflatten(leaves, spec: TreeSpec) -> Any:
    """The pytree of structure `spec` holding `leaves` (in tree_flatten order)."""
    leaves = list(leaves)
    if len(leaves) != spec.num_leaves:
        raise ValueError(f"tree_unflatten: expected {spec.num_leaves} leaves, got {len(leaves)}")
    it = iter(leaves)
    return _build(spec, it)


def _build(spec: TreeSpec, it) -> Any:
    if spec.type is None:
        return next(it)
    children = [_build(c, it) for c in spec.children]
    if spec.type is dict or spec.type is OrderedDict:
        return spec.type(zip(spec.context, children))
    if spec.type is defaultdict:
        factory, keys = spec.context
        return defaultdict(factory, zip(keys, children))
    if spec.type is list:
        return children
    if spec.type is tuple:
        return tuple(children)
    return spec.type(*children)  # namedtuple


def tree_map(fn: Callable, tree: Any) -> Any:
    """`tree` with every leaf replaced by fn(leaf)."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)
