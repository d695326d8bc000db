"""PEP 249 type objects and constructors.

A column's ``type_code`` in ``cursor.description`` is the e6data type name (``"LONG"``,
``"DECIMAL128"``, ...). The PEP 249 groups compare equal to the names they cover
(``cursor.description[0][1] == NUMBER``).
"""

import datetime
import time


class DBAPITypeObject:
    """Equal to each type name it covers."""

    def __init__(self, *names):
        self.values = frozenset(names)

    def __eq__(self, other):
        if isinstance(other, DBAPITypeObject):
            return self.values == other.values
        return other in self.values

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.values)

    def __repr__(self):
        return f"DBAPITypeObject{tuple(sorted(self.values))}"


STRING = DBAPITypeObject("STRING", "ARRAY", "MAP", "STRUCT", "CHAR", "VARCHAR")
BINARY = DBAPITypeObject("BINARY")
NUMBER = DBAPITypeObject("INTEGER", "LONG", "DOUBLE", "FLOAT", "DECIMAL128", "BOOLEAN")
DATETIME = DBAPITypeObject("DATE", "DATETIME", "TIMESTAMP", "TIMESTAMP_TZ")
ROWID = DBAPITypeObject()

# One object per e6data type, as e6data's Python connector offers them.
BOOLEAN = DBAPITypeObject("BOOLEAN")
INTEGER = DBAPITypeObject("INTEGER")
LONG = DBAPITypeObject("LONG")
DOUBLE = DBAPITypeObject("DOUBLE")
FLOAT = DBAPITypeObject("FLOAT")
DECIMAL128 = DBAPITypeObject("DECIMAL128")
DATE = DBAPITypeObject("DATE")
TIMESTAMP = DBAPITypeObject("DATETIME", "TIMESTAMP")
TIMESTAMP_TZ = DBAPITypeObject("TIMESTAMP_TZ")
ARRAY = DBAPITypeObject("ARRAY")
MAP = DBAPITypeObject("MAP")
STRUCT = DBAPITypeObject("STRUCT")
NULL = DBAPITypeObject("NULL")

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime


def DateFromTicks(ticks):  # noqa: N802 - PEP 249 names
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks):  # noqa: N802
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks):  # noqa: N802
    return Timestamp(*time.localtime(ticks)[:6])


def Binary(value):  # noqa: N802
    return bytes(value)
