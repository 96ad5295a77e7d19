"""NaN, infinities, empty tensors and ties against numpy on every backend.

Each case is one op on one small input where frameworks are known to part ways (numpy 1.26 is
the reference, computed on the same float32 input): NaN propagation through reductions,
comparisons and elementwise functions, empty reductions, infinities, and large equal logits.
Values must match to float32 rounding, with NaN exactly where numpy has NaN; where numpy raises,
the op must raise too.

:data:`KNOWN_DEVIATIONS` lists the cases where a backend does not match yet: each runs as a
strict ``xfail``, so a fix that makes it match fails the test until its entry is removed here
and from the list in the backends guide (``docs/guides/backends.md``, which a test keeps in
step with this table).
"""

from __future__ import annotations

import pathlib
import re
import warnings
from typing import Any, Callable

import numpy as np
import pytest

import mlbook as mb

nan, inf = np.nan, np.inf
f32 = np.float32


def _a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


EMPTY = np.zeros((0,), np.float32)

#: name -> (mlbook op, numpy reference, input)
CASES: dict[str, tuple[Callable[[Any], Any], Callable[[np.ndarray], Any], np.ndarray]] = {
    "max propagates NaN": (mb.max, np.max, _a(1, nan, 3)),
    "min propagates NaN": (mb.min, np.min, _a(1, nan, 3)),
    "sum propagates NaN": (mb.sum, np.sum, _a(1, nan, 3)),
    "argmax of NaN is its index": (mb.argmax, np.argmax, _a(1, nan, 3)),
    "argmin of NaN is its index": (mb.argmin, np.argmin, _a(1, nan, 3)),
    "maximum propagates NaN": (lambda x: mb.maximum(x, 2.0),
                               lambda a: np.maximum(a, f32(2)), _a(1, nan, 3)),
    "minimum propagates NaN": (lambda x: mb.minimum(x, 2.0),
                               lambda a: np.minimum(a, f32(2)), _a(1, nan, 3)),
    "clip keeps NaN": (lambda x: mb.clip(x, 0.0, 2.0),
                       lambda a: np.clip(a, f32(0), f32(2)), _a(1, nan, 3)),
    "relu keeps NaN": (mb.relu, lambda a: np.maximum(a, f32(0)), _a(-1, nan, 3)),
    "sign of NaN is NaN": (mb.sign, np.sign, _a(-1, nan, 0)),
    "comparisons with NaN are False": (lambda x: mb.greater(x, 0.0), lambda a: a > 0,
                                       _a(nan, 1)),
    "sum of empty is 0": (mb.sum, np.sum, EMPTY),
    "prod of empty is 1": (mb.prod, np.prod, EMPTY),
    "mean of empty is NaN": (mb.mean, np.mean, EMPTY),
    "max of empty raises": (mb.max, np.max, EMPTY),
    "argmax of empty raises": (mb.argmax, np.argmax, EMPTY),
    "cumsum of empty is empty": (mb.cumsum, np.cumsum, EMPTY),
    "any of empty is False": (mb.any, np.any, np.zeros((0,), bool)),
    "all of empty is True": (mb.all, np.all, np.zeros((0,), bool)),
    "sum over an empty axis": (lambda x: mb.sum(x, axis=0), lambda a: np.sum(a, axis=0),
                               np.zeros((0, 3), np.float32)),
    "logsumexp of empty is -inf": (mb.logsumexp, lambda a: np.logaddexp.reduce(a), EMPTY),
    "norm with inf is inf": (mb.norm, np.linalg.norm, _a(inf, 1)),
    "log of 0 and -1": (mb.log, np.log, _a(0, -1, 1)),
    "sqrt of -1 is NaN": (mb.sqrt, np.sqrt, _a(-1, 4)),
    "floor of inf and NaN": (mb.floor, np.floor, _a(inf, -inf, nan)),
    "round half to even": (mb.round, np.round, _a(0.5, 1.5, 2.5, -0.5)),
    "exp overflows to inf": (mb.exp, np.exp, _a(100, -200)),
    "tanh and sigmoid of inf": (lambda x: mb.stack([mb.tanh(x), mb.sigmoid(x)]),
                                lambda a: np.stack([np.tanh(a), 1 / (1 + np.exp(-a))]),
                                _a(inf, -inf)),
    "softmax of large equal logits": (mb.softmax, lambda a: np.full(a.shape, f32(0.5)),
                                      _a(1000, 1000)),
    "log_softmax of large equal logits": (mb.log_softmax,
                                          lambda a: np.full(a.shape, -np.log(f32(2))),
                                          _a(1000, 1000)),
}

