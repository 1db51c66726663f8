"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian (PyTorch's torch.func).

Reverse-mode transforms (grad, vjp, jacrev) run `f` on fresh inputs: a view
of each differentiated argument that is made a leaf requiring grad when the
argument does not already require grad. Such a leaf belongs to one call of
the transform (a "level") and is a differentiation target only while that
call runs. Gradients are built with create_graph=True whenever `f`'s outputs
depend on something an enclosing computation may still differentiate (a
leaf of a running outer transform, a user tensor requiring grad, a tangent
of a live dual level), so transforms compose (grad(grad(f)),
jacrev(jacrev(f)), jacrev inside ordinary autograd). On return, results are
detached from everything that only reaches dead leaves, tangents included.

Forward-mode transforms (jvp, jacfwd) run `f` inside a new dual level of
`numgrad.autograd.forward_ad`; jacfwd pushes the identity as ONE batched
tangent (a leading batch dimension of size numel), so the whole jacobian
comes from one forward pass. jacrev likewise gets all rows from ONE batched
backward pass (`autograd.grad(..., is_grads_batched=True)`), or one pass per
`chunk_size` rows.
"""
from __future__ import annotations

import functools
import itertools
import weakref
from typing import Any, Callable

import numpy as np

import numgrad as ng
from numgrad import _tensor
from numgrad._tensor import Tensor
from numgrad.autograd import forward_ad as fwAD
from numgrad.autograd.graph import AccumulateGrad
from numgrad.func._pytree import tree_flatten, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]


# ----- levels of the reverse-mode transforms -----------------------------------------

_counter = itertools.count()
_running: set[int] = set()  # levels whose transform call has not returned yet
# id(leaf) -> (weakref to the leaf, level) for every leaf a transform made
_leaf_level: dict[int, tuple[weakref.ref, int]] = {}


def _forget(key: int, ref: weakref.ref) -> None:
    entry = _leaf_level.get(key)
    if entry is not None and entry[0] is ref:
        del _leaf_level[key]


class _GradLevel:
    """One call of a reverse-mode transform: makes its input leaves, tells whether
    its outputs depend on anything live outside it, and detaches its results
    from what died with it."""

    def __init__(self) -> None:
        self.index = next(_counter)
        # user tensors requiring grad only count when the caller records a graph
        self.user_live = ng.is_grad_enabled()

    def __enter__(self) -> "_GradLevel":
        _running.add(self.index)
        return self

    def __exit__(self, *exc: Any) -> None:
        _running.discard(self.index)

    def lift(self, x: Any) -> Tensor:
        """A differentiable stand-in for argument `x` (same value, tangents and
        outer graph; a new leaf of this level when `x` does not require grad)."""
        if not isinstance(x, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        from numgrad.oplib.shape import RESHAPE
        with ng.enable_grad():
            xi = _tensor.mark_view(_tensor.apply(RESHAPE, (x,), {"shape": x.shape}), x)
        if not xi._requires_grad:
            xi.requires_grad_()
            key = id(xi)
            ref = weakref.ref(xi, lambda r, k=key: _forget(k, r))
            _leaf_level[key] = (ref, self.index)
        return xi

    def lift_args(self, args: tuple, argnums) -> tuple[tuple, list, Any]:
        """(args with the differentiated ones lifted, their flat leaves, the pytree spec
        of args[argnums] (a tuple of them for tuple argnums))."""
        argnums = _check_argnums(argnums, len(args))
        diff = args[argnums] if isinstance(argnums, int) else tuple(args[i] for i in argnums)
        leaves, spec = tree_flatten(diff)
        lifted = [self.lift(x) for x in leaves]
        return _replace_args(args, tree_unflatten(lifted, spec), argnums), lifted, spec

    def lift_all(self, primals: tuple) -> tuple[tuple, list, Any]:
        leaves, spec = tree_flatten(primals)
        lifted = [self.lift(x) for x in leaves]
        return tree_unflatten(lifted, spec), lifted, spec

    def depends_outside(self, tree: Any) -> bool:
        """Whether tensors in `tree` reach a live leaf other than this level's, or
        carry a tangent of a live dual level (then results need a graph)."""
        seen: set[int] = set()
        for t in tree_flatten(tree)[0]:
            if isinstance(t, Tensor) and (_live_tangents(t) or (
                    t._requires_grad
                    and _reaches_live_leaf(t, self.user_live, seen, exclude=self.index))):
                return True
        return False

    def finalize(self, tree: Any, keep_possible: bool = True) -> Any:
        """`tree` with each tensor detached from whatever only reaches dead leaves
        (call after the level exited). keep_possible=False: nothing outside was
        reached, detach everything (tangents of live levels are kept)."""
        return _finalize_tree(tree, self.user_live, keep_possible)


def _live_tangents(t: Tensor) -> dict:
    fw = t._fw
    if not fw:
        return {}
    return {lv: tan for lv, tan in fw.items() if lv.alive}


def _leaf_is_live(v: Tensor | None, user_live: bool, exclude: int | None) -> bool:
    """A leaf is live when made by a running transform (other than level `exclude`),
    or when it is a user tensor and `user_live`."""
    if v is None:
        return False
    entry = _leaf_level.get(id(v))
    if entry is None or entry[0]() is not v:
        return user_live
    return entry[1] != exclude and entry[1] in _running


def _reaches_live_leaf(t: Tensor, user_live: bool, dead: set[int],
                       exclude: int | None = None) -> bool:
    """Whether the graph of `t` reaches a live leaf. `dead` collects ids of nodes
    known to reach none (shared between calls on one graph)."""
    stack = [_tensor._edge(t)[0]]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if node is None:
            continue
        key = id(node)
        if key in seen or key in dead:
            continue
        seen.add(key)
        if isinstance(node, AccumulateGrad):
            if _leaf_is_live(node.variable, user_live, exclude):
                return True
            continue
        stack.extend(edge[0] for edge in node.next_functions)
    dead |= seen
    return False


def _finalize_tree(tree: Any, user_live: bool, keep_possible: bool = True) -> Any:
    dead: set[int] = set()
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([_finalize(t, user_live, dead, keep_possible) for t in leaves], spec)


def _finalize(t: Any, user_live: bool, dead: set[int], keep_possible: bool) -> Any:
    if not isinstance(t, Tensor):
        return t
    keep = keep_possible and t._requires_grad and _reaches_live_leaf(t, user_live, dead)
    old = _live_tangents(t)
    new = {lv: _finalize(tan, user_live, dead, keep_possible) for lv, tan in old.items()}
    if keep == t._requires_grad and all(new[lv] is old[lv] for lv in old):
        return t
    if keep:  # same graph position (as forward_ad._strip), new tangents
        out = Tensor._make(t._data, True, t.grad_fn, t._version, t._device)
        out._output_nr = t._output_nr
        out._base, out._view_fn = t._base, t._view_fn
        if t.grad_fn is None:
            out._accum = _tensor._accumulate_node(t)
    else:
        out = Tensor._make(t._data, False, None, t._version, t._device)
    for lv, tan in new.items():
        fwAD._set_tangent(out, lv, tan)
    return out


# ----- argument checks (PyTorch's messages) ---------------------------------------------

def _check_argnum(argnum, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _check_argnums(argnums, num_args: int):
    if isinstance(argnums, int):
        return _check_argnum(argnums, num_args)
    if not isinstance(argnums, tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    argnums = tuple(_check_argnum(a, num_args) for a in argnums)
    if len(argnums) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(argnums)) != len(argnums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return argnums


def _replace_args(args: tuple, new, argnums) -> tuple:
    out = list(args)
    if isinstance(argnums, int):
        out[argnums] = new
    else:
        for i, x in zip(argnums, new):
            out[i] = x
    return tuple(out)


def _split_aux(output, has_aux: bool, api: str):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    return output


def _check_tensor_outputs(flat: list, api: str) -> None:
    if len(flat) < 1 or (len(flat) == 1 and flat[0] is None):
        raise RuntimeError(
            f"{api}: Expected f to be a function that has non-empty output (got output = {flat})")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")


def _check_tensor_list(flat: list, api: str, argname: str) -> None:
    if len(flat) == 0:
        raise RuntimeError(f"{api}: Expected {argname} to contain at least one Tensor.")
    for x in flat:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"{api}: Expected {argname} to only contain Tensors, got {type(x)}")


def _check_floating_outputs(flat: list) -> None:
    for o in flat:
        if o._data.dtype.kind != "f":
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex "
                               f"Tensors, got Tensor with dtype torch.{o._data.dtype}")


def _grads(outputs, inputs, cotangents, create_graph: bool, retain_graph: bool,
           batch: int | None = None) -> list[Tensor]:
    """autograd.grad of the outputs that require grad (zeros where nothing reaches an
    input). batch: the cotangents carry a leading batch dim of that size."""
    if cotangents is None:
        cotangents = [None] * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, cotangents) if o._requires_grad]
    res: tuple = (None,) * len(inputs)
    if pairs:
        gos = [g for _, g in pairs]
        res = ng.autograd.grad([o for o, _ in pairs], inputs,
                               None if gos[0] is None else gos, retain_graph=retain_graph,
                               create_graph=create_graph, allow_unused=True,
                               is_grads_batched=batch is not None)
    lead = () if batch is None else (batch,)
    return [ng.zeros(lead + x.shape, dtype=x.dtype) if g is None else g
            for g, x in zip(res, inputs)]


# ----- reverse mode -------------------------------------------------------------------

def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable:
    """A function returning (gradient of `func` w.r.t. args[argnums], func's value);
    with has_aux, `func` returns (output, aux) and the value is (output, aux).
    `func` must return a scalar (0-dim) Tensor."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        api = "grad_and_value(f)(*args)"
        level = _GradLevel()
        with level, ng.enable_grad():
            args, diff, spec = level.lift_args(args, argnums)
            output, aux = _split_aux(func(*args, **kwargs), has_aux, api)
            if not isinstance(output, Tensor):
                raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got "
                                   f"{type(output)}")
            if output.ndim != 0:
                raise RuntimeError(
                    f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with "
                    f"{output.ndim} dims. Maybe you wanted to use the vjp or jacrev APIs "
                    "instead?")
            outside = level.depends_outside((output, aux))
            grads = _grads([output], diff, None, create_graph=outside, retain_graph=outside)
        result = (tree_unflatten(grads, spec), (output, aux) if has_aux else output)
        return level.finalize(result, outside)

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function computing the gradient of scalar-valued `func` with respect to
    args[argnums] (an int, or a tuple of ints for a tuple of gradients); args may
    be pytrees of tensors. has_aux: `func` returns (output, aux); (grad, aux) is
    returned."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = grad_and_value(func, argnums, has_aux)(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn) (and aux with has_aux); vjp_fn(cotangents) returns
    the vector-Jacobian products, one per primal (as a tuple). Cotangents have the
    pytree structure of the output; vjp_fn may be called several times."""
    api = "vjp(f, *primals)"
    level = _GradLevel()
    with level, ng.enable_grad():
        args, diff, spec = level.lift_all(primals)
        out, aux = _split_aux(func(*args), has_aux, api)
        flat_out, out_spec = tree_flatten(out)
        _check_tensor_outputs(flat_out, api)
        _check_floating_outputs(flat_out)
        outside = level.depends_outside((out, aux))
    results = level.finalize(out, outside)

    def vjp_fn(cotangents, retain_graph: bool = True, create_graph: bool | None = None):
        """The vjps of `cotangents` (structured like the output), one per primal."""
        if create_graph is None:
            create_graph = ng.is_grad_enabled()
        flat_ct, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure "
                f"of outputs to the function. cotangents: {ct_spec!r}, primal output: "
                f"{out_spec!r}")
        grads = _grads(flat_out, diff, flat_ct, create_graph=create_graph,
                       retain_graph=retain_graph)
        return _finalize_tree(tree_unflatten(grads, spec), ng.is_grad_enabled())

    if has_aux:
        return results, vjp_fn, level.finalize(aux, outside)
    return results, vjp_fn


def _basis_rows(flat_out: list, numels: list, r0: int, r1: int):
    """Rows r0..r1 of the identity over the flattened outputs, as cotangents with a
    leading batch dim: (outputs that get a nonzero block, their cotangents)."""
    outs, cts = [], []
    offset = 0
    for o, n in zip(flat_out, numels):
        lo, hi = max(r0, offset), min(r1, offset + n)
        if lo < hi and o._requires_grad:
            basis = np.zeros((r1 - r0, n), dtype=o._data.dtype)
            basis[np.arange(lo - r0, hi - r0), np.arange(lo - offset, hi - offset)] = 1
            outs.append(o)
            cts.append(ng.from_numpy(basis.reshape((r1 - r0,) + o.shape)))
        offset += n
    return outs, cts


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable:
    """A function computing the Jacobian of `func` with respect to args[argnums] by
    reverse mode: ONE batched backward pass (identity rows as cotangents with a
    leading batch dim), or one pass per `chunk_size` rows. Result [out][in] has shape
    out.shape + in.shape, structured like the output and args[argnums] (pytrees)."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args):
        api = "vjp(f, *primals)"
        level = _GradLevel()
        with level, ng.enable_grad():
            args, diff, spec = level.lift_args(args, argnums)
            out, aux = _split_aux(func(*args), has_aux, api)
            flat_out, out_spec = tree_flatten(out)
            _check_tensor_outputs(flat_out, api)
            _check_floating_outputs(flat_out)
            outside = level.depends_outside((out, aux))
            numels = [o.numel() for o in flat_out]
            total = sum(numels)
            step = chunk_size or max(total, 1)
            chunks = []
            for r0 in range(0, total, step):
                r1 = min(r0 + step, total)
                outs, cts = _basis_rows(flat_out, numels, r0, r1)
                chunks.append(_grads(outs, diff, cts, create_graph=outside,
                                     retain_graph=outside or r1 < total, batch=r1 - r0))
            if not chunks:  # every output is empty
                chunks.append([ng.zeros((0,) + x.shape, dtype=x.dtype) for x in diff])
            rows = [c[0] if len(chunks) == 1 else ng.cat(c) for c in zip(*chunks)]
            jac = []
            for i, o in enumerate(flat_out):
                offset = sum(numels[:i])
                blocks = [(r if numels[i] == total else r.narrow(0, offset, numels[i]))
                          .reshape(o.shape + x.shape) for r, x in zip(rows, diff)]
                jac.append(tree_unflatten(blocks, spec))
        result = tree_unflatten(jac, out_spec)
        if has_aux:
            return level.finalize((result, aux), outside)
        return level.finalize(result, outside)

    return wrapper


