"""e6data_cpp: a PEP 249 connector for e6data on the C++ engine of e6data-cpp.

Named apart from e6data's own ``e6data_python_connector`` so both can be installed; code written
for that connector runs with the import changed (see docs/python.md for the differences).
"""

from . import _core
from .exceptions import (  # noqa: F401 - the package's public names
    AmbiguousSubmissionError, AuthenticationError, ClusterSuspendedError, ConnectionFailedError,
    DatabaseError, DataError, DecodeError, EngineInternalError, Error, IncompleteResultError,
    IntegrityError, InterfaceError, InternalError, NotSupportedError, OperationalError,
    ProgrammingError, QueryCancelledError, QueryError, QueryRefusedError, QueryTimeoutError,
    StrategyChangedError, UsageError, Warning)
from .exceptions import BY_KIND as _BY_KIND
from .types import (  # noqa: F401
    ARRAY, BINARY, BOOLEAN, DATE, DATETIME, DECIMAL128, DOUBLE, FLOAT, INTEGER, LONG, MAP, NULL,
    NUMBER, ROWID, STRING, STRUCT, TIMESTAMP, TIMESTAMP_TZ, Binary, Date, DateFromTicks,
    DBAPITypeObject, Time, TimeFromTicks, Timestamp, TimestampFromTicks)
from .dbapi import Connection, Cursor, connect, from_env  # noqa: F401
from .pool import ClusterManager, ConnectionPool  # noqa: F401
from . import strategy  # noqa: F401

_core._set_error_classes(_BY_KIND)

apilevel = "2.0"
threadsafety = 2  # threads may share the module and connections, not cursors
paramstyle = "pyformat"
__version__ = _core.__version__


def metrics_text():
    """The process's metrics in Prometheus text format (docs/observability.md)."""
    return _core.metrics_text()


def decode_result_batch(payload, expected_columns=None):
    """Decodes a captured ``resultBatch`` payload (a Thrift Chunk): ``.num_rows``,
    ``.column_types``, ``.rows()`` (tuples of Python values), ``.column(i)``, ``.raw_column(i)``."""
    return _core.decode_result_batch(bytes(payload), expected_columns)


def decode_result_metadata(payload):
    """Decodes a captured ``resultMetaData`` payload: ``{"row_count", "fields": [...]}``."""
    return _core.decode_result_metadata(bytes(payload))


__all__ = [
    "apilevel", "threadsafety", "paramstyle", "connect", "from_env", "Connection", "Cursor",
    "ConnectionPool", "ClusterManager", "strategy", "decode_result_batch", "decode_result_metadata", "metrics_text",
    "Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
    "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError",
    "IncompleteResultError", "AmbiguousSubmissionError", "QueryTimeoutError", "QueryCancelledError",
    "QueryError", "QueryRefusedError", "ConnectionFailedError", "AuthenticationError",
    "ClusterSuspendedError", "StrategyChangedError", "DecodeError", "UsageError",
    "EngineInternalError", "STRING", "BINARY", "NUMBER", "DATETIME", "ROWID", "Date", "Time",
    "Timestamp", "DateFromTicks", "TimeFromTicks", "TimestampFromTicks", "Binary",
]
