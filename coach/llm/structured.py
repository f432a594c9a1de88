"""One entry point for structured output: ask for JSON, validate it with pydantic, retry once with the error.

Where the model can constrain sampling to a JSON schema (llama.cpp grammars), the schema is sent with the request,
so even the tiny built-in model returns parseable JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from coach.errors import ModelError, validation_summary
from coach.llm.capabilities import capabilities_of

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Schema = TypeVar("Schema", bound=BaseModel)


class StructuredOutputError(ModelError):
    """The model gave no valid JSON for the schema after the retry; `detail` says what was wrong."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"The model did not return usable output after two tries ({detail}).")


def json_object(text: str) -> str:
    """The outermost {...} of a reply (code fences and chatter around it ignored)."""
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if 0 <= start < end else text.strip() or "null"


def structured(
    model: BaseChatModel,
    messages: list[BaseMessage],
    schema: type[Schema],
    *,
    max_tokens: int | None = None,
    retry_hint: str = "Reply again with only the JSON object.",
) -> Schema:
    """The model's reply as a validated `schema` instance; StructuredOutputError after two tries."""
    options: dict = {"temperature": 0}  # the same input gets the same structure
    if capabilities_of(model).json_schema:
        options["extra_body"] = {"response_format": {"type": "json_object", "schema": schema.model_json_schema()}}
        if max_tokens:
            options["max_tokens"] = max_tokens
    error = ""
    for _ in range(2):
        reply = str(model.invoke(messages, **options).content)
        try:
            return schema.model_validate_json(json_object(reply))
        except ValidationError as exc:
            error = validation_summary(exc)
        messages = [*messages, AIMessage(reply), HumanMessage(f"That reply was not valid: {error}. {retry_hint}")]
    raise StructuredOutputError(error)
