"""Layer 5, orchestration: simulate, mergeable summaries, analyse, threshold design, sweeps,
comparisons, storage and executors."""
