"""The neutral tensor API: one function per operation, the same on every backend.

Tensors stay the backend's own objects (``numpy.ndarray``, ``mxnet.np.ndarray``,
``torch.Tensor``, ``tf.Tensor``, ``jax.Array``); operators (``+ - * / @ ** []``) work on them natively and
everything else goes through these functions.  Names follow the Python Array API standard
and numpy.  Conventions fixed once for all backends:

* float32 is the default floating type; Python ints become int64; numpy arrays keep their dtype.
* Functions that only make sense for real numbers (``exp``, ``log``, ``mean`` ...) turn integer
  input into float32 first, instead of failing (TensorFlow) or silently going to float64 (numpy).
* Binary functions accept a Python scalar for either argument; mixed dtypes promote as in
  PyTorch (int with float gives the float's type).
* Reductions take ``axis`` as None (all axes), an int or a tuple, and ``keepdims``.

``ops`` is the one door from the rest of mlbook to the active backend: layers, losses,
optimisers, data loaders and autograd call these functions, never a backend module.  The
package is split by topic, mirroring the sections of the backend modules: :mod:`.creation`,
:mod:`.shape`, :mod:`.elementwise`, :mod:`.reductions`, :mod:`.linalg`, :mod:`.logic`,
:mod:`.conversion`, :mod:`.indexing`, :mod:`.nn` (softmax, convolution, pooling), and the
library-facing :mod:`.parameters`, :mod:`.autodiff` and :mod:`.devices`; :mod:`.core` holds the
one accessor for the active backend and the dtype rules they share.  ``__all__`` (the tensor
functions readers call as ``mlbook.<name>``) lists the first nine; the others are for the
library.
"""

from __future__ import annotations

from .creation import (  # noqa: F401
    array, tensor, arange, zeros, ones, full, eye, zeros_like, ones_like, full_like, linspace)
from .shape import (  # noqa: F401
    shape, size, ndim, reshape, transpose, permute, swapaxes, T, expand_dims, squeeze, flatten,
    concat, stack, split, tile, repeat, broadcast_to, pad)
from .elementwise import (  # noqa: F401
    exp, log, log1p, sqrt, abs, sign, sin, cos, tanh, sigmoid, relu, maximum, minimum, clip,
    where, power, floor, round)
from .reductions import (  # noqa: F401
    sum, mean, max, min, prod, argmax, argmin, var, std, cumsum, logsumexp, any, all)
from .linalg import (  # noqa: F401
    matmul, dot, mv, outer, tensordot, einsum, norm)
from .logic import (  # noqa: F401
    equal, not_equal, greater, greater_equal, less, less_equal, logical_and, logical_or,
    logical_not)
from .conversion import (  # noqa: F401
    float16, float32, float64, int32, int64, uint8, bool_, dtype, astype, is_floating,
    is_tensor, to_numpy, from_numpy, item, tolist, show)
from .indexing import (  # noqa: F401
    take, gather, take_along_axis, one_hot, boolean_mask, index_update)
from .nn import (  # noqa: F401
    softmax, log_softmax)
from .nn import (avg_pool2d, conv2d, conv_output_size, fused_cross_entropy,  # noqa: F401
                 max_pool2d, window_pair, conv_transpose2d, conv_transpose_output_size)
from . import autodiff, core, devices, parameters  # noqa: F401
from .core import Tensor  # noqa: F401
from .parameters import assign, assign_sub, make_parameter  # noqa: F401

__all__ = [
    # creation
    "array", "tensor", "arange", "zeros", "ones", "full", "eye", "zeros_like", "ones_like",
    "full_like", "linspace",
    # shape
    "shape", "size", "ndim", "reshape", "transpose", "permute", "swapaxes", "T", "expand_dims",
    "squeeze", "flatten", "concat", "stack", "split", "tile", "repeat", "broadcast_to", "pad",
    # elementwise
    "exp", "log", "log1p", "sqrt", "abs", "sign", "sin", "cos", "tanh", "sigmoid", "relu",
    "maximum", "minimum", "clip", "where", "power", "floor", "round",
    # reductions
    "sum", "mean", "max", "min", "prod", "argmax", "argmin", "var", "std", "cumsum", "logsumexp",
    # linear algebra
    "matmul", "dot", "mv", "outer", "tensordot", "einsum", "norm",
    # comparison and logic
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
    "logical_or", "logical_not", "any", "all",
    # dtype and conversion
    "float16", "float32", "float64", "int32", "int64", "uint8", "bool_", "dtype", "astype",
    "is_floating", "is_tensor", "to_numpy", "from_numpy", "item", "tolist", "show",
    # indexing
    "take", "gather", "take_along_axis", "one_hot", "boolean_mask", "index_update",
    # softmax
    "softmax", "log_softmax",
]
