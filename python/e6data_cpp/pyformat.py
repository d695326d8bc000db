"""PEP 249 ``pyformat`` placeholders (``%s``, ``%(name)s``) turned into the engine's typed
placeholders (``?``, ``:name``), so values travel as typed parameters (with a catalog) or as
literals the engine writes safely (without one), never spliced in by string formatting."""

import re
from collections.abc import Mapping

from .exceptions import ProgrammingError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def translate(operation, parameters):
    """Returns ``(sql, values)`` for the engine: ``values`` is None (no parameters), a list (for
    ``?``) or a dict (for ``:name``). As with Python's ``%`` operator, ``%%`` is a literal ``%``
    once parameters are given, and every other ``%`` sequence is an error."""
    if not isinstance(operation, str):
        raise ProgrammingError(f"the operation must be a str, not {type(operation).__name__}")
    if parameters is None:
        return operation, None
    named = isinstance(parameters, Mapping)
    if not named and isinstance(parameters, (str, bytes)):
        raise ProgrammingError("parameters must be a sequence or a mapping, not a string")
    out = []
    used = []
    positional = 0
    i = 0
    n = len(operation)
    while i < n:
        c = operation[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        nxt = operation[i + 1] if i + 1 < n else ""
        if nxt == "%":
            out.append("%")
            i += 2
        elif nxt == "s":
            if named:
                raise ProgrammingError(f"%s at offset {i} needs a sequence of parameters, got a mapping")
            out.append("?")
            positional += 1
            i += 2
        elif nxt == "(":
            close = operation.find(")", i + 2)
            if close < 0 or close + 1 >= n or operation[close + 1] != "s":
                raise ProgrammingError(f"unterminated %(name)s placeholder at offset {i}")
            name = operation[i + 2:close]
            if not named:
                raise ProgrammingError(f"%({name})s at offset {i} needs a mapping of parameters")
            if not _NAME.match(name):
                raise ProgrammingError(f"placeholder name {name!r} is not an identifier")
            if name not in parameters:
                raise ProgrammingError(f"no value for placeholder %({name})s")
            out.append(":" + name)
            used.append(name)
            i = close + 2
        else:
            raise ProgrammingError(
                f"unsupported format character {nxt!r} at offset {i} (use %s, %(name)s or %%)")
    if named:
        # Like Python's % operator, keys no placeholder names are ignored.
        return "".join(out), {name: parameters[name] for name in dict.fromkeys(used)}
    values = list(parameters)
    if len(values) != positional:
        raise ProgrammingError(
            f"the operation has {positional} %s placeholders but {len(values)} parameters were given")
    return "".join(out), values
