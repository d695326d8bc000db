"""fetchnumpy() and fetch_df(): dtypes, nulls, the same values as fetchall(), streaming."""

import datetime
import decimal

import numpy
import pandas
import pytest


def test_fetchnumpy_types_and_nulls(conn):
    cur = conn.cursor()
    cur.execute("SELECT id, small, name, price, ratio, ok, day, at, at_tz, data FROM typed ORDER BY id")
    arrays = cur.fetchnumpy()
    assert list(arrays) == ["id", "small", "name", "price", "ratio", "ok", "day", "at", "at_tz",
                            "data"]
    assert arrays["id"].dtype == numpy.int64 and not isinstance(arrays["id"], numpy.ma.MaskedArray)
    assert list(arrays["id"]) == [1, 2, 3, 4]
    small = arrays["small"]
    assert isinstance(small, numpy.ma.MaskedArray) and small.dtype == numpy.int32
    assert list(small.mask) == [False, False, False, True]
    assert list(small.data[:3]) == [7, -2147483648, 2147483647] and small.data[3] == 0
    assert arrays["ratio"].dtype == numpy.float64 and arrays["ratio"][2] == 1e308
    assert arrays["ok"].dtype == numpy.bool_ and list(arrays["ok"].data[:3]) == [True, False, True]
    assert arrays["day"].dtype == numpy.dtype("datetime64[D]")
    assert str(arrays["day"][0]) == "2024-02-29" and str(arrays["day"][2]) == "9999-12-31"
    assert arrays["at"].dtype == numpy.dtype("datetime64[us]")
    assert str(arrays["at"][1]) == "1969-12-31T23:59:59.999999"
    assert arrays["at_tz"].dtype == numpy.dtype("datetime64[us]")  # UTC instants
    assert str(arrays["at_tz"][0]) == "2023-11-14T16:43:20.654321"
    assert arrays["name"].dtype == object and arrays["name"][3] is None
    assert arrays["price"][0] == decimal.Decimal("12345.6789") and arrays["price"][3] is None
    assert arrays["data"][0] == b"\x00\xff\x10"


def test_fetchnumpy_equals_fetchall_across_batches(conn):
    cur = conn.cursor()
    cur.execute("SELECT n, half, label FROM numbers ORDER BY n")
    rows = cur.fetchall()
    cur.execute("SELECT n, half, label FROM numbers ORDER BY n")
    first = cur.fetchmany(1500)  # part of the first batches by rows, the rest by columns
    arrays = cur.fetchnumpy()
    assert len(arrays["n"]) == len(rows) - 1500
    assert [r[0] for r in first] + list(arrays["n"]) == [r[0] for r in rows]
    assert list(arrays["half"]) == [r[1] for r in rows[1500:]]
    assert list(arrays["label"]) == [r[2] for r in rows[1500:]]


def test_repeated_names_are_kept_apart(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1 AS a, 2 AS a, 3 AS a_2")
    arrays = cur.fetchnumpy()
    assert {k: int(v[0]) for k, v in arrays.items()} == {"a": 1, "a_2": 2, "a_2_2": 3} or \
        sorted(arrays) == ["a", "a_2", "a_2_2"]
    cur.execute("SELECT 1 AS a, 2 AS a")
    frame = cur.fetch_df()
    assert list(frame.columns) == ["a", "a"]


def test_fetch_df(conn):
    cur = conn.cursor()
    cur.execute("SELECT id, small, ratio, ok, day, at, at_tz, name, price FROM typed ORDER BY id")
    frame = cur.fetch_df()
    assert isinstance(frame, pandas.DataFrame) and len(frame) == 4
    assert str(frame["small"].dtype) == "Int32" and frame["small"].isna().tolist() == [False] * 3 + [True]
    assert str(frame["ratio"].dtype) == "Float64"
    assert str(frame["ok"].dtype) == "boolean"
    # DATE 9999-12-31 and DATETIME 0001-01-01 are outside pandas' nanoseconds: Python objects.
    assert frame["day"].tolist() == [datetime.date(2024, 2, 29), datetime.date(1900, 1, 1),
                                     datetime.date(9999, 12, 31), None]
    assert frame["at"][2] == datetime.datetime(1, 1, 1) and frame["at"][3] is None
    assert str(frame["at_tz"].dtype) == "datetime64[ns, UTC]"
    assert frame["at_tz"][0] == pandas.Timestamp("2023-11-14T16:43:20.654321Z")
    assert frame["name"][0] == "plain" and frame["price"][0] == decimal.Decimal("12345.6789")


def test_empty_result_has_typed_arrays(conn):
    cur = conn.cursor()
    cur.execute("SELECT id, ratio, name FROM typed WHERE id < 0")
    arrays = cur.fetchnumpy()
    assert arrays["id"].dtype == numpy.int64 and len(arrays["id"]) == 0
    assert arrays["ratio"].dtype == numpy.float64 and arrays["name"].dtype == object
