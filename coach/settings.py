"""Settings for every part of the coach, read from COACH_* / OPENAI_* variables and an optional .env."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """Per-user data location (XDG on Linux), so the index and journal outlive a checkout."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mentor-coach"


class Settings(BaseSettings):
    """All configuration; build with `Settings()` (environment) or `Settings(**values)` (tests)."""

    model_config = SettingsConfigDict(env_prefix="COACH_", env_file=".env", extra="forbid", populate_by_name=True)

    data_dir: Path = Field(default_factory=default_data_dir, description="Where the Chroma index and journal live.")
    journal_path: Path | None = Field(
        default=None, description="SQLite file of the mentoring journal; default: data_dir/journal.sqlite3."
    )
    users: SecretStr | None = Field(
        default=None,
        description="Log-in accounts as 'name:password,name2:password2'; each user sees only their own journal.",
    )
    knowledge_dir: Path | None = Field(
        default=None, description="Folder of guidance to index instead of the built-in guidance shipped in the package."
    )
    own_guidance_dir: Path = Field(
        default=Path("knowledge"),
        description="Your own guidance files, indexed beside the built-in guidance when the folder exists "
        "(relative to the working directory).",
    )
    prompts_dir: Path = Field(
        default=Path("prompts"),
        description="Prompt overrides: a file here named like a packaged prompt wins over it (working directory).",
    )
    collection: str = Field(default="guidance", description="Chroma collection name.")
    chroma_url: str | None = Field(
        default=None, description="URL of a Chroma server; unset means Chroma on disk in data_dir."
    )
    provider: Literal["auto", "local", "openai", "fake"] = Field(
        default="auto",
        description="Chat model: 'auto' uses OpenAI when a key or base URL is set, else local.",
    )
    local_model: Path | None = Field(
        default=None, description="GGUF file for the local model; default: the bundled SmolLM2."
    )
    model_catalog: Path | None = Field(
        default=None, description="A table of models for `coach model` instead of the packaged one (mirrors, tests)."
    )
    local_threads: int | None = Field(default=None, description="llama.cpp threads (None: auto).")
    context_window: int = Field(default=4096, ge=512, description="Model context in tokens.")
    max_answer_tokens: int = Field(default=384, ge=16, description="Longest answer in tokens.")
    temperature: float = Field(default=0.3, ge=0.0, le=2.0, description="Sampling temperature.")
    retrieval_mode: Literal["dense", "bm25", "hybrid"] = Field(
        default="hybrid",
        description="hybrid: passage vectors, everyday-phrasing vectors and BM25 fused by score (best measured); "
        "or one kind alone.",
    )
    top_k: int = Field(default=4, ge=1, le=20, description="Passages retrieved per question.")
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_API_KEY", "COACH_OPENAI_API_KEY", "openai_api_key"),
        description="API key for OpenAI or a compatible server.",
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENAI_BASE_URL", "COACH_OPENAI_BASE_URL", "openai_base_url"),
        description="Base URL of an OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp).",
    )
    openai_model: str = Field(
        default="gpt-4o-mini",
        validation_alias=AliasChoices("OPENAI_MODEL", "COACH_OPENAI_MODEL", "openai_model"),
        description="Model name sent to the OpenAI-compatible server.",
    )
    request_timeout: float = Field(default=60.0, gt=0, description="Seconds to wait for a server.")
    max_retries: int = Field(default=2, ge=0, le=5, description="Retries on transient errors.")
    admins: str = Field(
        default="",
        description="Accounts (comma-separated names from COACH_USERS) that may re-index or change the shared "
        "guidance; without log-in the single local user may.",
    )
    download_max_age: float = Field(
        default=600.0,
        gt=0,
        description="Seconds a file made for a download (exports, agendas, transcripts) is kept in the private "
        "folder data_dir/private-tmp before it is deleted.",
    )
    passphrase: SecretStr | None = Field(
        default=None,
        description="Encrypt the journal database with this passphrase (SQLCipher); unset: a plain SQLite file.",
    )
    login_free_failures: int = Field(
        default=3, ge=1, description="Failed log-ins allowed per account or address before each attempt waits."
    )
    login_base_delay: float = Field(
        default=1.0, gt=0, description="Seconds the first throttled log-in waits; each further failure doubles it."
    )
    login_max_delay: float = Field(default=30.0, gt=0, description="Longest wait before a log-in attempt, seconds.")
    host: str = Field(default="127.0.0.1", description="Address the web page binds to.")
    port: int = Field(default=7860, ge=0, le=65535, description="Port of the web page.")

    def resolved_provider(self) -> str:
        """The concrete provider 'auto' stands for."""
        if self.provider != "auto":
            return self.provider
        return "openai" if (self.openai_api_key or self.openai_base_url) else "local"

    @property
    def journal_file(self) -> Path:
        return self.journal_path or self.data_dir / "journal.sqlite3"

    def accounts(self) -> list[tuple[str, str]]:
        """(user, password) pairs from `users`; empty when the app runs for one local user."""
        if not self.users:
            return []
        pairs = [item.partition(":") for item in self.users.get_secret_value().split(",") if item.strip()]
        return [(name.strip(), password) for name, _, password in pairs if name.strip() and password]

    def journal_passphrase(self) -> str | None:
        """The passphrase the journal is encrypted with, if any."""
        return self.passphrase.get_secret_value() if self.passphrase else None

    def admin_names(self) -> set[str]:
        """The accounts named in `admins`."""
        return {name.strip() for name in self.admins.split(",") if name.strip()}

    @property
    def private_tmp(self) -> Path:
        """Where files made for a download live until served and aged out (mode 0700)."""
        return self.data_dir / "private-tmp"

    def guidance_folders(self) -> list[Path]:
        """What the index holds: the built-in guidance (or `knowledge_dir`), then the user's own folder."""
        from coach.guidance.sources import LIBRARY

        return [self.knowledge_dir or LIBRARY, self.own_guidance_dir]

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    def public_summary(self) -> dict[str, Any]:
        """Settings safe to show on the page or in logs: never the key."""
        return self.model_dump(exclude={"openai_api_key", "users", "passphrase"}, mode="json")
