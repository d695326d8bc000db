"""PEP 249 conformance: module globals, the exception hierarchy, cursor semantics, pyformat."""

import threading

import pytest

import e6data_cpp as db


def test_module_globals():
    assert db.apilevel == "2.0"
    assert db.threadsafety == 2
    assert db.paramstyle == "pyformat"
    assert isinstance(db.__version__, str) and db.__version__.count(".") == 2
    for name in ("connect", "Connection", "Cursor", "Date", "Time", "Timestamp", "DateFromTicks",
                 "TimeFromTicks", "TimestampFromTicks", "Binary", "STRING", "BINARY", "NUMBER",
                 "DATETIME", "ROWID"):
        assert hasattr(db, name), name
    assert "LONG" == db.NUMBER and "DECIMAL128" == db.NUMBER and "STRING" != db.NUMBER
    assert db.DATETIME == "TIMESTAMP_TZ" and db.BINARY == "BINARY"


def test_exception_hierarchy():
    assert issubclass(db.Warning, Exception)
    assert issubclass(db.Error, Exception)
    for cls in (db.InterfaceError, db.DatabaseError):
        assert issubclass(cls, db.Error)
    for cls in (db.DataError, db.OperationalError, db.IntegrityError, db.InternalError,
                db.ProgrammingError, db.NotSupportedError):
        assert issubclass(cls, db.DatabaseError)
    assert issubclass(db.IncompleteResultError, db.OperationalError)
    assert issubclass(db.AmbiguousSubmissionError, db.OperationalError)
    assert issubclass(db.QueryRefusedError, db.ProgrammingError)
    assert issubclass(db.QueryTimeoutError, db.OperationalError)
    assert issubclass(db.ClusterSuspendedError, db.OperationalError)
    assert issubclass(db.AuthenticationError, db.OperationalError)
    assert issubclass(db.UsageError, db.ProgrammingError)


def test_connect_forms(params, devserver):
    uri = (f"e6data://{params['username'].replace('@', '%40')}:"
           f"{params['password'].replace('/', '%2F').replace('+', '%2B')}"
           f"@127.0.0.1:{devserver.port}/shop/main")
    with db.connect(uri) as conn:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM typed")
        assert cur.fetchone() == (4,)
    # Positional arguments in e6data's connector's order.
    with db.Connection("127.0.0.1", devserver.port, params["username"], params["password"],
                       "shop", "main") as conn:
        assert conn.catalog == "shop" and conn.database == "main"
        cur = conn.cursor()
        cur.execute("SELECT 1")
        assert cur.fetchall() == [(1,)]
    assert conn.closed


def test_wrong_token_is_authentication_error(params):
    conn = db.connect(**{**params, "password": "not-the-token"})
    with pytest.raises(db.AuthenticationError) as info:
        conn.cursor().execute("SELECT 1")
    assert params["password"] not in str(info.value)
    assert "not-the-token" not in str(info.value)
    assert params["password"] not in repr(conn)


def test_bad_options_are_clear_errors(params):
    with pytest.raises(db.ProgrammingError, match="port"):
        db.connect(**{**params, "port": "eighty"})
    with pytest.raises(db.NotSupportedError, match="grpc_options key 'nonsense'"):
        db.connect(**params, grpc_options={"nonsense": 1})
    with pytest.raises(db.NotSupportedError, match="OAuth"):
        db.connect(**params, client_id="x")
    with pytest.raises(db.ProgrammingError, match="unknown connection option 'colour'"):
        db.connect(**params, colour="blue")


def test_cursor_semantics(conn):
    cur = conn.cursor()
    assert cur.description is None and cur.rowcount == -1 and cur.arraysize == 1000
    query_id = cur.execute("SELECT id, name FROM typed ORDER BY id")
    assert isinstance(query_id, str) and query_id == cur.query_id
    assert [d[0] for d in cur.description] == ["id", "name"]
    assert [d[1] for d in cur.description] == ["LONG", "STRING"]
    assert all(len(d) == 7 and d[6] is True for d in cur.description)
    assert cur.rowcount == 4
    assert cur.fetchone() == (1, "plain")
    assert cur.rownumber == 1
    assert len(cur.fetchmany(2)) == 2
    assert cur.fetchall() == [(4, None)]
    assert cur.fetchone() is None and cur.fetchall() == [] and cur.fetchmany(5) == []
    cur.arraysize = 3
    cur.execute("SELECT n FROM numbers ORDER BY n LIMIT 10")
    assert cur.fetchmany() == [(0,), (1,), (2,)]
    assert [row for row in cur] == [(i,) for i in range(3, 10)]
    cur.close()
    assert cur.closed
    with pytest.raises(db.InterfaceError, match="closed"):
        cur.execute("SELECT 1")
    cur.close()  # idempotent


