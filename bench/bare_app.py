"""The baseline page: a bare gr.ChatInterface streaming a fixed reply; `python -m bench.bare_app PORT REPLY`.

It imports nothing but Gradio, so as a subprocess it is the start-up floor of any Gradio chat page.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any


def build(reply: str) -> Any:
    """A ChatInterface that streams `reply` in the pieces GenericFakeChatModel streams it in."""
    import gradio as gr

    pieces = re.split(r"(\s)", reply)

    def echo(message: str, history: list[dict]) -> Iterator[str]:
        text = ""
        for piece in pieces:
            text += piece
            yield text

    app = gr.ChatInterface(fn=echo, api_name="ask", analytics_enabled=False)
    app.queue(default_concurrency_limit=4)
    return app


if __name__ == "__main__":
    build(sys.argv[2]).launch(server_name="127.0.0.1", server_port=int(sys.argv[1]), share=False, quiet=True)
