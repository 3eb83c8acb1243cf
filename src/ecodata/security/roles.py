"""Roles, data classifications and the catalog's sharing and open types (pure data)."""

from __future__ import annotations

import enum
from typing import TypeVar

from ecodata.errors import InputError


class Role(enum.StrEnum):
    """What a signed-in account may do; anonymous callers have no role."""

    ADMIN = "admin"  # 系统管理员: accounts, departments, keys, audit, everything else
    STEWARD = "steward"  # 数据管理员: catalog, classification, sharing decisions, reads all data
    ANALYST = "analyst"  # 分析人员: reads what its department may read
    ENFORCEMENT = "enforcement"  # 执法人员: also reads conditionally shared source data
    CONSUMER = "consumer"  # 部门用户: another department consuming shared data
    PUBLIC = "public"  # 公众账号: a registered member of the public (open data only)

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise InputError(f"unknown role {text!r}; use one of {names}") from None


class Classification(enum.StrEnum):
    """Data classification of a dataset."""

    PUBLIC = "public"  # 公开: open data
    SHARED = "shared"  # 共享: between departments, under its sharing type
    RESTRICTED = "restricted"  # 受限: only the owning department and the stewards


class SharingType(enum.StrEnum):
    """共享类型 of the catalog guide (发改高技〔2017〕1272号)."""

    UNCONDITIONAL = "unconditional"  # 无条件共享
    CONDITIONAL = "conditional"  # 有条件共享: an approved request is needed
    NONE = "none"  # 不予共享


class OpenType(enum.StrEnum):
    """开放属性: whether the public may have the data."""

    OPEN = "open"  # 无条件开放
    CONDITIONAL = "conditional"  # 有条件开放
    CLOSED = "closed"  # 不予开放


E = TypeVar("E", bound=enum.StrEnum)


def parse_choice(kind: type[E], text: str, what: str) -> E:
    """An enum member from user text, or :class:`InputError` listing the choices."""
    try:
        return kind(text.strip().lower())
    except ValueError:
        names = ", ".join(m.value for m in kind)
        raise InputError(f"unknown {what} {text!r}; use one of {names}") from None


#: Roles that manage accounts, departments and keys and read the audit log.
ADMINS = frozenset({Role.ADMIN})
#: Roles that change the catalog and decide sharing requests.
STEWARDS = frozenset({Role.ADMIN, Role.STEWARD})
