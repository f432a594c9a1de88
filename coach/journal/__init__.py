"""The mentoring journal: SQLite store, records, import/export and the meeting debrief."""
