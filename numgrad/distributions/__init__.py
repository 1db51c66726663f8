"""`numgrad.distributions`: probability distributions with PyTorch's API
(`torch.distributions`): sampling, log densities, and KL divergences that are
differentiable to any order in reverse and forward mode.

    import numgrad.distributions as dist
    prior = dist.Normal(0., 1.)
    beta = prior.sample((3,)).requires_grad_()
    prior.log_prob(beta).sum().backward()

See docs/distributions.md for what differs from PyTorch (no rsample for the
gamma-based distributions; HalfNormal, LogNormal and HalfCauchy are direct classes, not
TransformedDistributions).
"""
from numgrad.distributions import constraints
from numgrad.distributions.continuous import Laplace, Normal, StudentT, Uniform
from numgrad.distributions.counts import Binomial, Geometric, Poisson
from numgrad.distributions.discrete import Bernoulli, Categorical
from numgrad.distributions.distribution import Distribution
from numgrad.distributions.gamma import Beta, Dirichlet, Exponential, Gamma
from numgrad.distributions.independent import Independent
from numgrad.distributions.kl import kl_divergence, register_kl
from numgrad.distributions.multivariate_normal import MultivariateNormal
from numgrad.distributions.transformed import Cauchy, HalfCauchy, HalfNormal, LogNormal

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Dirichlet", "Distribution",
           "Exponential", "Gamma", "Geometric", "HalfCauchy", "HalfNormal", "Independent",
           "Laplace", "LogNormal", "MultivariateNormal", "Normal", "Poisson", "StudentT",
           "Uniform", "constraints", "kl_divergence", "register_kl"]
