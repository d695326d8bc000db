"""Exact Python values: every type the dev server sends, compared with what SQLite holds (read
with Python's own sqlite3 and converted independently here), in both call forms."""

import datetime
import decimal
import sqlite3

import pytest

import e6data_cpp as db

COLUMNS = ["id", "small", "name", "price", "ratio", "ok", "day", "at", "at_tz", "data"]
TYPES = ["LONG", "INTEGER", "STRING", "DECIMAL128", "DOUBLE", "BOOLEAN", "DATE", "DATETIME",
         "TIMESTAMP_TZ", "BINARY"]


def parse_time(text):
    """'YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|+HH:MM]' -> (naive wall time, offset or None, zone)."""
    zone = None
    body = text.replace("T", " ")
    if body.endswith("Z"):
        zone, body = "Z", body[:-1]
    elif len(body) > 6 and body[-6] in "+-" and body[-3] == ":":
        zone, body = body[-6:], body[:-6]
    wall = datetime.datetime.fromisoformat(body)
    offset = None
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    elif zone == "Z":
        offset = datetime.timedelta(0)
    return wall, offset, zone


def expected_rows(database):
    conn = sqlite3.connect(database)
    raw = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM typed ORDER BY id").fetchall()
    conn.close()
    rows = []
    for r in raw:
        row = []
        for name, value in zip(COLUMNS, r):
            if value is None:
                row.append(None)
            elif name == "price":
                text = repr(value) if isinstance(value, float) else str(value)
                row.append(decimal.Decimal(text).quantize(decimal.Decimal("0.0001"),
                                                          rounding=decimal.ROUND_HALF_UP))
            elif name == "ok":
                row.append(bool(value))
            elif name == "day":
                row.append(datetime.date.fromisoformat(value))
            elif name == "at":
                wall, offset, _ = parse_time(value)
                row.append(wall - offset if offset else wall)  # the server converts to UTC
            elif name == "at_tz":
                wall, offset, zone = parse_time(value)
                row.append(wall.replace(tzinfo=datetime.timezone(offset or datetime.timedelta(0))))
            elif name == "data":
                row.append(bytes(value))
            else:
                row.append(value)
        rows.append(tuple(row))
    return rows


@pytest.mark.parametrize("catalog", [True, False], ids=["v2-calls", "v1-calls"])
def test_every_type_is_exact(params, database, catalog):
    kwargs = {"catalog": "shop", "database": "main"} if catalog else {}
    with db.connect(**params, **kwargs) as conn:
        cur = conn.cursor()
        cur.execute(f"SELECT {', '.join(COLUMNS)} FROM typed ORDER BY id")
        assert [d[1] for d in cur.description] == TYPES
        rows = cur.fetchall()
    expected = expected_rows(database)
    assert len(rows) == len(expected) == 4
    for got, want in zip(rows, expected):
        for name, g, w in zip(COLUMNS, got, want):
            assert g == w, (name, g, w)
            assert type(g) is type(w), (name, type(g), type(w))
            if name == "price" and g is not None:
                assert g.as_tuple().exponent == -4, "the column's scale is kept"
            if name == "at_tz" and g is not None:
                assert g.utcoffset() == w.utcoffset(), "the offset the row was sent with"
            if name == "at" and g is not None:
                assert g.tzinfo is None and g.microsecond == w.microsecond


def test_timestamp_tz_zone_name_and_pre_1970(conn):
    cur = conn.cursor()
    cur.execute("SELECT at_tz, at FROM typed WHERE id = 2")
    at_tz, at = cur.fetchone()
    assert at_tz.tzname() == "-08:00"
    assert at_tz.isoformat() == "1969-12-31T23:59:59.000001-08:00"
    assert at == datetime.datetime(1969, 12, 31, 23, 59, 59, 999999)


def test_years_python_cannot_hold_are_a_clear_error_not_a_wrong_value(conn):
    cur = conn.cursor()
    # 10000-01-01 and one microsecond before 0001-01-01 (stored as epoch microseconds).
    for column, shown in (("d", "10000-01-01"), ("t", "0000-12-31")):
        cur.execute(f"SELECT {column} FROM far")
        with pytest.raises(db.DataError, match="outside the years Python's datetime can hold") as e:
            cur.fetchall()
        assert shown in str(e.value)
    # fetchnumpy holds them exactly (datetime64 has the range).
    cur.execute("SELECT d, t FROM far")
    arrays = cur.fetchnumpy()
    assert str(arrays["d"][0]) == "10000-01-01"
    assert str(arrays["t"][0]) == "0000-12-31T23:59:59.999999"


def test_decimal_edges(conn):
    cur = conn.cursor()
    for text in ("0.0000", "-0.0001", "12345678901.2345"):
        cur.execute("SELECT price FROM typed WHERE price = %s", (decimal.Decimal(text),))
        cur.fetchall()  # parameters as typed DECIMAL values are accepted
    with pytest.raises(db.ProgrammingError, match="NaN or infinity"):
        cur.execute("SELECT %s", (decimal.Decimal("NaN"),))


def test_a_value_python_cannot_hold_loses_no_row_before_it(conn):
    # Batches of 1,000 rows; row 1500 holds 10000-01-01. fetchall() fails in the second batch: the
    # 1,000 rows it had already converted are kept and handed out by the next fetch, then the
    # rows up to the bad one, then the error again (never a skipped or wrong row).
    cur = conn.cursor()
    cur.execute("SELECT n, d FROM dates ORDER BY n")
    with pytest.raises(db.DataError):
        cur.fetchall()
    first = cur.fetchmany(1000)
    assert [r[0] for r in first] == list(range(1000))
    assert first[5][1] == datetime.date(1970, 1, 6)
    more = [cur.fetchone() for _ in range(500)]
    assert [r[0] for r in more] == list(range(1000, 1500))
    with pytest.raises(db.DataError):
        cur.fetchone()
