"""Every public wire vector through the module's decode functions: each chunk's truth exactly
(raw values for every row, and the Python value wherever Python can hold it), each metadata
buffer's truth, and every malformed input refused with DecodeError."""

import decimal
import glob
import json
import math
import os

import pytest

import e6data_cpp as db

VECTORS = os.environ.get("E6DATA_WIRE_VECTORS_DIR", "")


def vectors(kind):
    if not VECTORS or not os.path.isdir(VECTORS):
        pytest.fail(f"E6DATA_WIRE_VECTORS_DIR does not name the wire vectors: {VECTORS!r}")
    return sorted(glob.glob(os.path.join(VECTORS, kind, "*.json")))


def load(path):
    with open(path) as f:
        meta = json.load(f)
    with open(os.path.join(os.path.dirname(path), meta["file"]), "rb") as f:
        return meta, f.read()


def canonical_raw(vector_type, raw):
    """A raw cell in the vectors' canonical JSON form (README of the vectors)."""
    if raw is None:
        return None
    if vector_type in ("INTEGER", "LONG"):
        return raw if abs(raw) <= 2 ** 53 else str(raw)
    if vector_type in ("DOUBLE", "FLOAT"):
        return {"f": repr(raw)}  # Python's repr, as the vectors write it ('nan', '-0.0', '1e+16')
    if vector_type == "BINARY":
        return {"hex": raw.hex()}
    if vector_type in ("STRING", "ARRAY", "MAP", "STRUCT"):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return {"hex": raw.hex()}
    if vector_type == "DECIMAL128":
        unscaled, scale = raw
        return {"unscaled": str(unscaled), "scale": scale}
    if vector_type == "TIMESTAMP_TZ":
        return {"us": raw[0], "zone": raw[1]}
    if vector_type in ("DATE", "DATETIME", "TIMESTAMP"):
        return {"us": raw}
    return raw


def truth_key(vector_type, value):
    """The parts of a truth value the raw form carries."""
    if isinstance(value, dict) and vector_type == "DECIMAL128":
        return {"unscaled": value["unscaled"], "scale": value["scale"]}
    if isinstance(value, dict) and vector_type == "TIMESTAMP_TZ":
        return {"us": value["us"], "zone": value["zone"]}
    if isinstance(value, dict) and vector_type in ("DATE", "DATETIME", "TIMESTAMP"):
        return {"us": value["us"]}
    if isinstance(value, dict) and "f" in value:
        return {"f": value["f"]}
    return value


def python_value_matches(vector_type, value, truth):
    """The Python value denotes the truth exactly."""
    if truth is None:
        return value is None
    if vector_type == "DATE":
        return value.isoformat() == truth["date"]
    if vector_type in ("DATETIME", "TIMESTAMP"):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z" == truth["ts"].replace("+00:00", "Z")
    if vector_type == "TIMESTAMP_TZ":
        offset = value.utcoffset()
        seconds = int(offset.total_seconds())
        sign = "-" if seconds < 0 else "+"
        text = value.strftime("%Y-%m-%dT%H:%M:%S.%f") + \
            f"{sign}{abs(seconds) // 3600:02d}:{abs(seconds) // 60 % 60:02d}"
        return text == truth["ts"]
    if vector_type == "DECIMAL128":
        return isinstance(value, decimal.Decimal) and value == decimal.Decimal(truth["decimal"]) \
            and (truth["scale"] < 0 or value.as_tuple().exponent == -truth["scale"])
    if vector_type == "BINARY":
        return value == bytes.fromhex(truth["hex"])
    if vector_type in ("STRING", "ARRAY", "MAP", "STRUCT"):
        if isinstance(truth, dict):
            return value.encode("utf-8", "surrogateescape") == bytes.fromhex(truth["hex"])
        return value == truth
    if vector_type in ("DOUBLE", "FLOAT"):
        return repr(value) == truth["f"] or (math.isnan(value) and truth["f"] == "nan")
    if vector_type in ("INTEGER", "LONG"):
        return value == int(truth)
    return value == truth


def year_in_python_range(vector_type, truth):
    if truth is None or vector_type not in ("DATE", "DATETIME", "TIMESTAMP", "TIMESTAMP_TZ"):
        return True
    text = truth.get("date") or truth.get("ts")
    return not text.startswith(("+", "-", "0000"))


@pytest.mark.parametrize("path", vectors("chunks"), ids=os.path.basename)
def test_chunk_truth(path):
    meta, payload = load(path)
    truth = meta["truth"]
    batch = db.decode_result_batch(payload)
    assert batch.num_rows == truth["rows"]
    assert batch.column_types == [c["vector_type"] for c in truth["columns"]]
    in_range = True
    for index, column in enumerate(truth["columns"]):
        vtype = column["vector_type"]
        raw = [canonical_raw(vtype, v) for v in batch.raw_column(index)]
        assert raw == [truth_key(vtype, v) for v in column["values"]], f"column {index}"
        if all(year_in_python_range(vtype, v) for v in column["values"]):
            values = batch.column(index)
            for row, (value, want) in enumerate(zip(values, column["values"])):
                assert python_value_matches(vtype, value, want), (index, row, value, want)
        else:
            in_range = False
            with pytest.raises(db.DataError, match="outside the years"):
                batch.column(index)
    if in_range:
        assert len(batch.rows()) == truth["rows"]


@pytest.mark.parametrize("path", vectors("metadata"), ids=os.path.basename)
def test_metadata_truth(path):
    meta, payload = load(path)
    # Counts beyond 2^53 are JSON strings in the vectors.
    assert db.decode_result_metadata(payload) == {
        "row_count": int(meta["truth"]["row_count"]), "fields": meta["truth"]["fields"]}


@pytest.mark.parametrize("path", vectors("malformed"), ids=os.path.basename)
def test_malformed_refused(path):
    meta, payload = load(path)
    with pytest.raises(db.DecodeError) as info:
        if meta["input_kind"] == "metadata":
            db.decode_result_metadata(payload)
        else:
            db.decode_result_batch(payload, meta.get("metadata_field_count"))
    assert str(info.value)
    assert isinstance(info.value, db.DataError)
