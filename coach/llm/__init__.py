"""The model: chat-model factory, the supervised local llama.cpp server, prompts, structured output."""
