"""Learning-rate schedules: callables ``schedule(epoch) -> rate`` that ``fit`` and ``Trainer.fit``
take as ``lr_schedule`` (epochs counted from 0), or that a loop calls per update.

Each is the book's (d2l's "Learning Rate Scheduling"): a factor per step, factors at
milestones, and a cosine decay with an optional linear warm-up.
"""

from __future__ import annotations

import math
from typing import Sequence

__all__ = ["FactorScheduler", "MultiFactorScheduler", "CosineScheduler"]


class FactorScheduler:
    """:math:`\\eta_t = \\max(\\eta_{\\min}, \\eta_0 \\alpha^t)`: multiply by ``factor`` per step.

    >>> scheduler = schedulers.FactorScheduler(factor=0.5, stop_factor_lr=0.01, base_lr=0.1)
    >>> [scheduler(t) for t in range(6)]
    [0.1, 0.05, 0.025, 0.0125, 0.01, 0.01]
    """

    def __init__(self, factor: float = 1.0, stop_factor_lr: float = 1e-7,
                 base_lr: float = 0.1) -> None:
        if not 0 < factor <= 1:
            raise ValueError(f"FactorScheduler: factor must be in (0, 1], got {factor}")
        self.factor, self.stop_factor_lr, self.base_lr = factor, stop_factor_lr, base_lr

    def __call__(self, t: int) -> float:
        return max(self.stop_factor_lr, self.base_lr * self.factor ** t)


class MultiFactorScheduler:
    """Piecewise constant: the rate is multiplied by ``factor`` at each step in ``steps``
    (e.g. ``steps=[15, 30]``: 0.5 until 15, then 0.25, then 0.125 with ``factor=0.5``).

    >>> scheduler = schedulers.MultiFactorScheduler(steps=[2, 4], factor=0.5, base_lr=0.1)
    >>> [scheduler(t) for t in range(6)]
    [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    >>> schedulers.MultiFactorScheduler(steps=[4, 2])
    Traceback (most recent call last):
    ValueError: MultiFactorScheduler: steps must increase, got [4, 2]
    """

    def __init__(self, steps: Sequence[int], factor: float = 0.1, base_lr: float = 0.1) -> None:
        steps = list(steps)
        if steps != sorted(steps) or len(set(steps)) != len(steps):
            raise ValueError(f"MultiFactorScheduler: steps must increase, got {steps}")
        self.steps, self.factor, self.base_lr = steps, factor, base_lr

    def __call__(self, t: int) -> float:
        return self.base_lr * self.factor ** sum(1 for s in self.steps if t >= s)


class CosineScheduler:
    """Linear warm-up from ``warmup_begin_lr`` to ``base_lr`` over ``warmup_steps``, then
    :math:`\\eta_t = \\eta_T + \\frac{\\eta_0 - \\eta_T}{2}(1 + \\cos(\\pi t / T))` until
    ``max_update`` (counted after the warm-up), then ``final_lr``.

    >>> scheduler = schedulers.CosineScheduler(max_update=6, base_lr=0.1, final_lr=0.01,
    ...                                        warmup_steps=2)
    >>> [round(scheduler(t), 4) for t in range(8)]
    [0.0, 0.05, 0.1, 0.0868, 0.055, 0.0232, 0.01, 0.01]
    """

    def __init__(self, max_update: int, base_lr: float = 0.01, final_lr: float = 0.0,
                 warmup_steps: int = 0, warmup_begin_lr: float = 0.0) -> None:
        if not 0 <= warmup_steps <= max_update:
            raise ValueError(f"CosineScheduler: warmup_steps {warmup_steps} must be between 0 "
                             f"and max_update {max_update}")
        self.base_lr, self.final_lr = base_lr, final_lr
        self.max_update, self.warmup_steps = max_update, warmup_steps
        self.warmup_begin_lr = warmup_begin_lr
        self.max_steps = max_update - warmup_steps

    def __call__(self, t: int) -> float:
        if t < self.warmup_steps:
            return self.warmup_begin_lr + (self.base_lr - self.warmup_begin_lr) * t / \
                self.warmup_steps
        if t <= self.max_update:
            progress = (t - self.warmup_steps) / max(self.max_steps, 1)
            return self.final_lr + (self.base_lr - self.final_lr) * (
                1 + math.cos(math.pi * progress)) / 2
        return self.final_lr
