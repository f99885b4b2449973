"""Models trained on priorgraph exports, their metrics and the write-back of their results."""
