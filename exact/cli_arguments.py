"""How the ``exactnet`` command line reads its words: misplaced options, empty values, suggestions.

argparse leaves a few things unsaid or says them wrongly, and these functions say them in
the command's own usage error (exit status 2):

* an option of a command given before the command's name (``exactnet -q count 2-5-1``) or
  after ``--``, which ends the options: where it goes, not "did you mean: -q -> -q";
* an unknown option: the closest known one (:func:`unrecognized_message`), and an unknown
  command's name likewise (:func:`check_command_name`);
* an option given ``--`` (``--geojson=--``), which Python 3.11's argparse turns into an
  empty list, or an empty value (``--geojson ''``), which would be taken for "not given"
  or for the current folder (:func:`check_option_values`).

Examples
--------
>>> import argparse
>>> top = argparse.ArgumentParser(prog="tool")
>>> sub = top.add_subparsers(dest="command")
>>> run = sub.add_parser("run")
>>> _ = run.add_argument("-q", "--quiet", action="store_true")
>>> args, extra = top.parse_known_args(["-q", "run"])
>>> unrecognized_message(command_parser(top, args), args, ["-q", "run"], extra)
'-q goes after the command name: exactnet run ... -q'
"""

from __future__ import annotations

import argparse
import difflib

__all__ = ["check_argument_words", "check_command_name", "check_leading_options", "check_option_values",
           "command_parser", "unrecognized_message"]

_NOT_EMPTY = {"--out": "a folder name", "--scheduler": "an address such as tcp://10.0.0.5:8786"}
"""What an option that must not be empty takes, when not a file name."""

_FILE_ARGUMENTS = {"spec": "a network spec file", "files": "the spec files to count"}
"""Positional arguments that name files, and what they take: an empty name would be the current folder."""


def command_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """Return the parser of the command ``args`` ran (the top-level parser without a command).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The top-level parser, with subcommands.
    args : argparse.Namespace
        What it parsed (``args.command``: the command's name, or None).

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> top = argparse.ArgumentParser()
    >>> run = top.add_subparsers(dest="command").add_parser("run")
    >>> command_parser(top, top.parse_args(["run"])) is run, command_parser(top, top.parse_args([])) is top
    (True, True)
    """
    command = getattr(args, "command", None)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def _did_you_mean(parser: argparse.ArgumentParser, extra: list[str]) -> str:
    """Suggest the options of ``parser`` closest to the unknown ones (argparse before 3.14 does not).

    Names are compared without their dashes: ``--bogus`` is not close to ``--jobs`` for
    sharing ``--``.  An option is never suggested for itself.
    """
    known = {option.lstrip("-"): option for option in parser._option_string_actions}
    tips = [f"{word} -> {known[close[0]]}" for word in extra if word.startswith("-")
            for close in [difflib.get_close_matches(word.split("=")[0].lstrip("-"), known, n=1, cutoff=0.6)]
            if close and known[close[0]] != word.split("=")[0]]
    return f" (did you mean: {'; '.join(tips)}?)" if tips else ""


def unrecognized_message(parser: argparse.ArgumentParser, args: argparse.Namespace, argv: list[str],
                         extra: list[str]) -> str:
    """Say why arguments were not taken: options before the command's name or after ``--``, or unknown.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser (:func:`command_parser`), or the top-level one.
    args : argparse.Namespace
        What was parsed (``args.command``: the command's name).
    argv : list of str
        The arguments as given.
    extra : list of str
        Those argparse did not take (``parse_known_args``).

    Returns
    -------
    str
        The usage error's message.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> _ = p.add_argument("--json", action="store_true")
    >>> unrecognized_message(p, argparse.Namespace(command="count"), ["count", "--jsno"], ["--jsno"])
    'unrecognized arguments: --jsno (did you mean: --jsno -> --json?)'
    """
    command = getattr(args, "command", None)
    names = [w for w in extra if w.split("=")[0] in parser._option_string_actions and w in argv]
    start = argv.index(command) if command in argv else len(argv)
    before = [w for w in names if argv.index(w) < start]
    after = [w for w in names if w not in before and "--" in argv[start:argv.index(w)]]
    rest = [w for w in extra if w not in before and w not in after]
    why = []
    if before:
        why.append(f"{' '.join(before)} {'goes' if len(before) == 1 else 'go'} after the command name: "
                   f"exactnet {command} ... {' '.join(before)}")
    if after:
        why.append(f"{' '.join(after)} came after '--', which ends the options: put "
                   f"{'it' if len(after) == 1 else 'them'} before '--'")
    if rest:
        why.append(f"unrecognized arguments: {' '.join(rest)}{_did_you_mean(parser, rest)}")
    return "; ".join(why)


