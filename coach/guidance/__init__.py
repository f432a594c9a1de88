"""Guidance: the built-in library and a user's own files → chunks → embeddings → Chroma index → retrieval."""
