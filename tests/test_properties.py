"""Property tests (hypothesis): broadcasting and reductions agree with numpy for random shapes,
axes and values on every backend.

Tolerance rtol = atol = 1e-5 for float32: reductions of up to 256 terms may be summed in a
different order by each framework (pairwise, blocked, vectorised), which moves the result by a
few float32 ulps of the partial sums.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlbook as mb
from helpers import check

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
ELEMENTS = st.floats(-4, 4, width=32, allow_subnormal=False)

BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "multiply": (lambda a, b: a * b, np.multiply),
    "subtract": (lambda a, b: a - b, np.subtract),
    "maximum": (mb.maximum, np.maximum),
    "minimum": (mb.minimum, np.minimum),
    "greater": (mb.greater, np.greater),
    "where": (lambda a, b: mb.where(mb.greater(a, 0), a, b), lambda a, b: np.where(a > 0, a, b)),
}

REDUCTIONS = {
    "sum": (mb.sum, np.sum),
    "mean": (mb.mean, np.mean),
    "max": (mb.max, np.max),
    "min": (mb.min, np.min),
    "prod": (mb.prod, np.prod),
}


@SETTINGS
@given(data=st.data())
def test_broadcasting_matches_numpy(backend, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                         max_side=4))
    x = data.draw(hnp.arrays(np.float32, shapes.input_shapes[0], elements=ELEMENTS))
    y = data.draw(hnp.arrays(np.float32, shapes.input_shapes[1], elements=ELEMENTS))
    name = data.draw(st.sampled_from(sorted(BINARY)))
    ours, ref = BINARY[name]
    out = ours(mb.array(x), mb.array(y))
    assert mb.shape(out) == shapes.result_shape
    check(out, np.asarray(ref(x, y)), rtol=1e-6, atol=1e-6)


@SETTINGS
@given(data=st.data())
def test_reductions_match_numpy(backend, data):
    x = data.draw(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
                             elements=st.floats(-2, 2, width=32, allow_subnormal=False)))
    axis = data.draw(st.one_of(
        st.none(),
        st.integers(-x.ndim, x.ndim - 1),
        st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim, unique=True)
        .map(tuple)))
    keepdims = data.draw(st.booleans())
    name = data.draw(st.sampled_from(sorted(REDUCTIONS)))
    ours, ref = REDUCTIONS[name]
    expected = np.asarray(ref(x, axis=axis, keepdims=keepdims), dtype=np.float32)
    check(ours(mb.array(x), axis=axis, keepdims=keepdims), expected, rtol=1e-5, atol=1e-5)


@SETTINGS
@given(data=st.data())
def test_argmax_and_cumsum_match_numpy(backend, data):
    x = data.draw(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                             elements=ELEMENTS, unique=True))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check(mb.argmax(mb.array(x), axis=axis), np.argmax(x, axis=axis))
    check(mb.argmin(mb.array(x), axis=axis), np.argmin(x, axis=axis))
    check(mb.cumsum(mb.array(x), axis=axis), np.cumsum(x, axis=axis), rtol=1e-5, atol=1e-5)
