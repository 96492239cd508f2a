"""mapforge: LLM agents that write and optimise code in a sandbox that owns every verdict."""

__version__ = "0.1.0"
