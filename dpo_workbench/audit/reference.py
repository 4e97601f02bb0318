"""The request reference of the steps being taken, for every event they record.

A DPO works a data subject's request under a case number. Every audit event a
step of that request records (the search, the report written, the files read,
the erasure planned, executed and verified) carries it, so the case can be
followed through the log: ``audit list --reference DPO-2025-017``.

The reference is held in a context variable for the duration of a step rather
than passed down to every place that records an event: a report reading files,
an erasure searching again to verify itself, all record under the reference of
the call that started them, and a step added later cannot forget to pass it on.
:func:`takes_reference` gives a workbench method the keyword ``reference=``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from .events import check_reference

_CURRENT: ContextVar[str | None] = ContextVar("dpo_workbench_request_reference", default=None)

F = TypeVar("F", bound=Callable[..., Any])


def current_reference() -> str | None:
    """The reference of the request being worked on, ``None`` outside any.

    Examples
    --------
    >>> current_reference() is None
    True
    >>> with request_reference("DPO-2025-017"):
    ...     current_reference()
    'DPO-2025-017'
    """
    return _CURRENT.get()


@contextmanager
def request_reference(reference: str | None) -> Iterator[str | None]:
    """Record ``reference`` in the events of the steps taken inside the block.

    ``None`` keeps the enclosing block's reference (if any); a reference given
    inside another one replaces it for the inner block. The reference is checked
    first (:func:`~dpo_workbench.audit.events.check_reference`): a refused one
    raises a UsageError before anything runs.

    Examples
    --------
    >>> with request_reference("A-1"):
    ...     with request_reference(None):
    ...         outer = current_reference()
    ...     with request_reference("B-2"):
    ...         inner = current_reference()
    >>> outer, inner, current_reference()
    ('A-1', 'B-2', None)
    """
    if reference is None:
        yield current_reference()
        return
    token = _CURRENT.set(check_reference(reference))
    try:
        yield reference
    finally:
        _CURRENT.reset(token)


def takes_reference(method: F) -> F:
    """Give ``method`` a keyword-only ``reference=`` under which it runs.

    The wrapped method runs inside :func:`request_reference`, so every event it
    records carries the reference; its signature (``help()``, completion in
    JupyterLab) shows the new keyword.

    Examples
    --------
    >>> @takes_reference
    ... def step(x):
    ...     return x, current_reference()
    >>> step(1, reference="DPO-7")
    (1, 'DPO-7')
    >>> str(inspect.signature(step))
    '(x, *, reference: str | None = None)'
    """
    @functools.wraps(method)
    def wrapper(*args: Any, reference: str | None = None, **kwargs: Any) -> Any:
        with request_reference(reference):
            return method(*args, **kwargs)

    signature = inspect.signature(method)
    params = list(signature.parameters.values())
    keyword = inspect.Parameter("reference", inspect.Parameter.KEYWORD_ONLY, default=None,
                                annotation=str | None)
    at = next((i for i, p in enumerate(params) if p.kind is p.VAR_KEYWORD), len(params))
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*params[:at], keyword, *params[at:]])
    return wrapper  # type: ignore[return-value]
