"""The access matrix: who may read a dataset, as one table of data, and the pure decision.

Rows are (classification, sharing type), columns are roles (``None`` = anonymous). A cell is a
:class:`Rule`. Besides the table, a signed-in member of the dataset's *owning department* (any role
but ``public``) may always read it. Documented in ``docs/security.md``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ecodata.security.roles import Classification, Role, SharingType


class Rule(enum.StrEnum):
    READ = "read"  # allowed
    DEPARTMENT = "department"  # allowed if the account belongs to a department
    GRANT = "grant"  # allowed with an approved, unexpired sharing request of its department
    OWNER = "owner"  # only the owning department
    NONE = "none"  # refused


_C, _S, _R = Classification, SharingType, Role
_ALL_READ: dict[Role | None, Rule] = dict.fromkeys((None, *_R), Rule.READ)
_STAFF: dict[Role | None, Rule] = {
    None: Rule.NONE,
    _R.PUBLIC: Rule.NONE,
    _R.STEWARD: Rule.READ,
    _R.ADMIN: Rule.READ,
}


def _row(consumer: Rule, analyst: Rule, enforcement: Rule) -> dict[Role | None, Rule]:
    return _STAFF | {_R.CONSUMER: consumer, _R.ANALYST: analyst, _R.ENFORCEMENT: enforcement}


MATRIX: dict[tuple[Classification, SharingType], dict[Role | None, Rule]] = {
    (_C.PUBLIC, _S.UNCONDITIONAL): _ALL_READ,
    (_C.PUBLIC, _S.CONDITIONAL): _ALL_READ,
    (_C.PUBLIC, _S.NONE): _ALL_READ,
    (_C.SHARED, _S.UNCONDITIONAL): _row(Rule.DEPARTMENT, Rule.DEPARTMENT, Rule.DEPARTMENT),
    (_C.SHARED, _S.CONDITIONAL): _row(Rule.GRANT, Rule.GRANT, Rule.DEPARTMENT),
    (_C.SHARED, _S.NONE): _row(Rule.OWNER, Rule.OWNER, Rule.OWNER),
    (_C.RESTRICTED, _S.UNCONDITIONAL): _row(Rule.OWNER, Rule.OWNER, Rule.OWNER),
    (_C.RESTRICTED, _S.CONDITIONAL): _row(Rule.OWNER, Rule.OWNER, Rule.OWNER),
    (_C.RESTRICTED, _S.NONE): _row(Rule.OWNER, Rule.OWNER, Rule.OWNER),
}


@dataclass(frozen=True, slots=True)
class DatasetAccess:
    """What the decision needs to know about one dataset."""

    id: int
    name: str
    classification: Classification
    sharing_type: SharingType
    department: str


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    rule: Rule
    reason: str


def decide(
    role: Role | None, department: str | None, dataset: DatasetAccess, granted: bool
) -> Decision:
    """May an account of ``role`` in ``department`` read ``dataset``? ``granted``: its department
    holds an approved, unexpired sharing request for the dataset."""
    rule = MATRIX[(dataset.classification, dataset.sharing_type)][role]
    kind = f"{dataset.classification}/{dataset.sharing_type}"
    if rule is Rule.READ:
        return Decision(True, rule, f"{kind} data are readable by {role or 'anyone'}")
    if role not in (None, Role.PUBLIC) and department and department == dataset.department:
        return Decision(True, Rule.OWNER, f"{department} owns {dataset.name}")
    if role is None:
        return Decision(False, rule, f"{dataset.name} is {kind}: sign in")
    if rule is Rule.DEPARTMENT:
        if department:
            return Decision(True, rule, f"{kind} data are shared with every department")
        return Decision(False, rule, f"{dataset.name} is shared with departments only")
    if rule is Rule.GRANT:
        if department and granted:
            return Decision(True, rule, f"approved sharing request of {department}")
        return Decision(False, rule, f"{dataset.name} is shared on request: apply for access first")
    return Decision(False, rule, f"{dataset.name} is {kind}: not available to {role}")
