"""`numgrad.optim`: SGD, Adam, AdamW and RMSprop with PyTorch's update rules, state and
param groups, and the StepLR / LambdaLR schedulers of `numgrad.optim.lr_scheduler`.

Updates run under `numgrad.no_grad()` and modify parameters in place, so a
parameter keeps its identity (and its place in modules) across steps.
"""
from __future__ import annotations

import copy
import math
from collections import defaultdict
from typing import Any, Callable, Iterable

import numgrad as ng
from numgrad import Tensor

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]


def _check_nonnegative(*named: tuple[str, float]) -> None:
    """PyTorch's ValueError for the first negative hyper-parameter, checked in order."""
    for what, value in named:
        if value < 0.0:
            raise ValueError(f"Invalid {what}: {value}")


class Optimizer:
    """Base class: holds `param_groups` (dicts of params + hyperparameters) and per-param `state`."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict] = defaultdict(dict)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of params (with optional per-group hyperparameters)."""
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use "
                            "a list instead.")
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group["params"] = params
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset gradients: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns closure() if given."""
        loss = None
        if closure is not None:
            with ng.enable_grad():
                loss = closure()
        with ng.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad, group, self.state[p])
        return loss

    def _update(self, p: Tensor, grad: Tensor, group: dict, state: dict) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """{'state': {index: state}, 'param_groups': [hyperparameters + param indices]}."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by `state_dict()` (values are copied)."""
        state_dict = copy.deepcopy(state_dict)
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(self.param_groups, saved):
            if len(g["params"]) != len(s["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match "
                                 "the size of optimizer's group")
        id_map = {i: p for g, s in zip(self.param_groups, saved) for i, p in zip(s["params"], g["params"])}
        self.state = defaultdict(dict)
        for i, st in state_dict["state"].items():
            p = id_map[i]
            self.state[p] = {k: (v.to(p.dtype) if isinstance(v, Tensor) and v.is_floating_point()
                                 and k != "step" else v) for k, v in st.items()}
        for g, s in zip(self.param_groups, saved):
            g.update({k: v for k, v in s.items() if k != "params"})

    def __repr__(self) -> str:
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}"
            for k in sorted(group):
                if k != "params":
                    s += f"\n    {k}: {group[k]}"
        return s + "\n)"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay
    (PyTorch's formulation: the momentum buffer starts as the first gradient)."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False) -> None:
        _check_nonnegative(("learning rate", lr), ("momentum value", momentum),
                           ("weight_decay value", weight_decay))
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, p, grad, group, state):
        d_p = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            d_p = d_p + group["weight_decay"] * p
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = d_p.clone().detach()
            else:
                buf.mul_(momentum).add_(d_p, alpha=1 - group["dampening"])
            d_p = d_p + momentum * buf if group["nesterov"] else buf
        p.sub_(d_p, alpha=group["lr"])


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction; weight_decay adds wd * p to the gradient
    (L2, as torch.optim.Adam), or with decoupled_weight_decay multiplies p by 1 - lr * wd
    before the update (AdamW); amsgrad keeps the running max of the second moment."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        _check_nonnegative(("learning rate", lr), ("epsilon value", eps))
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
        _check_nonnegative(("weight_decay value", weight_decay))
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, p, grad, group, state):
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = ng.tensor(0.0)
            state["exp_avg"] = ng.zeros_like(p)
            state["exp_avg_sq"] = ng.zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = ng.zeros_like(p)
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            if group["decoupled_weight_decay"]:
                p.mul_(1 - group["lr"] * group["weight_decay"])
            else:
                grad = grad + group["weight_decay"] * p
        state["step"].add_(1)
        step = state["step"].item()
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).add_(grad * grad, alpha=1 - beta2)
        second = exp_avg_sq
        if group["amsgrad"]:
            m = state["max_exp_avg_sq"]
            m.copy_(ng.where(m > exp_avg_sq, m, exp_avg_sq))
            second = m
        step_size = group["lr"] / (1 - beta1 ** step)
        denom = second ** 0.5 / math.sqrt(1 - beta2 ** step) + group["eps"]
        p.sub_(exp_avg / denom, alpha=step_size)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p *= 1 - lr * weight_decay
    before each Adam update; PyTorch's defaults (weight_decay=1e-2)."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """RMSprop as torch.optim.RMSprop: divides the gradient by sqrt(running mean of its
    square) + eps (minus the squared running mean of the gradient when centered), with
    optional L2 weight decay and momentum."""

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        _check_nonnegative(("learning rate", lr), ("epsilon value", eps),
                           ("momentum value", momentum), ("weight_decay value", weight_decay),
                           ("alpha value", alpha))
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      maximize=maximize))

    def _update(self, p, grad, group, state):
        alpha = group["alpha"]
        if not state:
            state["step"] = ng.tensor(0.0)
            state["square_avg"] = ng.zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = ng.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = ng.zeros_like(p)
        if group["maximize"]:
            grad = -grad
        state["step"].add_(1)
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).add_(grad * grad, alpha=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg.mul_(alpha).add_(grad, alpha=1 - alpha)
            avg = (square_avg - grad_avg * grad_avg).sqrt() + group["eps"]
        else:
            avg = square_avg.sqrt() + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).add_(grad / avg)
            p.sub_(buf, alpha=group["lr"])
        else:
            p.sub_(grad / avg, alpha=group["lr"])



class Adagrad(Optimizer):
    """Adagrad as torch.optim.Adagrad: divides the gradient by sqrt(sum of its squares)
    + eps, with a learning rate decayed as lr / (1 + (step - 1) lr_decay)."""

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *,
                 maximize: bool = False) -> None:
        _check_nonnegative(("learning rate", lr), ("lr_decay value", lr_decay),
                           ("weight_decay value", weight_decay),
                           ("initial_accumulator_value value", initial_accumulator_value),
                           ("epsilon value", eps))
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay, maximize=maximize,
                                      initial_accumulator_value=initial_accumulator_value))

    def _update(self, p, grad, group, state):
        if not state:
            state["step"] = ng.tensor(0.0)
            state["sum"] = ng.full_like(p, group["initial_accumulator_value"])
        if group["maximize"]:
            grad = -grad
        state["step"].add_(1)
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * p
        clr = group["lr"] / (1 + (state["step"].item() - 1) * group["lr_decay"])
        state["sum"].add_(grad * grad)
        p.sub_(grad / (state["sum"].sqrt() + group["eps"]), alpha=clr)


from numgrad.optim import lr_scheduler  # noqa: E402  (PyTorch's torch.optim.lr_scheduler)
