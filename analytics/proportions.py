"""Proportions as the definitions print them: 'n/N (x.x%)' with a Wilson 95% interval."""

from dataclasses import dataclass
from functools import cached_property

from scipy.stats import binomtest


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
        interval = binomtest(self.numerator, self.denominator).proportion_ci(method="wilson")
        return float(interval.low), float(interval.high)

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
