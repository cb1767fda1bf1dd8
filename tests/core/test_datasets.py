"""Data loading: the shipped Ames subset, clear one-sentence errors for bad CSV files, toy sets."""

from __future__ import annotations

import numpy as np
import pytest

from gdstudio.io import datasets as ds
from gdstudio.io.datasets import DataError, load_csv_columns, select_xy


def write(tmp_path, name, text, mode="w"):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def one_sentence(msg: str) -> bool:
    return "\n" not in msg and msg.count(". ") == 0 and len(msg) < 400


# ----------------------------------------------------------------------------- housing
def test_housing_shipped_and_sane():
    t = ds.load_housing()
    assert t.n_rows == 1460
    for c in ("Id", "LotArea", "GrLivArea", "OverallQual", "YearBuilt", "SalePrice"):
        assert c in t.data
    x, y = select_xy(t, "LotArea", "SalePrice")
    assert x.shape == y.shape == (1460,)
    assert y.mean() == pytest.approx(180921.20, abs=0.01)
    assert np.median(y) == 163000
    assert (y.min(), y.max()) == (34900, 755000)
    assert x.mean() == pytest.approx(10516.83, abs=0.01)
    assert np.median(x) == 9478.5
    assert (x.min(), x.max()) == (1300, 215245)
    assert not t.missing
    assert ds.resource_path(ds.HOUSING_FILE).is_file()
    assert (ds.resource_path("data/README.md")).is_file()


def test_credit_and_units():
    for needle in ("De Cock", "2011", "Journal of Statistics Education 19(3)",
                   "Assessor's Office", "Kaggle", "House Prices - Advanced Regression Techniques"):
        assert needle in ds.AMES_CREDIT
    assert ds.COLUMN_UNITS["LotArea"] == "sq ft"
    assert ds.COLUMN_UNITS["SalePrice"] == "$"
    assert ds.COLUMN_UNITS["YearBuilt"] == "year"
    assert ds.COLUMN_UNITS["OverallQual"] == "rating 1-10"


def test_missing_resource_is_clear():
    with pytest.raises(DataError, match="was not found"):
        ds.resource_path("data/no_such_thing.csv")


# ----------------------------------------------------------------------------- good CSV
def test_reads_numeric_columns_and_skips_text(tmp_path):
    p = write(tmp_path, "h.csv", "a,Street,b\n1,Pave,2.5\n2,Grvl,3.5\n3,Pave,-1e3\n")
    t = load_csv_columns(p)
    assert t.columns == ["a", "Street", "b"]
    assert list(t.data) == ["a", "b"]
    assert t.n_rows == 3
    np.testing.assert_array_equal(t.data["b"], [2.5, 3.5, -1000.0])
    with pytest.raises(DataError) as e:
        select_xy(t, "Street", "b")
    assert str(e.value).startswith("column 'Street' is not numeric")
    assert one_sentence(str(e.value))


def test_semicolon_bom_crlf_and_blank_lines(tmp_path):
    p = write(tmp_path, "s.csv", b"\xef\xbb\xbfx;y\r\n1;2\r\n\r\n3;4\r\n", mode="wb")
    t = load_csv_columns(p)
    assert t.columns == ["x", "y"]
    np.testing.assert_array_equal(t.data["y"], [2, 4])


def test_multiple_x_columns(tmp_path):
    p = write(tmp_path, "m.csv", "a,b,c\n1,2,3\n4,5,6\n")
    X, y = select_xy(load_csv_columns(p), ["a", "b"], "c")
    assert X.shape == (2, 2) and y.shape == (2,)


# ----------------------------------------------------------------------------- bad CSV
def test_missing_file(tmp_path):
    p = tmp_path / "nope.csv"
    with pytest.raises(DataError) as e:
        load_csv_columns(p)
    assert str(e.value) == f"no such file: {p}"


def test_empty_file(tmp_path):
    for text in ("", "\n\n  \n"):
        with pytest.raises(DataError, match="nope.csv is empty|e.csv is empty"):
            load_csv_columns(write(tmp_path, "e.csv", text))


