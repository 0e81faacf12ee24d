"""``python -m arealkart``: the same as the ``arealkart`` command."""

from arealkart.cli import main

if __name__ == "__main__":
    main()
