"""Start the Mentor Coach web page: `python app.py` (or `make run`)."""

from coach.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["serve"]))
