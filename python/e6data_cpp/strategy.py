"""The zero-downtime engine, as e6data's troubleshooting guide inspects it.

The functions below let the guide's snippets run with only the import changed. The engine keeps
one strategy state per endpoint (host, port, cluster) for the whole process; these functions
read or act on the endpoint of the connections made in this process (or of ``connection``).
"""

import threading
import time
import weakref

from . import _core

_connections = weakref.WeakSet()
_lock = threading.Lock()


def _register(connection):
    with _lock:
        _connections.add(connection)


def _open_connections(connection=None):
    if connection is not None:
        return [connection]
    with _lock:
        return [c for c in list(_connections) if not c.closed]


def _snapshots(connection=None):
    out = []
    seen = set()
    for conn in _open_connections(connection):
        try:
            snap = conn.strategy()
        except Exception:  # a connection closed meanwhile: nothing to report for it
            continue
        if snap.get("endpoint") in seen:
            continue
        seen.add(snap.get("endpoint"))
        out.append(snap)
    return out


def get_active_strategy(connection=None):
    """The active deployment ("blue" or "green") of the endpoint, or None when not known yet."""
    for snap in _snapshots(connection):
        if snap.get("active"):
            return snap["active"]
    return None


def get_pending_strategy(connection=None):
    """The deployment a switch announced and new work goes to, or None."""
    for snap in _snapshots(connection):
        if snap.get("pending"):
            return snap["pending"]
    return None


def get_shared_strategy(connection=None):
    """A dict as e6data's guide prints it: active_strategy, pending_strategy, last_check_time
    (epoch seconds, or None) and query_strategy_map (this process's live queries and the
    deployment each runs on)."""
    from .dbapi import _live_cursors, _live_lock

    snaps = _snapshots(connection)
    snap = snaps[0] if snaps else {}
    since = snap.get("seconds_since_check", -1)
    with _live_lock:
        cursors = list(_live_cursors)
    query_map = {}
    for cursor in cursors:
        if cursor.query_id and not cursor.closed and cursor.strategy:
            query_map[cursor.query_id] = cursor.strategy
    return {
        "active_strategy": snap.get("active") or None,
        "pending_strategy": snap.get("pending") or None,
        "last_check_time": (time.time() - since) if since is not None and since >= 0 else None,
        "query_strategy_map": query_map,
    }


def _options_of(connection=None):
    """The engine options of each endpoint the process's connections (or ``connection``) use."""
    out = {}
    for conn in _open_connections(connection):
        options = getattr(conn, "_options", None)
        if options is not None:
            out[_core.strategy_endpoint(options)] = options
    return list(out.values())


def clear_strategy_cache(connection=None):
    """Forgets the cached deployment of the endpoint (of ``connection``, or of every connection
    of this process), also in the shared strategy file when one is configured, so the next call
    detects again. Running queries keep their deployment. Returns True when something was
    forgotten."""
    cleared = False
    for options in _options_of(connection):
        cleared = _core.clear_strategy_cache(options) or cleared
    return cleared


def apply_pending_strategy(connection=None):
    """Completes a pending switch now: the announced deployment becomes active without waiting
    for the queries on the old one (they may then be cut by its drain). Returns True when a
    pending switch was applied."""
    applied = False
    for options in _options_of(connection):
        applied = _core.apply_pending_strategy(options) or applied
    return applied


def read_shared_strategy(name, directory="/dev/shm"):
    """Every endpoint slot of the shared strategy file ``directory/name``, read without joining
    it; a file not safe to trust (owner, mode, type) raises ProgrammingError saying why."""
    import json

    return [json.loads(slot) for slot in _core.read_shared_strategy(name, directory)]


# The guide's underscore names.
_get_active_strategy = get_active_strategy
_get_pending_strategy = get_pending_strategy
_get_shared_strategy = get_shared_strategy
_clear_strategy_cache = clear_strategy_cache
_apply_pending_strategy = apply_pending_strategy
