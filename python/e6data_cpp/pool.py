"""A connection pool and the cluster manager, on the engine's own (switch-aware) pool."""

import contextlib

from . import _core
from .dbapi import Connection, _option_fields


class ConnectionPool:
    """A thread-safe pool of connections (e6data's ``ConnectionPool`` arguments).

    ``min_size`` connections are kept; at most ``max_size + max_overflow`` exist at once (the
    engine's pool has no separate overflow: the two add up to its ``max_connections``).
    ``timeout`` is the longest wait for a connection, ``recycle`` the most seconds a connection
    lives, ``pre_ping`` checks an idle connection before lending it (skipped for one used in the
    last 0.5 s). During a blue-green switch the pool authenticates idle connections on the new
    deployment before they are needed. Connection arguments are those of ``Connection``.
    """

    def __init__(self, min_size=2, max_size=10, max_overflow=5, timeout=30.0, recycle=3600,
                 debug=False, pre_ping=True, *, uri=None, from_env=False, leak_threshold=None,
                 idle_timeout=None, **connection_params):
        positional = {k: connection_params.pop(k, None) for k in (
            "host", "port", "username", "password", "catalog", "database", "cluster_name",
            "secure", "ssl_cert", "auto_resume", "grpc_options")}
        fields = _option_fields(debug=debug, extra=connection_params, **positional)
        fields["pool.min_connections"] = int(min_size)
        fields["pool.max_connections"] = int(max_size) + int(max_overflow)
        fields["pool.connection_timeout"] = timeout
        fields["pool.max_lifetime"] = recycle
        if idle_timeout is not None:
            fields["pool.idle_timeout"] = idle_timeout
        self._options = _core.make_options(fields, uri, bool(from_env))
        settings = {"validate_on_borrow": bool(pre_ping)}
        if leak_threshold is not None:
            settings["leak_threshold"] = leak_threshold
        self._pool = _core.ConnectionPool(self._options, settings)
        self._catalog = self._options.catalog
        self._database = self._options.database

    def get_connection(self, timeout=None, tag=""):
        """Borrows a connection; ``close()`` (or ``return_connection``) gives it back."""
        core = self._pool.acquire(timeout, tag)
        connection = Connection(catalog=self._catalog, database=self._database,
                                _core_connection=core)
        connection._options = self._options
        return connection

    def return_connection(self, connection):
        connection.close()

    @contextlib.contextmanager
    def get_connection_context(self, timeout=None, tag=""):
        connection = self.get_connection(timeout, tag)
        try:
            yield connection
        finally:
            connection.close()

    def get_statistics(self):
        """Counts and counters of the pool (the engine's names; see docs/python.md)."""
        return self._pool.stats()

    def soft_evict(self):
        self._pool.soft_evict()

    def pause(self):
        self._pool.pause()

    def unpause(self):
        self._pool.unpause()

    def close_all(self):
        self._pool.close()

    close = close_all

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close_all()
        return False


class ClusterManager:
    """Status, resume and suspend of a cluster (e6data's ``ClusterManager`` arguments)."""

    def __init__(self, host=None, port=None, user=None, password=None, secure_channel=None,
                 timeout=None, cluster_uuid=None, grpc_options=None, debug=False, ssl_cert=None,
                 *, uri=None, from_env=False):
        fields = _option_fields(host, port, user, password, None, None, cluster_uuid,
                                secure_channel, ssl_cert, None, grpc_options, debug, {})
        if timeout is not None:
            fields["auto_resume_timeout"] = timeout
        self._manager = _core.ClusterManager(_core.make_options(fields, uri, bool(from_env)))

    def status(self):
        return self._manager.status()

    def resume(self, wait=True, timeout=None):
        """Resumes the cluster; with ``wait``, returns True once it is active (False otherwise)."""
        return self._manager.resume(wait, timeout) == "active"

    def suspend(self):
        return self._manager.suspend()
