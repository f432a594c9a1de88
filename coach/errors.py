"""Errors the coach raises on purpose, each with a message a user can act on."""


class CoachError(Exception):
    """Base class: the message is safe to show to the user as it is."""


class KnowledgeError(CoachError):
    """The knowledge folder is missing, empty or unreadable."""


class StoreError(CoachError):
    """The Chroma index cannot be opened, written or repaired."""


class ModelError(CoachError):
    """The chat model failed to load or to answer."""


class ModelUnavailable(ModelError):
    """The model server cannot be reached or did not answer in time."""


class ModelAuthError(ModelError):
    """The model server rejected the API key."""


class InputError(CoachError):
    """The user's input cannot be used as it is."""


def describe_failure(exc: BaseException, *, where: str = "the model server") -> str:
    """A user-facing sentence for any failure while answering: what happened and what to do."""
    if isinstance(exc, CoachError):
        return str(exc)
    import openai  # imported here: only the OpenAI path raises these

    if isinstance(exc, openai.AuthenticationError):
        return f"{where} rejected the API key (401). Check OPENAI_API_KEY and restart the coach."
    if isinstance(exc, openai.RateLimitError):
        return f"{where} is rate-limiting requests (429). Wait a minute, then press Retry."
    if isinstance(exc, openai.APITimeoutError):
        return f"{where} did not answer in time. Check that it is running, or raise COACH_REQUEST_TIMEOUT."
    if isinstance(exc, openai.APIConnectionError):
        return f"Cannot reach {where}. Check that it is running and that OPENAI_BASE_URL is right."
    if isinstance(exc, openai.APIStatusError):
        return f"{where} answered with an error ({exc.status_code}). Try again, or switch models."
    return f"Something went wrong while answering ({type(exc).__name__}). Your conversation is kept; try again."