def test_rows_cross_batches_exactly_once(conn):
    # 20,000 rows in batches of 1,000: fetchmany sizes that straddle batch ends.
    cur = conn.cursor()
    cur.execute("SELECT n FROM numbers ORDER BY n")
    seen = []
    sizes = [1, 999, 1001, 7, 2500, 3]
    i = 0
    while True:
        rows = cur.fetchmany(sizes[i % len(sizes)])
        i += 1
        if not rows:
            break
        seen.extend(r[0] for r in rows)
    assert seen == list(range(20000))


@pytest.mark.parametrize("ahead", [0, 1, 2, 64])
def test_download_ahead_by_name_reads_every_row_once(params, ahead):
    # 20,000 rows in batches of 1,000: with responses fetched ahead in the background, every row
    # still comes once and in order, by fetchmany and fetchall alike.
    conn = db.connect(**params, catalog="shop", database="main", download_ahead=ahead,
                      download_ahead_bytes=1 << 20)
    try:
        cur = conn.cursor()
        cur.execute("SELECT n FROM numbers ORDER BY n")
        seen = [r[0] for r in cur.fetchmany(1500)] + [r[0] for r in cur.fetchall()]
        assert seen == list(range(20000))
    finally:
        conn.close()


def test_download_ahead_out_of_range_is_refused_naming_it(params):
    for bad in ({"download_ahead": -1}, {"download_ahead": 65},
                {"download_ahead_bytes": 10}):
        with pytest.raises(db.Error, match="download_ahead"):
            db.connect(**params, **bad).cursor().execute("SELECT 1")


def test_connection_closed_refuses(params):
    conn = db.connect(**params, catalog="shop", database="main")
    cur = conn.cursor()
    cur.execute("SELECT n FROM numbers")
    conn.close()
    with pytest.raises(db.InterfaceError):
        conn.cursor()
    with pytest.raises(db.InterfaceError):
        cur.execute("SELECT 1")
    assert conn.closed
    conn.close()  # idempotent


def test_transactions(conn):
    conn.commit()
    with pytest.raises(db.NotSupportedError):
        conn.rollback()


def test_bad_sql_is_programming_error_with_query_context(conn):
    cur = conn.cursor()
    with pytest.raises(db.ProgrammingError) as info:
        cur.execute("SELEC nothing")
    assert isinstance(info.value, db.QueryRefusedError)
    assert info.value.kind == "query"
    assert info.value.grpc_code != 0
    with pytest.raises(db.ProgrammingError):
        cur.execute("SELECT * FROM no_such_table")


@pytest.mark.parametrize("catalog", [True, False], ids=["typed", "literals"])
def test_pyformat_parameters_round_trip_hostile_text(params, catalog):
    import datetime
    import decimal
    kwargs = {"catalog": "shop", "database": "main"} if catalog else {}
    hostile = ["'; DROP TABLE typed; --", "100% sure %s %(x)s", "status: 456 Access denied",
               "tab\tnewline\n", "", "ünï ☃ 𝄞", "?", ":name", "/* not a comment */"]
    with db.connect(**params, **kwargs) as conn:
        cur = conn.cursor()
        for text in hostile:
            cur.execute("SELECT %s", (text,))
            assert cur.fetchall() == [(text,)], text
            cur.execute("SELECT %(v)s, %(v)s, 100 %% 7", {"v": text, "unused": 1})
            assert cur.fetchall() == [(text, text, 2)], text
        cur.execute("SELECT count(*) FROM typed")
        assert cur.fetchone() == (4,)  # nothing was dropped
        cur.execute("SELECT %s, %s, %s, %s", (42, -1.5, None, True))
        row = cur.fetchone()
        assert row[0] == 42 and row[1] == -1.5 and row[2] is None and row[3] in (1, True)
        if catalog:  # typed; as a literal a date is written DATE '...', which SQLite cannot read
            cur.execute("SELECT id FROM typed WHERE day = %s", (datetime.date(2024, 2, 29),))
            assert cur.fetchall() == [(1,)]
        cur.execute("SELECT id FROM typed WHERE price = %s", (decimal.Decimal("12345.6789"),))
        assert cur.fetchall() == [(1,)]
        cur.execute("SELECT %s", (2 ** 70,))
        assert int(cur.fetchone()[0]) == 2 ** 70


