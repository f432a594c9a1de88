"""The Gradio page: served first, the coach started behind it."""
