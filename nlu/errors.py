"""The NLU package's one error hierarchy."""


class NluError(Exception):
    """Anything the NLU package refuses: bad training data, a missing model, a bad device."""


class TrainingDataError(NluError):
    """Training data that cannot be read; the message names the file, line and problem."""
