"""Same seed, same numbers, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from helpers import check


def test_seeded_draws_equal_numpy_generator(backend):
    mb.seed(3)
    n = mb.normal(1.0, 2.0, (2, 3))
    u = mb.uniform(-1, 1, 4)
    r = mb.randint(0, 10, (5,))
    p = mb.permutation(6)
    ref = np.random.default_rng(3)
    check(n, ref.normal(1.0, 2.0, (2, 3)).astype("float32"), rtol=0, atol=0)
    check(u, ref.uniform(-1, 1, 4).astype("float32"), rtol=0, atol=0)
    check(r, ref.integers(0, 10, (5,)).astype("int64"))
    check(p, ref.permutation(6).astype("int64"))


def test_same_seed_same_numbers_across_backends(all_backends):
    draws = {}
    for name in all_backends:
        mb.set_backend(name)
        mb.seed(11)
        draws[name] = [mb.to_numpy(t) for t in
                       (mb.normal(0, 1, (3, 3)), mb.uniform(0, 1, (2,)), mb.randint(-5, 5, 7),
                        mb.shuffle(mb.arange(10)), mb.normal(0, 1, (2,), dtype="float64"))]
    first = all_backends[0]
    for name in all_backends[1:]:
        for a, b in zip(draws[first], draws[name]):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b, err_msg=f"{name} vs {first}")


def test_seed_resets_the_stream(backend):
    mb.seed(5)
    a = mb.to_numpy(mb.normal(0, 1, 4))
    b = mb.to_numpy(mb.normal(0, 1, 4))
    mb.seed(5)
    np.testing.assert_array_equal(a, mb.to_numpy(mb.normal(0, 1, 4)))
    assert not np.array_equal(a, b)


def test_shuffle_permutes_rows_and_keeps_input(backend):
    x = mb.reshape(mb.arange(12), (6, 2))
    mb.seed(0)
    y = mb.shuffle(x)
    order = np.random.default_rng(0).permutation(6)
    check(y, np.arange(12).reshape(6, 2)[order])
    check(x, np.arange(12).reshape(6, 2))


@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_dtype_argument(backend, dtype):
    mb.seed(0)
    x = mb.normal(0, 1, (2,), dtype=dtype) if dtype.startswith("float") else \
        mb.randint(0, 3, (2,), dtype=dtype)
    assert mb.dtype(x) == dtype
