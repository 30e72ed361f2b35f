"""The scripts behind the make targets, run as `python -m tools.<name>` from the project root."""
