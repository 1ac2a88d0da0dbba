"""``python -m lettergen`` runs the command line."""
from .cli import main

main()
