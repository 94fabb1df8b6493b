"""``python -m exact``: the exactnet command line (the same as the ``exactnet`` script).

Running the module runs :func:`exact.cli.run`; importing it imports the command line's
parser module and nothing more.
"""

from .cli import run

__all__: list[str] = []

if __name__ == "__main__":
    run()
