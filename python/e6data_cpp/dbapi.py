"""PEP 249 Connection and Cursor on the C++ engine (e6data_cpp._core)."""

import json
import threading
import types as _pytypes
import weakref

from . import _core
from . import strategy as _strategy
from .columnar import to_dataframe
from .exceptions import Error, InterfaceError, NotSupportedError, ProgrammingError
from .pyformat import translate

# grpc_options keys of e6data's Python connector, and the engine options they set.
_GRPC_OPTIONS = {
    "keepalive_time_ms": "grpc.keepalive_time_ms",
    "keepalive_timeout_ms": "grpc.keepalive_timeout_ms",
    "keepalive_permit_without_calls": "grpc.keepalive_permit_without_calls",
    "http2.max_pings_without_data": "grpc.http2_max_pings_without_data",
    "http2.min_time_between_pings_ms": "grpc.http2_min_time_between_pings_ms",
    "http2.min_ping_interval_without_data_ms": "grpc.http2_min_ping_interval_without_data_ms",
    "max_receive_message_length": "grpc.max_receive_message_length",
    "max_send_message_length": "grpc.max_send_message_length",
    "grpc_prepare_timeout": "grpc.prepare_timeout",
    "grpc_auto_resume_timeout_seconds": "auto_resume_timeout",
}

# Arguments of e6data's 3.x connector that this package does not offer.
_UNSUPPORTED = ("client_id", "client_secret", "token_url", "oauth_scope", "access_token",
                "client_auth_method")

# This process's live cursors, for e6data_cpp.strategy.get_shared_strategy().
_live_cursors = weakref.WeakSet()
_live_lock = threading.Lock()


def _option_fields(host, port, username, password, catalog, database, cluster_name, secure,
                   ssl_cert, auto_resume, grpc_options, debug, extra):
    fields = {
        "host": host, "port": port, "username": username, "password": password,
        "catalog": catalog, "database": database, "cluster_name": cluster_name,
        "secure": secure, "auto_resume": auto_resume, "debug": debug or None,
    }
    if isinstance(ssl_cert, (bytes, bytearray)):
        fields["ca_certificate"] = bytes(ssl_cert).decode("ascii")  # PEM text
    elif ssl_cert is not None:
        fields["ca_certificate"] = str(ssl_cert)
    for key, value in (grpc_options or {}).items():
        if key not in _GRPC_OPTIONS:
            raise NotSupportedError(
                f"grpc_options key {key!r} is not supported; supported: {sorted(_GRPC_OPTIONS)}")
        fields[_GRPC_OPTIONS[key]] = value
    for key, value in extra.items():
        if key in _UNSUPPORTED:
            if value is not None:
                raise NotSupportedError(f"{key}: OAuth credentials are not supported; use a password (access token)")
            continue
        if key == "shared_state":
            fields["strategy.shared_state"] = value
            continue
        if key == "enable_result_batch_v2":
            if value is not None:
                fields["result_batch_v2"] = "auto" if value else "off"
            continue
        fields[key] = value
    return fields


