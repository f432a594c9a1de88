"""The page's few style rules: tables whose headers stay on one line and that scroll sideways on a phone rather than
break words letter by letter, the journal's cards and checklist."""

PAGE_CSS = """
#rehearsal-feedback th, .prose table th { white-space: nowrap; }
.prose table { display: block; max-width: 100%; overflow-x: auto; }
.prose table td, .prose table th { word-break: normal !important; overflow-wrap: normal !important; }
.prose table td { min-width: 6.5em; }
#rehearsal-feedback td:nth-child(2) { white-space: nowrap; }
.mentor-card { border-radius: 10px; }
.action-item.overdue { border-left: 4px solid var(--error-text-color, #c62828); padding-left: 6px; }
.action-item.done textarea, .action-item.done input[type=text] { text-decoration: line-through; opacity: 0.7; }
#status-line details summary { cursor: pointer; font-size: 0.9em; }
"""
