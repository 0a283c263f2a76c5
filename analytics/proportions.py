"""Proportions as the definitions print them: 'n/N (x.x%)' with a Wilson 95% interval."""

import math
from dataclasses import dataclass
from functools import cached_property

# The 97.5% standard normal quantile (scipy.special.ndtri(0.975)), the z of a 95% interval.
Z_975 = 1.959963984540054


def wilson_interval(k: int, n: int, z: float = Z_975) -> tuple[float, float]:
    """Wilson score interval without continuity correction (Newcombe 1998, method 3).

    The same formula, in the same order of operations, as scipy's
    `binomtest(k, n).proportion_ci(method="wilson")`, without importing scipy for it.
    """
    p = k / n
    denom = 2 * (n + z**2)
    center = (2 * n * p + z**2) / denom
    delta = z / denom * math.sqrt(4 * n * p * (1 - p) + z**2)
    return (0.0 if k == 0 else center - delta, 1.0 if k == n else center + delta)


@dataclass(frozen=True)
class Proportion:
    numerator: int
    denominator: int

    def __post_init__(self):
        if not 0 <= self.numerator <= self.denominator:
            raise ValueError(
                f"A proportion needs 0 <= n <= N, not {self.numerator}/{self.denominator}."
            )

    @property
    def percent(self) -> float | None:
        if self.denominator == 0:
            return None
        return round(100 * self.numerator / self.denominator, 1)

    @cached_property
    def _wilson(self) -> tuple[float | None, float | None]:
        if self.denominator == 0:
            return None, None
        return wilson_interval(self.numerator, self.denominator)

    @property
    def ci_lower(self) -> float | None:
        return self._wilson[0]

    @property
    def ci_upper(self) -> float | None:
        return self._wilson[1]

    def format(self) -> str:
        if self.denominator == 0:
            return "0/0 (–)"
        return f"{self.numerator}/{self.denominator} ({self.percent:.1f}%)"
