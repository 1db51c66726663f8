"""Models for the functional-autograd benchmarks, written once for numgrad, PyTorch and JAX.

Each model is built from a `Backend`: the handful of array functions the
models use, taken from numgrad, torch or jax.numpy. Data come from a seeded
numpy generator, so every backend differentiates the same function at the
same point, in float32.

  ppl_simple_reg   PyTorch's functional_autograd_benchmark model of the same
                   name: Bayesian logistic regression, N=10 points, K+1=11
                   coefficients; log joint of Bernoulli(logits=X @ beta) and
                   a Normal(0, 1) prior. One input, beta (11, 1).
  ppl_robust_reg   PyTorch's robust regression: Student-t likelihood whose
                   degrees of freedom nu, scales sigma = exp(s) and
                   coefficients beta are all inputs, with Gamma, Exponential
                   and Normal priors. Like the original, the Student-t term is
                   computed three times (one score per input). Inputs nu (1, 1),
                   s (10, 1), beta (11, 1).
  mlp_256          tanh(W2 @ tanh(W1 @ x + b1) + b2), 256 -> 256 -> 256; its
                   jacobian wrt x (256 x 256) is the point.
  rosenbrock_200   sum(100 (x[1:] - x[:-1]^2)^2 + (1 - x[:-1])^2), 200
                   dimensions; its hessian (200 x 200) is the point.

Like PyTorch's benchmark, the ppl models also run its vectorized tasks
(VECTORIZED_TASKS): jacfwd and jacrev (jacobian with vectorize=True, forward
or reverse mode) and hessian_fwdrev and hessian_revrev (hessian with
vectorize=True, forward-over-reverse or reverse-over-reverse); the MLP runs
jacfwd too.

The ppl models are PyTorch's code: their log-densities come from
`B.distributions` (torch.distributions, numgrad.distributions), constructed in
the forward as the original does (Bernoulli without validation, StudentT with
it). JAX has no such module, so it runs the `*_formulas` variants, which write
the same formulas of torch.distributions out with plain ops (no distribution
objects, so no parameter checks); numgrad and torch run those too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

DTYPE = np.float32
PPL_N, PPL_K = 10, 10
MLP_DIM = 256
ROSENBROCK_DIM = 200

# Tasks of torch.autograd.functional; which ones each model runs is in MODELS.
SCALAR_TASKS = ("vjp", "jvp", "vhp", "hvp", "jacobian", "hessian")
VECTOR_TASKS = ("vjp", "jvp", "jacobian")
# PyTorch's benchmark's VECTORIZED_TASKS: jacobian / hessian with vectorize=True and the
# given (outer) jacobian strategy.
VECTORIZED_TASKS = {
    "jacfwd": ("jacobian", {"strategy": "forward-mode"}),
    "jacrev": ("jacobian", {}),
    "hessian_fwdrev": ("hessian", {"outer_jacobian_strategy": "forward-mode"}),
    "hessian_revrev": ("hessian", {}),
}
ALL_TASKS = SCALAR_TASKS + tuple(VECTORIZED_TASKS)


@dataclass(frozen=True)
class Backend:
    """The array functions the models need, from one library."""
    name: str
    tensor: Callable[..., Any]        # (np.ndarray, requires_grad=False) -> array
    to_numpy: Callable[[Any], np.ndarray]
    log: Callable
    log1p: Callable
    lgamma: Callable
    exp: Callable
    tanh: Callable
    softplus: Callable
    matmul: Callable
    narrow: Callable                  # (x, start, length) along dim 0
    functional: Any = None            # the torch.autograd.functional-like module, if any
    distributions: Any = None         # the torch.distributions-like module, if any


def numgrad_backend() -> Backend:
    import numgrad as ng
    import numgrad.autograd.functional as functional
    import numgrad.distributions as distributions
    return Backend(
        "numgrad", lambda a, requires_grad=False: ng.tensor(a, requires_grad=requires_grad),
        lambda t: t.detach().numpy(), ng.log, ng.log1p, ng.lgamma, ng.exp, ng.tanh, ng.softplus,
        ng.matmul, lambda x, start, length: x.narrow(0, start, length), functional, distributions)


def torch_backend() -> Backend:
    import torch
    import torch.autograd.functional as functional
    import torch.distributions as distributions
    return Backend(
        "torch",
        lambda a, requires_grad=False: torch.tensor(a, requires_grad=requires_grad),
        lambda t: t.detach().numpy(), torch.log, torch.log1p, torch.lgamma, torch.exp,
        torch.tanh, torch.nn.functional.softplus, torch.matmul,
        lambda x, start, length: x.narrow(0, start, length), functional, distributions)


def jax_backend() -> Backend:
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import gammaln
    return Backend(
        "jax", lambda a, requires_grad=False: jnp.asarray(a), np.asarray, jnp.log, jnp.log1p,
        gammaln, jnp.exp, jnp.tanh, jax.nn.softplus, jnp.matmul,
        lambda x, start, length: x[start:start + length])


@dataclass
class Model:
    """`forward(*inputs)` and the point `inputs` (backend arrays requiring grad)."""
    name: str
    forward: Callable
    inputs: tuple
    tasks: tuple[str, ...]


# ----- log-densities (the formulas of torch.distributions) ---------------------

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def normal_log_prob(B: Backend, x, loc, scale):
    """log N(x; loc, scale); scale an array or a float."""
    log_scale = B.log(scale) if not isinstance(scale, float) else math.log(scale)
    return -((x - loc) ** 2) / (2 * scale ** 2) - log_scale - _HALF_LOG_2PI


def bernoulli_logits_log_prob(B: Backend, logits, y):
    """log Bernoulli(y; logits) = y * logits - softplus(logits) (y may be relaxed in [0, 1])."""
    return y * logits - B.softplus(logits)


def student_t_log_prob(B: Backend, x, df, loc, scale):
    z = (x - loc) / scale
    norm = (B.log(scale) + 0.5 * B.log(df) + 0.5 * math.log(math.pi)
            + B.lgamma(0.5 * df) - B.lgamma(0.5 * (df + 1.0)))
    return -0.5 * (df + 1.0) * B.log1p(z ** 2 / df) - norm


def gamma_log_prob(B: Backend, x, concentration, rate):
    return (concentration * B.log(rate) + (concentration - 1.0) * B.log(x) - rate * x
            - B.lgamma(concentration))


def exponential_log_prob(B: Backend, x, rate):
    return B.log(rate) - rate * x


# ----- models ------------------------------------------------------------------

def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def ppl_simple_reg(B: Backend, seed: int = 0, formulas: bool = False) -> Model:
    rng = _rng(seed)
    X = B.tensor(rng.random((PPL_N, PPL_K + 1), dtype=DTYPE))
    Y = B.tensor(rng.random((PPL_N, 1), dtype=DTYPE))
    beta = rng.standard_normal((PPL_K + 1, 1), dtype=DTYPE)
    dist = None if formulas else B.distributions
    if dist is not None:
        beta_prior = dist.Normal(0.0, 1.0)

        def forward(beta):
            mu = X.mm(beta)
            return (dist.Bernoulli(logits=mu, validate_args=False).log_prob(Y).sum()
                    + beta_prior.log_prob(beta).sum())
    else:
        def forward(beta):
            mu = B.matmul(X, beta)
            return (bernoulli_logits_log_prob(B, mu, Y).sum()
                    + normal_log_prob(B, beta, 0.0, 1.0).sum())
    name = "ppl_simple_reg" + ("_formulas" if formulas else "")
    return Model(name, forward, (B.tensor(beta, requires_grad=True),), ALL_TASKS)


def ppl_robust_reg(B: Backend, seed: int = 0, formulas: bool = False) -> Model:
    rng = _rng(seed)
    n, k = PPL_N, PPL_K
    X = rng.random((n, k + 1), dtype=DTYPE)
    Y = rng.random((n, 1), dtype=DTYPE)
    nu_alpha, nu_beta = rng.random((1, 1), dtype=DTYPE), rng.random((1, 1), dtype=DTYPE)
    sigma_rate = rng.random((n, 1), dtype=DTYPE)
    beta_mean, beta_sigma = rng.random((k + 1, 1), dtype=DTYPE), rng.random((k + 1, 1), dtype=DTYPE)
    # the point: one draw from each prior (sigma through its log, as in the original)
    nu = rng.gamma(nu_alpha, 1.0 / nu_beta).astype(DTYPE)
    s = np.log(rng.exponential(1.0 / sigma_rate)).astype(DTYPE)
    beta = rng.normal(beta_mean, beta_sigma).astype(DTYPE)
    X, Y, nu_alpha, nu_beta, sigma_rate, beta_mean, beta_sigma = map(
        B.tensor, (X, Y, nu_alpha, nu_beta, sigma_rate, beta_mean, beta_sigma))
    dist = None if formulas else B.distributions
    if dist is not None:
        nu_prior = dist.Gamma(nu_alpha, nu_beta)
        sigma_prior = dist.Exponential(sigma_rate)
        beta_prior = dist.Normal(beta_mean, beta_sigma)

        def forward(nu, s, beta):
            sigma = s.exp()
            mu = X.mm(beta)
            nu_score = dist.StudentT(nu, mu, sigma).log_prob(Y).sum() + nu_prior.log_prob(nu)
            sigma_score = (dist.StudentT(nu, mu, sigma).log_prob(Y).sum()
                           + sigma_prior.log_prob(sigma) + s)
            beta_score = dist.StudentT(nu, mu, sigma).log_prob(Y).sum() + beta_prior.log_prob(beta)
            return nu_score.sum() + sigma_score.sum() + beta_score.sum()
    else:
        def forward(nu, s, beta):
            sigma = B.exp(s)
            mu = B.matmul(X, beta)
            nu_score = (student_t_log_prob(B, Y, nu, mu, sigma).sum()
                        + gamma_log_prob(B, nu, nu_alpha, nu_beta))
            sigma_score = (student_t_log_prob(B, Y, nu, mu, sigma).sum()
                           + exponential_log_prob(B, sigma, sigma_rate) + s)
            beta_score = (student_t_log_prob(B, Y, nu, mu, sigma).sum()
                          + normal_log_prob(B, beta, beta_mean, beta_sigma))
            return nu_score.sum() + sigma_score.sum() + beta_score.sum()
    inputs = tuple(B.tensor(a, requires_grad=True) for a in (nu, s, beta))
    name = "ppl_robust_reg" + ("_formulas" if formulas else "")
    return Model(name, forward, inputs, ALL_TASKS)


def mlp_256(B: Backend, seed: int = 0) -> Model:
    rng = _rng(seed)
    d = MLP_DIM
    scale = 1.0 / math.sqrt(d)
    W1, W2 = (B.tensor(rng.standard_normal((d, d), dtype=DTYPE) * DTYPE(scale)) for _ in range(2))
    b1, b2 = (B.tensor(rng.standard_normal(d, dtype=DTYPE) * DTYPE(0.1)) for _ in range(2))
    x = rng.standard_normal(d, dtype=DTYPE)

    def forward(x):
        return B.tanh(B.matmul(W2, B.tanh(B.matmul(W1, x) + b1)) + b2)
    return Model("mlp_256", forward, (B.tensor(x, requires_grad=True),), VECTOR_TASKS + ("jacfwd",))


def rosenbrock_200(B: Backend, seed: int = 0) -> Model:
    rng = _rng(seed)
    n = ROSENBROCK_DIM
    x = rng.uniform(-1.5, 1.5, n).astype(DTYPE)

    def forward(x):
        head, tail = B.narrow(x, 0, n - 1), B.narrow(x, 1, n - 1)
        return (100.0 * (tail - head ** 2) ** 2 + (1.0 - head) ** 2).sum()
    return Model("rosenbrock_200", forward, (B.tensor(x, requires_grad=True),), SCALAR_TASKS)


MODELS: dict[str, Callable[..., Model]] = {
    "ppl_simple_reg": ppl_simple_reg,
    "ppl_robust_reg": ppl_robust_reg,
    "ppl_simple_reg_formulas": lambda B, seed=0: ppl_simple_reg(B, seed, formulas=True),
    "ppl_robust_reg_formulas": lambda B, seed=0: ppl_robust_reg(B, seed, formulas=True),
    "mlp_256": mlp_256,
    "rosenbrock_200": rosenbrock_200,
}


def task_vectors(model: Model, B: Backend, task: str, seed: int = 1):
    """The `v` PyTorch's benchmark passes for `task` (uniform [0, 1), like torch.rand_like):
    shaped like the output for vjp, like the inputs for jvp / vhp / hvp, None otherwise."""
    rng = _rng(seed)

    def like(a):
        a = B.to_numpy(a)
        return B.tensor(rng.random(a.shape).astype(a.dtype))
    if task == "vjp":
        return like(model.forward(*model.inputs))
    if task in ("jvp", "vhp", "hvp"):
        return tuple(like(x) for x in model.inputs)
    return None


def functional_task(model: Model, B: Backend, task: str, vectorize: bool = True) -> Callable[[], Any]:
    """A no-argument callable running `B.functional.<task>` on the model, the way PyTorch's
    functional_autograd_benchmark calls it (inputs as a tuple). The VECTORIZED_TASKS call
    jacobian / hessian with their strategy (torch's forward mode needs vectorize=True)."""
    F = B.functional
    fn, inputs = model.forward, model.inputs
    if task in VECTORIZED_TASKS:
        name, strategy = VECTORIZED_TASKS[task]
        f = getattr(F, name)
        return lambda: f(fn, inputs, vectorize=vectorize, **strategy)
    if task in ("jacobian", "hessian"):
        f = getattr(F, task)
        return lambda: f(fn, inputs, vectorize=vectorize)
    f = getattr(F, task)
    v = task_vectors(model, B, task)
    return lambda: f(fn, inputs, v)
