"""The chat: one turn is routed to an answer, a tool or a rehearsal move."""
