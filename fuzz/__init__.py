"""Contract fuzzing: schemathesis against a running FitCore, as every kind of caller (see run.py)."""