#: (case, backend) -> what the backend does instead; each one is listed in the backends guide.
KNOWN_DEVIATIONS: dict[tuple[str, str], str] = {
    ("softmax of large equal logits", "numpy"):
        "0.49998546: exp(x - logsumexp(x)) loses digits when x is large",
    ("log_softmax of large equal logits", "numpy"):
        "-0.69317627: x - logsumexp(x) loses digits when x is large",
    ("log_softmax of large equal logits", "mxnet"): "-0.69317627, as numpy's",
}

GUIDE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "guides" / "backends.md"


def _outcome(fn: Callable[[], Any]) -> np.ndarray | type:
    """The value ``fn`` returns as a numpy array, or the fact that it raised."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return np.asarray(fn())
    except Exception:          # noqa: BLE001 - that it raises is the outcome compared
        return Exception


@pytest.mark.parametrize("case", sorted(CASES))
def test_edge_value_matches_numpy(backend, case, request):
    if (case, backend) in KNOWN_DEVIATIONS:
        request.applymarker(pytest.mark.xfail(
            strict=True, reason=f"known deviation: {KNOWN_DEVIATIONS[case, backend]}"))
    op, reference, value = CASES[case]
    expected = _outcome(lambda: reference(value))
    got = _outcome(lambda: mb.to_numpy(op(mb.array(value))))
    if expected is Exception or got is Exception:
        assert got is expected, f"{case}: numpy {'raises' if expected is Exception else expected}" \
                                f", {backend} {'raises' if got is Exception else got}"
        return
    assert got.shape == expected.shape
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, expected.astype(got.dtype), rtol=1e-6, atol=0)
    else:
        np.testing.assert_array_equal(got, expected)


def test_guide_lists_every_known_deviation():
    listed = re.search(r"## Known deviations\n(.*?)(\n## |\Z)", GUIDE.read_text(), re.S)
    assert listed, "docs/guides/backends.md has no '## Known deviations' section"
    for case, backend in KNOWN_DEVIATIONS:
        assert re.search(rf"{re.escape(case)}.*{backend}", listed.group(1)), (case, backend)


def test_reductions_over_an_empty_axis_give_numpys_answers(backend):
    """Over an empty axis of a matrix, with and without keepdims, as numpy; max and min raise
    a ValueError that says the axis is empty."""
    a = np.zeros((0, 3), np.float32)
    x = mb.array(a)
    for op, ref in ((mb.prod, np.prod), (mb.sum, np.sum), (mb.logsumexp, np.logaddexp.reduce)):
        for keepdims in (False, True):
            got = mb.to_numpy(op(x, axis=0, keepdims=keepdims))
            want = ref(a, axis=0, keepdims=keepdims) if ref is not np.logaddexp.reduce else (
                np.full((1, 3) if keepdims else (3,), -np.inf, np.float32))
            np.testing.assert_array_equal(got, want)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(mb.to_numpy(mb.mean(x, axis=0)), np.mean(a, axis=0))
    np.testing.assert_array_equal(mb.to_numpy(mb.sum(x, axis=1)), np.zeros(0, np.float32))
    for op in (mb.max, mb.min):
        with pytest.raises(ValueError, match=r"over an empty axis \(a tensor of shape \(0, 3\), "
                                             r"axis=0\) has no value"):
            op(x, axis=0)
    assert mb.to_numpy(mb.max(x, axis=1)).shape == (0,)          # nothing to reduce to


def test_nan_positions_along_an_axis(backend):
    """argmax/argmin along an axis point at a row's first NaN, as numpy; sign keeps NaN."""
    a = np.array([[1, np.nan, 3, np.nan], [4, 2, 8, 1]], np.float32)
    for op, ref in ((mb.argmax, np.argmax), (mb.argmin, np.argmin)):
        np.testing.assert_array_equal(mb.to_numpy(op(mb.array(a), axis=1)), ref(a, axis=1))
        np.testing.assert_array_equal(mb.to_numpy(op(mb.array(a.T), axis=0)), ref(a.T, axis=0))
    np.testing.assert_array_equal(mb.to_numpy(mb.sign(mb.array(a))), np.sign(a))


def test_empty_reductions_keep_numpys_dtypes(backend):
    """sum and prod of nothing count booleans and integers in int64, as numpy; max over a
    non-empty axis of an empty tensor keeps the dtype; the norm of nothing is 0."""
    for dtype in ("bool", "int32", "int64", "float64"):
        a = np.zeros((0, 2), dtype)
        for op, ref in ((mb.sum, np.sum), (mb.prod, np.prod)):
            got = mb.to_numpy(op(mb.array(a), axis=0))
            want = ref(a, axis=0)
            assert (got.dtype, got.tolist()) == (want.dtype, want.tolist()), (dtype, op)
    got = mb.to_numpy(mb.max(mb.array(np.zeros((0, 2), bool)), axis=1))
    assert (got.dtype, got.shape) == (np.dtype(bool), (0,))
    assert mb.item(mb.norm(mb.zeros((0,)))) == 0.0