def test_binary_and_workbook_and_undecodable(tmp_path):
    with pytest.raises(DataError, match="is not a CSV file .it holds binary data"):
        load_csv_columns(write(tmp_path, "b.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "wb"))
    with pytest.raises(DataError, match="spreadsheet workbook"):
        load_csv_columns(write(tmp_path, "w.csv", b"PK\x03\x04" + b"\x00" * 20, "wb"))
    # bytes that are neither UTF-8 nor Windows-1252
    with pytest.raises(DataError, match="cannot be decoded as UTF-8") as e:
        load_csv_columns(write(tmp_path, "u.csv", b"a,b\n\x81\x8d,\x90\n1,2\n", "wb"))
    assert one_sentence(str(e.value))


def test_windows_1252_is_accepted(tmp_path):
    t = load_csv_columns(write(tmp_path, "w.csv", "Préis,b\n1,2\n3,4\n".encode("cp1252"), "wb"))
    assert t.columns == ["Préis", "b"]


def test_no_numeric_columns(tmp_path):
    with pytest.raises(DataError) as e:
        load_csv_columns(write(tmp_path, "t.csv", "name,town\nann,ames\nbob,boone\n"))
    assert str(e.value) == "t.csv has no numeric columns (columns: name, town)"


def test_missing_values_report_spreadsheet_rows(tmp_path):
    rows = ["LotArea,SalePrice"]
    for i in range(2, 260):                      # spreadsheet rows 2..259
        rows.append(("" if i in (4, 17, 250) else str(i)) + f",{i * 10}")
    t = load_csv_columns(write(tmp_path, "m.csv", "\n".join(rows) + "\n"))
    assert t.missing == {"LotArea": (4, 17, 250)}
    with pytest.raises(DataError) as e:
        select_xy(t, "LotArea", "SalePrice")
    msg = str(e.value)
    assert msg.startswith("column 'LotArea' has 3 missing values (rows 4, 17, 250")
    assert "header as row 1" in msg and one_sentence(msg)
    # NA spelled out counts as missing, not as text
    t = load_csv_columns(write(tmp_path, "n.csv", "a,b\n1,NA\n2,3\n"))
    assert t.missing == {"b": (2,)}
    with pytest.raises(DataError, match=r"column 'b' has 1 missing value \(row 2,"):
        t.column("b")


def test_single_row(tmp_path):
    with pytest.raises(DataError) as e:
        load_csv_columns(write(tmp_path, "one.csv", "a,b\n1,2\n"))
    assert str(e.value) == "need at least 2 rows of data; one.csv has 1"
    with pytest.raises(DataError, match="need at least 2 rows of data; h.csv has 0"):
        load_csv_columns(write(tmp_path, "h.csv", "a,b\n"))


def test_huge_file_refused_before_reading(tmp_path, monkeypatch):
    p = write(tmp_path, "big.csv", "a,b\n" + "1,2\n" * 100)
    with pytest.raises(DataError, match=r"big.csv is 0.0 MB, more than the 0 MB limit"):
        load_csv_columns(p, max_bytes=100)
    # the byte limit is checked before the file is read at all
    monkeypatch.setattr(type(p), "read_bytes", lambda self: pytest.fail("file was read"))
    with pytest.raises(DataError, match="limit"):
        load_csv_columns(p, max_bytes=100)


def test_too_many_rows(tmp_path):
    p = write(tmp_path, "rows.csv", "a,b\n" + "1,2\n" * 60)
    with pytest.raises(DataError) as e:
        load_csv_columns(p, max_rows=50)
    assert str(e.value) == "rows.csv has more than 50 rows of data, the limit; use a smaller sample of it"
    assert ds.MAX_ROWS == 1_000_000 and ds.MAX_BYTES == 50 * 1024 * 1024


def test_unknown_column(tmp_path):
    t = load_csv_columns(write(tmp_path, "abc.csv", "a,b,c\n1,2,3\n4,5,6\n"))
    with pytest.raises(DataError) as e:
        select_xy(t, "Foo", "a")
    assert str(e.value) == "no column 'Foo' in abc.csv; columns are: a, b, c"
    # a unique case-insensitive match is accepted
    x, y = select_xy(t, "A", "c")
    np.testing.assert_array_equal(x, [1, 4])


def test_ragged_row(tmp_path):
    with pytest.raises(DataError) as e:
        load_csv_columns(write(tmp_path, "r.csv", "a,b\n1,2\n3\n4,5\n"))
    assert str(e.value) == "row 3 of r.csv has 1 fields but the header has 2"


def test_all_missing_column(tmp_path):
    t = load_csv_columns(write(tmp_path, "z.csv", "a,b\n1,\n2,\n"))
    with pytest.raises(DataError, match="column 'b' has no values"):
        t.column("b")


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        load_csv_columns(tmp_path)


# ----------------------------------------------------------------------------- toy sets
@pytest.mark.parametrize("name", list(ds.TOY_DATASETS))
def test_toy_sets_seeded(name):
    X1, y1, task = ds.make_toy(name, n=64, seed=3)
    X2, y2, _ = ds.make_toy(name, n=64, seed=3)
    X3, _, _ = ds.make_toy(name, n=64, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert X1.shape[0] == y1.shape[0] == 64
    if task == "classification":
        assert X1.shape == (64, 2) and set(np.unique(y1)) == {0.0, 1.0}
    else:
        assert X1.shape == (64, 1)


def test_sine_defaults():
    X, y = ds.make_sine()
    assert X.shape == (100, 1) and y.shape == (100,)
    assert np.std(y - np.sin(X[:, 0])) == pytest.approx(0.1, rel=0.3)


def test_unknown_toy():
    with pytest.raises(DataError, match="no toy data set 'blobs'"):
        ds.make_toy("blobs")
