"""Region simulator: a deterministic model of a healthcare region (hospitals and
municipal care) that publishes its beds through the engine's real source dialects."""
