"""The review page's filter fields, shared by the page's query string and its decision forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from fastapi import HTTPException, status

from littlesis.store.filters import ActionFilter
from littlesis.store.models import DECISIONS

FIELDS = ("kind", "school", "teacher", "state", "search")
MAX_LENGTH = 255
PAGE_SIZES = (50, 100, 200, 500)
DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True)
class PlanFilter:
    kind: str = ""
    school: str = ""
    teacher: str = ""
    state: str = ""  # the reviewer's decision so far: proposed, staged or excluded ("decision" is the verb field)
    search: str = ""  # part of a class alias or of the target (a course, a person's e-mail)

    @classmethod
    def parse(cls, values: Mapping[str, object]) -> PlanFilter:
        """From query or form fields; 400 naming the field and value when one makes no sense."""
        fields = {}
        for name in FIELDS:
            value = values.get(name)
            text = value.strip() if isinstance(value, str) else ""
            if len(text) > MAX_LENGTH:
                raise HTTPException(status.HTTP_400_BAD_REQUEST,
                                    f"filter {name} is longer than {MAX_LENGTH} characters")
            fields[name] = text
        if fields["state"] and fields["state"] not in DECISIONS:
            raise HTTPException(status.HTTP_400_BAD_REQUEST,
                                f"filter state {fields['state']!r}: expected one of {', '.join(DECISIONS)}")
        return cls(**fields)

    def where(self) -> ActionFilter:
        return ActionFilter(kind=self.kind or None, school=self.school or None, teacher=self.teacher or None,
                            decision=self.state or None, search=self.search or None)

    def query(self) -> dict[str, str]:
        """The set fields, for links that keep the filter."""
        return {k: v for k, v in asdict(self).items() if v}

    @property
    def active(self) -> bool:
        return any(asdict(self).values())


def page_size(value: object) -> int:
    try:
        size = int(str(value))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


MAX_PAGE = 1_000_000_000


def page_number(value: object) -> int:
    try:
        return min(MAX_PAGE, max(1, int(str(value)[:12])))
    except ValueError:
        return 1