# ----- forward mode --------------------------------------------------------------------

_JVP = "jvp(f, primals, tangents)"


def _unpack(out: Tensor, level: int, lead: tuple, strict: bool = False):
    primal, tangent = fwAD.unpack_dual(out, level=level)
    if tangent is None:
        if strict:
            raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is "
                               "independent of the inputs. This is not allowed with strict=True.")
        tangent = ng.zeros(lead + primal.shape, dtype=primal.dtype)
    return primal, tangent


def jvp(func: Callable, primals: tuple, tangents, *, strict: bool = False,
        has_aux: bool = False):
    """(func(*primals), J @ tangents) from one forward-mode pass (and aux with
    has_aux). `tangents` has the pytree structure of `primals`."""
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid "
                           "to call f(*primals).")
    flat_p, p_spec = tree_flatten(primals)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            f"{_JVP}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {p_spec!r} and tangents with structure {t_spec!r}")
    _check_tensor_list(flat_p, _JVP, "primals")
    _check_tensor_list(flat_t, _JVP, "tangents")
    with fwAD.dual_level() as level:
        duals = [fwAD.make_dual(p, t) for p, t in zip(flat_p, flat_t)]
        out, aux = _split_aux(func(*tree_unflatten(duals, p_spec)), has_aux, _JVP)
        flat_out, out_spec = tree_flatten(out)
        _check_tensor_outputs(flat_out, _JVP)
        pairs = [_unpack(o, level, (), strict) for o in flat_out]
    primals_out = tree_unflatten([p for p, _ in pairs], out_spec)
    tangents_out = tree_unflatten([t for _, t in pairs], out_spec)
    if has_aux:
        return primals_out, tangents_out, aux
    return primals_out, tangents_out


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """A function computing the Jacobian of `func` with respect to args[argnums] by
    forward mode: ONE forward pass whose tangents are the identity with a leading
    batch dimension (one column per input element). Result [out][in] has shape
    out.shape + in.shape, structured like the output and args[argnums] (pytrees).
    `randomness` is accepted for PyTorch's signature: `func` runs once, so random
    ops inside it draw once for every column (PyTorch's "same")."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    @functools.wraps(func)
    def wrapper(*args):
        nums = _check_argnums(argnums, len(args))
        diff = args[nums] if isinstance(nums, int) else tuple(args[i] for i in nums)
        flat_in, spec = tree_flatten(diff)
        _check_tensor_list(flat_in, _JVP, "primals")
        numels = [x.numel() for x in flat_in]
        total = sum(numels)
        with fwAD.dual_level() as level:
            lv = fwAD._levels[level]
            duals, offset = [], 0
            for x, n in zip(flat_in, numels):
                if x._data.dtype.kind != "f":
                    raise ValueError("Expected primal to be floating point or complex, but got: "
                                     f"torch.{x._data.dtype}")
                basis = np.zeros((total, n), dtype=x._data.dtype)
                basis[np.arange(offset, offset + n), np.arange(n)] = 1
                duals.append(fwAD._dual(x, ng.from_numpy(basis.reshape((total,) + x.shape)), lv))
                offset += n
            out, aux = _split_aux(func(*_replace_args(args, tree_unflatten(duals, spec), nums)),
                                  has_aux, _JVP)
            flat_out, out_spec = tree_flatten(out)
            _check_tensor_outputs(flat_out, _JVP)
            columns = [_unpack(o, level, (total,))[1] for o in flat_out]
        jac = []
        for o, t in zip(flat_out, columns):
            t = t.movedim(0, -1)  # out.shape + (total,)
            pieces = [t] if len(flat_in) == 1 else t.split(numels, dim=-1)
            jac.append(tree_unflatten([p.reshape(o.shape + x.shape)
                                       for p, x in zip(pieces, flat_in)], spec))
        result = tree_unflatten(jac, out_spec)
        return (result, aux) if has_aux else result

    return wrapper


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """A function computing the Hessian of scalar-valued `func` with respect to
    args[argnums]: jacfwd(jacrev(func)) (forward-over-reverse)."""
    return jacfwd(jacrev(func, argnums), argnums)
