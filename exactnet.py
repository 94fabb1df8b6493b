"""``python -m exactnet``: the exactnet command line (the same as the ``exactnet`` script)."""

from exact.command_entry import run

if __name__ == "__main__":
    run()
