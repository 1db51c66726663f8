"""asv benchmarks of numgrad.autograd.functional, on the models of benchmarks/models.py.

    cd asv_benchmarks && asv machine --yes && asv run --python=same --quick --show-stderr \
        --bench bench_functional

Models (see benchmarks/models.py): PyTorch's functional_autograd_benchmark
ppl_simple_reg and ppl_robust_reg (its code, through numgrad.distributions)
and their *_formulas variants (the log-densities written out with plain ops),
an MLP 256 -> 256 with two tanh layers and a 200-dimensional Rosenbrock
function. Each task (vjp, jvp, vhp, hvp,
jacobian, hessian, and PyTorch's vectorized tasks jacfwd, jacrev,
hessian_fwdrev, hessian_revrev) is timed and its peak memory measured wherever
the model runs it (models.py lists which; vhp, hvp and the hessians need a
scalar output, so the MLP skips them). jacobian and hessian run vectorized
(numgrad's default, one batched backward pass) and row by row
(vectorize=False); jacfwd and hessian_fwdrev push all columns through one
batched forward-mode pass.

track_ benchmarks count things that do not depend on timing noise: backward
passes run per task (calls of numgrad.autograd.engine.execute: 1 for a
vectorized jacobian, 2 for a vectorized hessian, 0 for jacfwd, 1 for
hessian_fwdrev) and graph nodes recorded per
task (calls of numgrad._tensor._record, the per-op recording hook).
setup() runs each task once, so kernel compilation is never timed.
"""
import sys
from pathlib import Path

try:
    import numgrad
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import numgrad
import numgrad._tensor
import numgrad.autograd.engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import models as M  # noqa: E402

B = M.numgrad_backend()
TASKS = list(M.ALL_TASKS)


def make_task(model: str, task: str, vectorize: bool = True):
    """The task's callable on `model`; NotImplementedError (asv: skip) where it does not apply."""
    m = M.MODELS[model](B)
    if task not in m.tasks:
        raise NotImplementedError(f"{model} does not run {task}")
    return M.functional_task(m, B, task, vectorize=vectorize)


def count_calls(module, name: str, fn) -> int:
    """How many times `module.<name>` is called while `fn()` runs."""
    original = getattr(module, name)
    calls = [0]

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)
    setattr(module, name, counted)
    try:
        fn()
    finally:
        setattr(module, name, original)
    return calls[0]


class Functional:
    """Each functional task on each model, vectorized (numgrad's default)."""
    params = (list(M.MODELS), TASKS)
    param_names = ["model", "task"]

    def setup(self, model, task):
        self.run = make_task(model, task)
        self.run()

    def time_task(self, model, task):
        self.run()

    def peakmem_task(self, model, task):
        self.run()

    def track_backward_passes(self, model, task):
        return count_calls(numgrad.autograd.engine, "execute", self.run)
    track_backward_passes.unit = "passes"

    def track_graph_nodes(self, model, task):
        return count_calls(numgrad._tensor, "_record", self.run)
    track_graph_nodes.unit = "nodes"


class RowByRow:
    """jacobian / hessian with vectorize=False: one backward pass per row."""
    params = (list(M.MODELS), ["jacobian", "hessian"])
    param_names = ["model", "task"]

    def setup(self, model, task):
        self.run = make_task(model, task, vectorize=False)
        self.run()

    def time_task(self, model, task):
        self.run()

    def track_backward_passes(self, model, task):
        return count_calls(numgrad.autograd.engine, "execute", self.run)
    track_backward_passes.unit = "passes"
