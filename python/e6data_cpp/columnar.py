"""pandas output from the engine's column arrays (fetch_df)."""


def to_dataframe(arrays, description):
    """A DataFrame from ``fetchnumpy()``'s arrays, with the description's column names (repeated
    names kept). Nulls: nullable ``Int32``/``Int64``/``Float64``/``boolean`` for numbers and
    booleans, ``NaT`` for times; TIMESTAMP_TZ columns are UTC-aware."""
    import numpy
    import pandas

    names = [entry[0] for entry in description] if description else list(arrays)
    types = [entry[1] for entry in description] if description else [None] * len(arrays)
    columns = {}
    for index, (key, array) in enumerate(arrays.items()):
        type_name = types[index] if index < len(types) else None
        columns[index] = _series_values(array, type_name, numpy, pandas)
    frame = pandas.DataFrame(columns, copy=False)
    frame.columns = names[: len(columns)] if names else list(arrays)
    return frame


def _series_values(array, type_name, numpy, pandas):
    masked = isinstance(array, numpy.ma.MaskedArray)
    data = array.data if masked else array
    mask = numpy.ma.getmaskarray(array) if masked else None
    kind = data.dtype.kind
    if kind == "M":  # datetime64: nulls become NaT
        if masked:
            data = data.copy()
            data[mask] = numpy.datetime64("NaT")
        try:
            series = pandas.Series(data)
        except pandas.errors.OutOfBoundsDatetime:
            # pandas 1.5 holds nanoseconds (1677..2262): other times become Python objects.
            return _datetime_objects(data, mask, type_name, numpy, pandas)
        return series.dt.tz_localize("UTC") if type_name == "TIMESTAMP_TZ" else series
    if not masked:
        return data
    if kind in "iu":
        return pandas.arrays.IntegerArray(data, mask)
    if kind == "f":
        return pandas.arrays.FloatingArray(data, mask)
    if kind == "b":
        return pandas.arrays.BooleanArray(data, mask)
    return array.filled(None) if kind == "O" else data


def _datetime_objects(data, mask, type_name, numpy, pandas):
    """Python date/datetime objects (None for nulls) for times pandas cannot hold; years Python
    cannot hold either are an error, never another value."""
    import datetime

    from .exceptions import DataError

    objects = data.astype(object)
    out = numpy.empty(len(objects), dtype=object)
    for i, value in enumerate(objects):
        if (mask is not None and mask[i]) or value is None:
            out[i] = None
        elif isinstance(value, (datetime.date, datetime.datetime)):
            if type_name == "TIMESTAMP_TZ":
                value = value.replace(tzinfo=datetime.timezone.utc)
            out[i] = value
        else:  # numpy gives an int for years outside 1..9999
            raise DataError(f"{data[i]} is outside the years pandas and Python can hold; "
                            "use fetchnumpy() (datetime64) instead")
    return pandas.Series(out, dtype=object)
