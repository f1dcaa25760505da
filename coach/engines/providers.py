"""Hosted providers and the environment variables that hold their keys: the one table.

Why one table: the key check before a request (``llm.check_key``), ``coach models`` and the engine
registry (``engines.get_engine``) must agree on which variable a provider's key lives in; two copies
had already drifted (one knew nine providers, the other five). Reading it imports nothing heavy.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    prefix: str                  # the litellm prefix: openai/NAME, anthropic/NAME, ...
    keys: tuple[str, ...]        # key variables, in the order litellm reads them
    example: str = ""            # a model `coach models` shows; "" = not listed there
    what: str = ""               # one line of help for `coach models`

    @property
    def key_env_var(self) -> str:
        """The variable the key check asks for (the first one litellm reads)."""
        return self.keys[0]


PROVIDERS: tuple[Provider, ...] = (
    Provider("openai", ("OPENAI_API_KEY",), "openai/gpt-4o-mini", "OpenAI's hosted models"),
    Provider("anthropic", ("ANTHROPIC_API_KEY",), "anthropic/claude-3-5-haiku-latest", "Anthropic's Claude models"),
    Provider("gemini", ("GEMINI_API_KEY", "GOOGLE_API_KEY"), "gemini/gemini-2.0-flash", "Google's Gemini models"),
    Provider("mistral", ("MISTRAL_API_KEY",), "mistral/mistral-small-latest", "Mistral's hosted models"),
    Provider("groq", ("GROQ_API_KEY",), "groq/llama-3.1-8b-instant", "open models served fast by Groq"),
    Provider("cohere", ("COHERE_API_KEY",)),
    Provider("deepseek", ("DEEPSEEK_API_KEY",)),
    Provider("openrouter", ("OPENROUTER_API_KEY",)),
    Provider("together_ai", ("TOGETHERAI_API_KEY",)),
)

BY_PREFIX: dict[str, Provider] = {p.prefix: p for p in PROVIDERS}

# provider prefix -> the key variable the pre-request check names
KEY_VARIABLES: dict[str, str] = {p.prefix: p.key_env_var for p in PROVIDERS}

# Prefixes that run without any key: on this machine or on a server the user names.
KEYLESS_PREFIXES: tuple[str, ...] = ("local", "ollama", "ollama_chat")


def provider_of(model: str) -> str:
    """The litellm provider prefix of a model name; a bare name is an OpenAI model (litellm's reading)."""
    name = (model or "").strip()
    return name.split("/", 1)[0].lower() if "/" in name else "openai"
