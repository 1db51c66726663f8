"""Op definitions: each module registers its ops (numgrad.ops) and defines their
public functions. A module declares `__all__` (exported as numgrad.<name>),
`METHODS` (also bound as Tensor methods) and `INPLACE` (names that get
`name_` in-place variants)."""
from numgrad.oplib import indexing, linalg, pointwise, reduction, shape

MODULES = [pointwise, reduction, shape, linalg, indexing]