def check_option_values(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse an option given ``--`` (an empty list from Python 3.11's argparse) or an empty value.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser; its ``error`` reports the option (exit status 2).
    args : argparse.Namespace
        What it parsed.

    Returns
    -------
    None

    Raises
    ------
    SystemExit
        With status 2, through ``parser.error``, naming the option.

    Examples
    --------
    >>> p = argparse.ArgumentParser(prog="exactnet regions")
    >>> _ = p.add_argument("--geojson")
    >>> check_option_values(p, p.parse_args(["--geojson", "cells.json"]))
    >>> check_option_values(p, p.parse_args(["--geojson", ""]))
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    for action in parser._actions:
        if not action.option_strings and action.dest in _FILE_ARGUMENTS:
            given = getattr(args, action.dest, None)
            if "" in (given if isinstance(given, list) else [given]):
                parser.error(f"argument {action.metavar or action.dest}: a file name is empty; give "
                             f"{_FILE_ARGUMENTS[action.dest]}")
        if not action.option_strings or action.nargs is not None:
            continue
        name, value = action.option_strings[-1], getattr(args, action.dest, None)
        values = value if isinstance(action, argparse._AppendAction) and value else [value]
        takes_file = action.type is None and action.choices is None and name not in _NOT_EMPTY
        if any(isinstance(v, list) and not v for v in values):
            parser.error(f"argument {name}: expected a value, got '--', which ends the options"
                         + (" (a file named '--' is ./--)" if takes_file else ""))
        if action.type is None and "" in values:
            parser.error(f"argument {name}: the value is empty; give {_NOT_EMPTY.get(name, 'a file name')}")


def check_leading_options(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """Refuse a command's option given with its value before the command's name (``--window 3 count``).

    argparse would take the value for the command's name ("invalid choice: '3'"); an option
    alone before the name (``-q count``, ``--window=3 count``) is explained by
    :func:`unrecognized_message` after parsing.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The top-level parser, with subcommands.
    argv : list of str
        The arguments as given.

    Returns
    -------
    None

    Raises
    ------
    SystemExit
        With status 2, through the command's ``parser.error``: where the option goes.

    Examples
    --------
    >>> top = argparse.ArgumentParser(prog="tool")
    >>> run = top.add_subparsers(dest="command").add_parser("run", prog="tool run")
    >>> _ = run.add_argument("--window")
    >>> check_leading_options(top, ["run", "--window", "3"])
    >>> check_leading_options(top, ["--window", "3", "run"])
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    commands = _commands(parser)
    start = next((i for i, w in enumerate(argv) if w in commands), None)
    if not start or all(w.startswith("-") for w in argv[:start]) or "--" in argv[:start]:
        return  # no command, nothing before it, or only options: parse_known_args says it
    command = commands[argv[start]]
    if argv[0].split("=")[0] not in command._option_string_actions:
        return
    before, options = " ".join(argv[:start]), sum(w.startswith("-") for w in argv[:start])
    command.error(f"{before} {'goes' if options == 1 else 'go'} after the command name: "
                  f"exactnet {argv[start]} ... {before}")


def check_command_name(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """Refuse a misspelt command's name with the closest command (argparse before 3.14 lists them all).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The top-level parser, with subcommands.
    argv : list of str
        The arguments as given.

    Returns
    -------
    None

    Raises
    ------
    SystemExit
        With status 2, through ``parser.error``, when the first word that is not an option is
        no command's name but close to one.

    Examples
    --------
    >>> top = argparse.ArgumentParser(prog="tool")
    >>> _ = top.add_subparsers(dest="command").add_parser("regions")
    >>> check_command_name(top, ["regions", "net.pt"])
    >>> check_command_name(top, ["regoins", "net.pt"])
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    commands = _commands(parser)
    word = next((w for w in argv if not w.startswith("-")), None)
    if word is None or word in commands or "--" in argv[:argv.index(word)]:
        return
    close = difflib.get_close_matches(word, list(commands), n=1, cutoff=0.6)
    if close:
        parser.error(f"argument COMMAND: invalid choice: {word!r} (did you mean {close[0]!r}? "
                     f"choose from {', '.join(map(repr, commands))})")


def check_argument_words(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """Check the words before parsing: a command's option before its name, a misspelt command's name.

    :func:`check_leading_options`, then :func:`check_command_name`.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The top-level parser, with subcommands.
    argv : list of str
        The arguments as given.

    Returns
    -------
    None

    Raises
    ------
    SystemExit
        With status 2, through ``parser.error`` or the command's, as those functions do.

    Examples
    --------
    >>> top = argparse.ArgumentParser(prog="tool")
    >>> _ = top.add_subparsers(dest="command").add_parser("run", prog="tool run")
    >>> check_argument_words(top, ["run"])
    """
    check_leading_options(parser, argv)
    check_command_name(parser, argv)


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Return the parser's commands by name (empty without subcommands)."""
    return next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})
