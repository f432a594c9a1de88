"""Errors the coach raises on purpose, each with a message a user can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pydantic import ValidationError


class CoachError(Exception):
    """Base class: the message is safe to show to the user as it is."""


class KnowledgeError(CoachError):
    """The knowledge folder is missing, empty or unreadable."""


class StoreError(CoachError):
    """The Chroma index cannot be opened, written or repaired."""


class StoreDamaged(StoreError):
    """The on-disk index cannot be opened: it is derived data, so it can be moved aside and built again."""


class ModelError(CoachError):
    """The chat model failed to load or to answer."""


class ModelUnavailable(ModelError):
    """The model server cannot be reached or did not answer in time."""


class ModelCrashed(ModelError):
    """The local model's process died mid-request (segfault, abort, OOM kill); it has been restarted."""


class ModelAuthError(ModelError):
    """The model server rejected the API key."""


class InputError(CoachError):
    """The user's input cannot be used as it is."""


class StartupFailed(CoachError):
    """The coach could not start (index, model or guidance); the page says why until the app is restarted."""


def validation_summary(exc: ValidationError, limit: int = 8, what: str = "value") -> str:
    """Pydantic's errors as one readable line: 'field: message; other: message' (the one formatter for all)."""
    parts = []
    for error in exc.errors()[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or what
        parts.append(f"{where}: {str(error['msg']).removeprefix('Value error, ')}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def server_address(url: object) -> str:
    """A server URL as it is safe to show: scheme, host, port and path, never a user:password part or a query."""
    parts = urlsplit(str(url))
    if not parts.hostname:
        return str(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}".rstrip("/")


def _where(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    if not url:
        return "the model server"
    parts = urlsplit(str(url))
    if parts.hostname == "local":  # the supervised local model, reached over its private socket
        return "the local model"
    return f"the model server at {server_address(f'{parts.scheme}://{parts.netloc}')}"


def describe_failure(exc: BaseException, *, where: str | None = None, cut_off: bool = False) -> str:
    """A user-facing sentence for any failure while answering: what happened and what to do.

    Never the exception's own text for unknown errors (it may carry a traceback, a prompt or a key); `cut_off`
    says part of the model's answer had already arrived, so a broken connection reads as an interrupted answer.
    """
    if isinstance(exc, CoachError):
        return str(exc)
    import openai  # imported here: only the OpenAI path raises these

    server = where or _where(exc)
    server_ = server[:1].upper() + server[1:]
    if cut_off and isinstance(exc, openai.APIConnectionError):  # APITimeoutError is one too
        return (
            f"Cannot reach {server} any more: the connection broke before the answer was finished. "
            "The guidance's own answer is kept above; press Retry for the model's whole answer."
        )
    if isinstance(exc, openai.AuthenticationError):
        return f"{server_} rejected the API key (401). Check OPENAI_API_KEY and restart the coach."
    if isinstance(exc, openai.RateLimitError):
        return f"{server_} is rate-limiting requests (429). Wait a minute, then press Retry."
    if isinstance(exc, openai.APITimeoutError):
        return f"{server_} did not answer in time. Check that it is running, or raise COACH_REQUEST_TIMEOUT."
    if isinstance(exc, openai.APIConnectionError):
        return f"Cannot reach {server}. Check that it is running and that OPENAI_BASE_URL is right."
    if isinstance(exc, openai.APIStatusError):
        return f"{server_} answered with an error ({exc.status_code}). Try again, or switch models."
    return f"Something went wrong while answering ({type(exc).__name__}). Your conversation is kept; try again."
