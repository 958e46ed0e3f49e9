"""NLU: training data, the joint intent and entity model, inference, evaluation."""
