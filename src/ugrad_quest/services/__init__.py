"""Use cases, one module each. They return plain dataclasses and never print."""
