"""Layer 4, analysis on any probabilistic sensitivity analysis: decision statistics, value of
information, sensitivity and scenario discovery. Knows nothing about AI regulation."""
