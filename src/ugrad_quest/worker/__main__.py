"""`python -I -m ugrad_quest.worker CONFIG`: the Python engine worker (see main.py)."""

import sys

from ugrad_quest.worker.main import main

main(sys.argv[1:])
