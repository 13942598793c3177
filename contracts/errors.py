"""Domain exceptions. The CLI turns each into a message for the clerk."""

from __future__ import annotations

from dataclasses import dataclass


class ContractError(Exception):
    """Base of every error the domain raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: which field, and what is wrong with it."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}：{self.message}" if self.field else self.message


class InvalidInput(ContractError):
    """One or more fields are wrong; carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("；".join(str(p) for p in self.problems))


class HistoryError(ContractError):
    """An event that does not fit the contract's history."""


class NotFound(ContractError):
    """A contract or notice that the register does not hold."""
