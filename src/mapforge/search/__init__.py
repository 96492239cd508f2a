"""The search around the harness: what a job keeps (significant selection, a population of parents),
what it refuses to evaluate (duplicates, exemplar copies), and what it knows about the machine."""
