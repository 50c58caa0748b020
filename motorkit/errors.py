"""Errors meant for the user: one line each, printed by the command line without a traceback."""

from __future__ import annotations


class MotorkitError(Exception):
    """An error with a one-line message meant for the user (the CLI prints it without a traceback)."""


class TrainingDiverged(MotorkitError):
    """The loss became NaN or infinite."""


class CheckpointError(MotorkitError):
    """A checkpoint is missing, corrupt, or not a motorkit checkpoint."""