class Connection:
    """A connection to an e6data cluster (PEP 249), on the C++ engine.

    The arguments are those of e6data's Python connector, in its order. Arguments left as None
    take their value from ``uri`` (when given), then from the ``E6DATA_*`` environment when
    ``from_env`` is true, then the defaults (``secure=False``, ``auto_resume=True``, port 80).
    Authentication is lazy: the first call authenticates (``authenticate()`` does it now).
    """

    def __init__(self, host=None, port=None, username=None, password=None, catalog=None,
                 database=None, cluster_name=None, secure=None, ssl_cert=None, auto_resume=None,
                 scheme="e6data", grpc_options=None, debug=False, require_fastbinary=True, *,
                 uri=None, from_env=False, _core_connection=None, **options):
        self._cursors = weakref.WeakSet()
        self._options = None
        if _core_connection is not None:  # lent by a pool
            self._core = _core_connection
            self.catalog = catalog or ""
            self.database = database or ""
            _strategy._register(self)
            return
        if scheme not in ("e6data", "e6datas"):
            raise NotSupportedError(f"scheme {scheme!r}: only 'e6data' is supported")
        fields = _option_fields(host, port, username, password, catalog, database, cluster_name,
                                secure, ssl_cert, auto_resume, grpc_options, debug, options)
        core_options = _core.make_options(fields, uri, bool(from_env))
        self._options = core_options
        self.catalog = core_options.catalog
        self.database = core_options.database
        self._core = _core.Connection(core_options)
        _strategy._register(self)

    # PEP 249 -------------------------------------------------------------------------------
    def cursor(self, catalog_name=None, db_name=None):
        """A new cursor, for ``catalog_name``/``db_name`` (default: the connection's)."""
        return Cursor(self, catalog_name=catalog_name, database=db_name)

    def close(self):
        """Closes the connection's cursors (releasing their queries on the server, best effort),
        then the connection (a pooled one goes back to its pool). Idempotent."""
        for cursor in list(self._cursors):
            try:
                cursor.close()
            except Error:
                pass  # in use by another thread, or already unreachable: the server drops it later
        self._core.close()

    def commit(self):
        """e6data has no transactions: every statement commits by itself, so this does nothing."""

    def rollback(self):
        raise NotSupportedError("e6data does not support transactions")

    @property
    def closed(self):
        return not self._core.is_open

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # e6data ---------------------------------------------------------------------------------
    def authenticate(self, timeout=None):
        """Connects and authenticates now (detecting the active deployment)."""
        self._core.authenticate(timeout)

    def dry_run(self, query, timeout=None):
        return self._core.dry_run(query, timeout)

    def get_schema_names(self, catalog=None, timeout=None):
        return self._core.schemas(catalog if catalog is not None else self.catalog, timeout)

    def get_tables(self, catalog=None, database=None, timeout=None):
        return self._core.tables(catalog if catalog is not None else self.catalog,
                                 database if database is not None else self.database, timeout)

    def get_columns(self, catalog=None, database=None, table=None, timeout=None):
        if table is None:
            raise ProgrammingError("get_columns needs a table name")
        return self._core.columns(catalog if catalog is not None else self.catalog,
                                  database if database is not None else self.database, table,
                                  timeout)

    def strategy(self):
        """The endpoint's blue-green state: active and pending deployment, bound queries, counters."""
        return json.loads(self._core.strategy_json())

    def check_connection(self):
        """True while the connection is open (no network call, as e6data's connector)."""
        return self._core.is_open

    def __repr__(self):
        state = "closed" if self.closed else "open"
        try:
            options = self._core.options_text()
        except InterfaceError:
            options = ""
        return f"<e6data_cpp.Connection {state} {options}>"


