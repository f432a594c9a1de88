"""The journal's row types: one pydantic model per table, validated on the way in and on the way out."""

from __future__ import annotations

from datetime import UTC, date
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from coach.errors import InputError


def checked_user(user: str) -> str:
    """The account name rows are kept under; a blank or huge one is refused before any SQL runs."""
    if not isinstance(user, str) or not user.strip() or len(user) > 320:
        raise InputError("The journal needs a user id: a non-blank text of at most 320 characters.")
    return user


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


# Every text has a length limit: it also makes pydantic reject unpaired surrogates, which SQLite cannot store.
Name = Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_not_blank)]
Short = Annotated[str, StringConstraints(max_length=500)]
Sentence = Annotated[str, StringConstraints(min_length=1, max_length=10_000), AfterValidator(_not_blank)]
Medium = Annotated[str, StringConstraints(max_length=10_000)]
Long = Annotated[str, StringConstraints(max_length=1_000_000)]
Utc = Annotated[AwareDatetime, AfterValidator(lambda moment: moment.astimezone(UTC))]
RowId = Annotated[int, Field(ge=1)]

GoalStatus = Literal["active", "achieved", "dropped"]
Owner = Literal["me", "mentor"]
ItemStatus = Literal["open", "done"]


class Record(BaseModel):
    """One row of a user's journal; the user is not part of it, so an export can be imported for another user."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    TABLE: ClassVar[str]
    NOUN: ClassVar[str]
    USER_COLUMN: ClassVar[str] = "user_id"  # tables from schema version 3 on name it `user`

    id: RowId


class Goal(Record):
    TABLE = "goals"
    NOUN = "goal"

    text: Sentence
    status: GoalStatus = "active"
    created_at: Utc


class Mentor(Record):
    TABLE = "mentors"
    NOUN = "mentor"

    name: Name
    role: Short = ""
    how_met: Medium = ""
    cadence: Short = Field(default="", description="How often you meet, in your words: 'monthly', 'ad hoc'.")
    channel: Short = Field(default="", description="Where you meet: 'video call', 'coffee', 'email'.")
    notes: Long = ""
    created_at: Utc


class Meeting(Record):
    TABLE = "meetings"
    NOUN = "meeting"

    mentor_id: RowId
    starts_at: Utc
    minutes: int = Field(default=30, ge=0, le=24 * 60)
    agenda: Long = Field(default="", description="Markdown.")
    notes: Long = ""
    created_at: Utc


class ActionItem(Record):
    TABLE = "action_items"
    NOUN = "action item"

    mentor_id: RowId | None = None
    meeting_id: RowId | None = None
    text: Sentence
    owner: Owner = "me"
    due: date | None = None
    status: ItemStatus = "open"
    created_at: Utc
    done_at: Utc | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.status == "done") != (self.done_at is not None):
            raise ValueError("done_at is set exactly when status is 'done'")
        if self.meeting_id is not None and self.mentor_id is None:
            raise ValueError("an action item from a meeting has that meeting's mentor_id")
        return self


class Conversation(Record):
    """A chat kept on the server: titled from its first message, renamable."""

    TABLE = "conversations"
    NOUN = "conversation"
    USER_COLUMN = "user"

    title: Name
    created_at: Utc
    updated_at: Utc


class ConversationMessage(Record):
    """One message of a conversation; `id` is its position (1, 2, …) and `title` folds it (sources, tool forms)."""

    TABLE = "conversation_messages"
    NOUN = "message"
    USER_COLUMN = "user"

    conversation_id: RowId
    role: Literal["user", "assistant"]
    text: Long
    title: Short | None = None


class AnswerFeedback(Record):
    """A thumbs up or down on one answer, with what was asked and what the coach showed."""

    TABLE = "answer_feedback"
    NOUN = "feedback"
    USER_COLUMN = "user"

    liked: bool
    reason: Medium = ""
    question: Long
    answer: Long
    sources: Long = ""
    conversation_id: RowId | None = None
    created_at: Utc
