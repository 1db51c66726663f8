"""numgrad: PyTorch's autograd API on Numba-compiled kernels.

    import numgrad as ng
    x = ng.randn(3, requires_grad=True)
    (x.sin() * 2).sum().backward()
    x.grad
"""
from __future__ import annotations

from numgrad import _malloc  # noqa: F401  (allocator thresholds: see its docstring)
from numgrad._dtype import (bool_, double, finfo, float, float32, float64, get_default_dtype, iinfo,
                            int, int32, int64, long, set_default_dtype)
from numgrad._tensor import Device, Tensor, as_tensor, device, from_numpy, tensor
from numgrad.autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                                        set_grad_enabled)
from numgrad import ops  # noqa: F401  (the public registry)
from numgrad.oplib import MODULES as _MODULES
from numgrad.oplib.arrays import *  # noqa: F401,F403
from numgrad.oplib.indexing import *  # noqa: F401,F403
from numgrad.oplib.linalg import *  # noqa: F401,F403
from numgrad.oplib.pointwise import *  # noqa: F401,F403
from numgrad.oplib.reduction import *  # noqa: F401,F403
from numgrad.oplib.shape import *  # noqa: F401,F403
from numgrad.oplib.stats import *  # noqa: F401,F403
from numgrad import _methods  # noqa: F401,E402  (binds Tensor methods and operators)
from numgrad import autograd, cuda, distributions, linalg, nn, optim  # noqa: E402
from numgrad import func  # noqa: E402
from numgrad.autograd.anomaly_mode import (is_anomaly_check_nan_enabled,  # noqa: E402,F401
                                           is_anomaly_enabled, set_anomaly_enabled)
from numgrad.creation import (DoubleTensor, FloatTensor, LongTensor, arange, empty, eye, full, full_like, linspace, manual_seed, ones,  # noqa: E402
                              ones_like, rand, rand_like, randn, randn_like, zeros, zeros_like)
from numgrad.creation import (bernoulli, is_tensor, multinomial, nonzero, normal, numel,  # noqa: E402
                              randint, randint_like, randperm, tril_indices, triu_indices)
from numgrad.serialization import load, save  # noqa: E402

bool = bool_

globals().update(_methods.INPLACE_FUNCTIONS)  # numgrad.sin_(t) style in-place functions

__version__ = "0.1.0"