def test_pyformat_errors(conn):
    cur = conn.cursor()
    with pytest.raises(db.ProgrammingError, match="2 %s placeholders but 1"):
        cur.execute("SELECT %s, %s", (1,))
    with pytest.raises(db.ProgrammingError, match="needs a mapping"):
        cur.execute("SELECT %(a)s", (1,))
    with pytest.raises(db.ProgrammingError, match="no value for placeholder"):
        cur.execute("SELECT %(a)s", {"b": 1})
    with pytest.raises(db.ProgrammingError, match="unsupported format character"):
        cur.execute("SELECT %d", (1,))
    with pytest.raises(db.NotSupportedError, match="binary"):
        cur.execute("SELECT %s", (b"\x00",))
    with pytest.raises(db.NotSupportedError, match="no e6data type"):
        cur.execute("SELECT %s", ([1, 2],))
    # Without parameters, % is ordinary text.
    cur.execute("SELECT '100%'")
    assert cur.fetchone() == ("100%",)


def test_executemany_runs_each_once(params):
    with db.connect(**params, catalog="shop", database="main") as conn:
        cur = conn.cursor()
        cur.execute("DELETE FROM notes")
        cur.executemany("INSERT INTO notes VALUES (%s, %s)",
                        [(i, f"note {i}; status: 456") for i in range(25)])
        cur.execute("SELECT count(*), count(DISTINCT id) FROM notes")
        assert cur.fetchone() == (25, 25)


def test_status_explain_and_catalog_calls(conn):
    cur = conn.cursor()
    cur.execute("SELECT n FROM numbers LIMIT 5")
    status = cur.status()
    assert status.status in (True, False) and status.rowCount == status.row_count
    plan = cur.explain()
    assert isinstance(plan, str) and plan
    cur.fetchall()
    analysed = cur.explain_analyse()
    assert set(analysed) == {"is_cached", "parsing_time", "queuing_time", "planner"}
    assert "main" in conn.get_schema_names()
    assert {"typed", "notes", "numbers"} <= set(conn.get_tables())
    columns = conn.get_columns(table="typed")
    assert columns[0] == {"fieldName": "id", "fieldType": "LONG"}
    assert conn.dry_run("SELECT 1")
    assert set(cur.get_tables()) == set(conn.get_tables())


def test_one_cursor_two_threads_is_refused_not_corrupted(conn):
    cur = conn.cursor()
    cur.execute("with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000)"
                " select sum(x) from c")
    errors = []
    started = threading.Event()

    def reader():
        started.set()
        cur.fetchall()

    t = threading.Thread(target=reader)
    t.start()
    started.wait()
    # While the first thread reads, a second use is refused at once (or succeeds if the read has
    # finished): never a crash, never interleaved state.
    for _ in range(50):
        try:
            cur.fetchone()
        except db.ProgrammingError as e:
            errors.append(e)
            break
    t.join()
    assert all("another thread" in str(e) for e in errors)


def test_many_threads_share_one_connection(conn):
    results = {}

    def work(i):
        cur = conn.cursor()
        cur.execute("SELECT n, label FROM numbers WHERE n %% 50 = %s ORDER BY n", (i,))
        results[i] = cur.fetchall()
        cur.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(16):
        assert [r[0] for r in results[i]] == list(range(i, 20000, 50))
        assert all(r[1] == (f"row {r[0]}" if r[0] % 7 else None) for r in results[i])


def test_type_stubs_cover_the_public_names():
    import ast
    import os
    stub = os.path.join(os.path.dirname(db.__file__), "__init__.pyi")
    tree = ast.parse(open(stub).read())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    missing = [name for name in db.__all__ if name not in names]
    assert missing == []


def test_metrics_text_counts_the_packages_calls(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.fetchall()
    text = db.metrics_text()
    execute = [line for line in text.splitlines()
               if line.startswith("db_client_operation_duration_seconds_count")
               and 'db_operation_name="execute"' in line and "error_type" not in line]
    assert execute and int(float(execute[0].rsplit(" ", 1)[1])) >= 1, text[:2000]
    assert "# TYPE db_client_operation_duration_seconds histogram" in text
