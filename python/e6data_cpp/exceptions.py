"""The PEP 249 exception hierarchy, with a class for each kind of failure the engine reports.

Every exception the package raises derives from :class:`Error`. Errors that come from a call to
the cluster carry what is known about it as attributes: ``kind`` (the engine's error kind, e.g.
``"query"``, ``"timeout"``), ``query_id``, ``grpc_code``, ``server_message``, ``strategy`` (the
deployment, ``"blue"``/``"green"``, or None), ``http_status`` (456 or 503 from the router, else
0), ``retryable`` and ``cause``.
"""


class Warning(Exception):  # noqa: A001 - the name PEP 249 requires
    """PEP 249 Warning (not raised by this package)."""


class Error(Exception):
    """Base of every error this package raises."""

    kind = "internal"
    query_id = ""
    grpc_code = 0
    server_message = ""
    strategy = None
    http_status = 0
    retryable = False
    cause = "none"


class InterfaceError(Error):
    """The package was used wrongly: a closed connection or cursor."""


class DatabaseError(Error):
    """An error of the database or of the way to it."""


class DataError(DatabaseError):
    """A value could not be represented: a year outside Python's 1..9999, malformed result bytes."""


class OperationalError(DatabaseError):
    """The cluster could not be reached, refused the credentials, or the call did not complete."""


class IntegrityError(DatabaseError):
    """PEP 249 IntegrityError (e6data reports constraint failures as query errors)."""


class InternalError(DatabaseError):
    """The server failed in a way the client cannot act on."""


class ProgrammingError(DatabaseError):
    """Bad SQL, an unknown table, wrong parameters, or an API used wrongly."""


class NotSupportedError(DatabaseError):
    """Asked for something e6data or this package does not support (transactions, bytes parameters)."""


# One class per engine error kind, each under the PEP 249 class a caller would catch.
class DecodeError(DataError):
    """Result bytes from the server that do not follow the wire contract."""


class UsageError(ProgrammingError):
    """The API was used wrongly (parameter count, a value without a SQL form, a shared cursor)."""


class ConnectionFailedError(OperationalError):
    """The cluster could not be reached, or the connection broke."""


class AuthenticationError(OperationalError):
    """The credentials were refused, or a session was no longer accepted."""


class QueryError(DatabaseError):
    """The server failed the statement while running it."""


class QueryRefusedError(QueryError, ProgrammingError):
    """The server refused the statement: bad SQL, an unknown table or column."""


class QueryTimeoutError(OperationalError):
    """The call's deadline passed (the query is cancelled on the server)."""


class QueryCancelledError(OperationalError):
    """The query or call was cancelled (cancel() from another thread)."""


class ClusterSuspendedError(OperationalError):
    """The cluster is suspended and auto-resume is off or did not succeed."""


class StrategyChangedError(OperationalError):
    """The deployment serving a running query went away (blue-green switch) after rows were read."""


class IncompleteResultError(OperationalError):
    """A fetch failed in a way that may have consumed rows: the result's position is unknown, so
    later fetches of this result fail too instead of skipping rows."""


class AmbiguousSubmissionError(OperationalError):
    """The statement may have reached the engine before its call failed: whether it ran is
    unknown. Do not resubmit a statement with side effects without checking."""


class EngineInternalError(InternalError):
    """The engine failed in a way the client cannot act on."""


# The class raised for each engine error kind (ErrorKind names of the C++ library).
BY_KIND = {
    "decode": DecodeError,
    "usage": UsageError,
    "connection": ConnectionFailedError,
    "authentication": AuthenticationError,
    "query": QueryError,
    "query_refused": QueryRefusedError,
    "timeout": QueryTimeoutError,
    "cancelled": QueryCancelledError,
    "cluster suspended": ClusterSuspendedError,
    "strategy changed": StrategyChangedError,
    "internal": EngineInternalError,
    "result position unknown": IncompleteResultError,
    "outcome unknown": AmbiguousSubmissionError,
    "DataError": DataError,
    "NotSupportedError": NotSupportedError,
    "ProgrammingError": ProgrammingError,
    "InterfaceError": InterfaceError,
}
