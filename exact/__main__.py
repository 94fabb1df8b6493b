"""``python -m exact``: the exactnet command line (the same as the ``exactnet`` script).

Running the module runs :func:`exact.command_entry.run`; importing it imports nothing more.
"""

from .command_entry import run

__all__: list[str] = []

if __name__ == "__main__":
    run()