class Cursor:
    """A PEP 249 cursor. One thread at a time; ``cancel()`` may come from any thread."""

    def __init__(self, connection, array_size=1000, database=None, catalog_name=None):
        self.connection = connection
        self._arraysize = array_size or 1000
        catalog = catalog_name if catalog_name is not None else connection.catalog
        database = database if database is not None else connection.database
        self._catalog = catalog or ""
        self._database = database or ""
        self._core = connection._core.cursor(self._catalog, self._database)
        connection._cursors.add(self)
        self._description = None
        self._rowcount = -1
        self._rownumber = None
        self.query_id = None
        self.strategy = None
        with _live_lock:
            _live_cursors.add(self)

    # PEP 249 attributes -----------------------------------------------------------------
    @property
    def description(self):
        """7-tuples (name, type_code, None, None, None, None, True); None before a result."""
        return self._description

    @property
    def rowcount(self):
        return self._rowcount

    @property
    def rownumber(self):
        return self._rownumber

    @property
    def arraysize(self):
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value):
        self._arraysize = int(value) or 1000

    @property
    def closed(self):
        return self._core.closed

    # statements ---------------------------------------------------------------------------
    def execute(self, operation, parameters=None, *, timeout=None):
        """Runs ``operation`` with pyformat ``parameters`` (``%s`` with a sequence, ``%(name)s``
        with a mapping). Returns the query id, as e6data's connector does."""
        sql, values = translate(operation, parameters)
        self._description = None
        self._rowcount = -1
        self._rownumber = None
        self._core.execute(sql, values, timeout)
        columns = self._core.description()
        self._description = [(name, type_code, None, None, None, None, True)
                             for name, type_code in columns] or None
        self._rowcount = self._core.rowcount()
        self._rownumber = 0
        self.query_id = self._core.query_id()
        self.strategy = self._core.deployment() or None
        return self.query_id

    def executemany(self, operation, seq_of_parameters, *, timeout=None):
        """Runs ``operation`` once per parameter set, in order; the last result is kept."""
        query_id = None
        for parameters in seq_of_parameters:
            query_id = self.execute(operation, parameters, timeout=timeout)
        return query_id

    # rows -----------------------------------------------------------------------------------
    def _advance(self, count):
        if self._rownumber is not None:
            self._rownumber += count

    def fetchone(self, *, timeout=None):
        """The next row as a tuple, or None at the end. (e6data's connector returns ``[[row]]``.)"""
        row = self._core.fetchone(timeout)
        if row is not None:
            self._advance(1)
        return row

    def fetchmany(self, size=None, *, timeout=None):
        rows = self._core.fetchmany(self._arraysize if size is None else size, timeout)
        self._advance(len(rows))
        return rows

    def fetchall(self, *, timeout=None):
        rows = self._core.fetchall(timeout)
        self._advance(len(rows))
        return rows

    def fetch_batch(self, *, timeout=None):
        """The rows of the next server batch (a list of tuples), or None at the end."""
        rows = self._core.fetch_batch(timeout)
        if rows is not None:
            self._advance(len(rows))
        return rows

    def fetchall_buffer(self, query_id=None, *, timeout=None):
        """A generator of batches (lists of rows), as e6data's connector offers it."""
        if query_id is not None and query_id != self.query_id:
            raise ProgrammingError(f"query {query_id} is not this cursor's query")
        while True:
            rows = self.fetch_batch(timeout=timeout)
            if rows is None:
                return
            yield rows

    def fetchnumpy(self, *, timeout=None):
        """The remaining rows as a dict of numpy arrays by column name (see docs/python.md)."""
        return self._core.fetchnumpy(timeout)

    def fetch_df(self, *, timeout=None):
        """The remaining rows as a pandas DataFrame (see docs/python.md)."""
        arrays = self._core.fetchnumpy(timeout)
        return to_dataframe(arrays, self._description or [])

    def __iter__(self):
        return self

    def __next__(self):
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    # the query ------------------------------------------------------------------------------
    def _check_query(self, query_id):
        if query_id is not None and query_id != self.query_id:
            raise ProgrammingError(f"query {query_id} is not this cursor's query ({self.query_id})")

    def status(self, query_id=None, *, timeout=None):
        self._check_query(query_id)
        status = self._core.status(timeout)
        return _pytypes.SimpleNamespace(status=status["status"], rowCount=status["row_count"],
                                        row_count=status["row_count"])

    def explain(self, *, timeout=None):
        return self._core.explain(timeout)

    def explain_analyze(self, *, timeout=None):
        """A dict: is_cached, parsing_time, queuing_time (ms) and planner (the plan)."""
        return self._core.explain_analyze(timeout)

    explain_analyse = explain_analyze  # e6data's connector's spelling

    def cancel(self, query_id=None, *, timeout=None):
        """Cancels the running call and the query on the server; may come from another thread."""
        self._check_query(query_id)
        self._core.cancel(timeout)

    def clear(self, query_id=None, *, timeout=None):
        """Releases the query on the server."""
        self._check_query(query_id)
        self._core.clear(timeout)

    def dry_run(self, query, *, timeout=None):
        return self.connection.dry_run(query, timeout)

    def get_schema_names(self):
        return self.connection.get_schema_names(self._catalog)

    def get_tables(self):
        return self.connection.get_tables(self._catalog, self._database)

    def get_columns(self, table):
        return self.connection.get_columns(self._catalog, self._database, table)

    def setinputsizes(self, sizes):
        """PEP 249: does nothing."""

    def setoutputsize(self, size, column=None):
        """PEP 249: does nothing."""

    def close(self):
        """Releases the query on the server (best effort) and closes the cursor. Idempotent."""
        self._core.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def connect(*args, **kwargs):
    """``connect(host, port, username, password, ...)`` as ``Connection(...)``, or
    ``connect("e6data://user:token@host:port/catalog/database?option=value")``."""
    if args and isinstance(args[0], str) and args[0].startswith(("e6data://", "e6datas://")):
        if len(args) > 1:
            raise ProgrammingError("connect(uri) takes the URI alone; give other options as keywords")
        return Connection(uri=args[0], **kwargs)
    return Connection(*args, **kwargs)


def from_env(**overrides):
    """A connection configured by the ``E6DATA_*`` environment (overrides given as keywords win)."""
    return Connection(from_env=True, **overrides)
