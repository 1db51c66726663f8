"""Bayesian logistic regression with numgrad.distributions and the functional API.

The model is PyTorch's functional-autograd benchmark model ppl_simple_reg (a
Bernoulli likelihood with logits X @ beta and a Normal(0, 1) prior), ported by
changing `torch` to `numgrad`. Newton's method finds the posterior mode with
`autograd.functional.hessian` (one batched pass per hessian); the Laplace
approximation then gives the posterior as a Normal around the mode.
"""
import numgrad as ng
import numgrad.distributions as dist
from numgrad.autograd.functional import hessian, jacobian

ng.manual_seed(0)
N, K = 100, 3
X = ng.cat([ng.ones(N, 1, dtype=ng.float64), ng.randn(N, K, dtype=ng.float64)], dim=1)
true_beta = ng.tensor([[0.5], [-1.0], [2.0], [0.0]], dtype=ng.float64)
Y = dist.Bernoulli(logits=X.mm(true_beta)).sample()
beta_prior = dist.Normal(ng.tensor(0.0, dtype=ng.float64), ng.tensor(1.0, dtype=ng.float64))


def log_joint(beta):
    mu = X.mm(beta)
    return (dist.Bernoulli(logits=mu, validate_args=False).log_prob(Y).sum()
            + beta_prior.log_prob(beta).sum())


beta = ng.zeros(K + 1, 1, dtype=ng.float64)
for step in range(8):
    g = jacobian(log_joint, beta).reshape(K + 1, 1)
    h = hessian(log_joint, beta).reshape(K + 1, K + 1)
    beta = beta - ng.linalg.solve(h, g)
    print(f"Newton step {step}: log joint {log_joint(beta).item():.6f}, "
          f"|gradient| {g.norm().item():.2e}")

h = hessian(log_joint, beta).reshape(K + 1, K + 1)
cov = ng.linalg.inv(-h)
posterior_sd = cov.diagonal().sqrt()
print("posterior mode:", [round(v, 3) for v in beta.flatten().tolist()])
print("posterior sd:  ", [round(v, 3) for v in posterior_sd.tolist()])
print("true beta:     ", true_beta.flatten().tolist())

# Laplace approximation: independent Normals per coefficient (the marginals)
laplace = dist.Normal(beta.flatten(), posterior_sd)
draws = laplace.sample((2000,))
print("Monte Carlo mean of the Laplace marginals:",
      [round(v, 3) for v in draws.mean(0).tolist()])
