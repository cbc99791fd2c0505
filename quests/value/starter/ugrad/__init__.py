"""ugrad: your own autograd engine, built quest by quest."""

from .engine import Value

__all__ = ["Value"]
