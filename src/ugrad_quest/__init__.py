"""ugrad-quest: rebuild an autograd engine from scratch, one checked quest at a time."""

__version__ = "0.1.0"
