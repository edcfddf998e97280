"""One change a form asks of the domain: committed when the rules accept it, and when they
refuse it, rolled back with the French reason shown under the field it is about."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from domain.core.errors import UserError
from extensions import db

T = TypeVar("T")


def saved(form, field: str, refusal: type[UserError], change: Callable[..., T], *args, **kwargs) -> T | None:
    """`change(*args, **kwargs)`, committed: its result. When it raises `refusal`: rolled back,
    the reason added to the errors of its field (`field` when it names none), and None."""
    try:
        result = change(*args, **kwargs)
    except refusal as exc:
        db.session.rollback()
        getattr(form, exc.field or field).errors.append(str(exc))
        return None
    db.session.commit()
    return result
