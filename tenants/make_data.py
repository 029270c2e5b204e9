"""Extract the demo cities' division data from the full 2023 dataset.

The tenant files ship their own subset so that a checkout can load the demo
without the 600k-row national dataset. Rerun after a new data edition:

    .venv/bin/python tenants/make_data.py [--from ../shared/data/divisions-2023]

Rows are copied as read (same columns, same quoting style) so the shipped
files exercise exactly the importer path the national import uses.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent / "shared" / "data" / "divisions-2023"
DEMO_CITIES = ("6205", "3302", "3207", "6203")

# file name -> the column that names the row's city (cities are their own code)
CITY_COLUMN = {"cities": "code", "areas": "cityCode", "streets": "cityCode", "villages": "cityCode"}


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _write(target: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    # Names quoted and codes bare, like the source, so a diff against it is readable.
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(header)
    name_at = header.index("name")
    for row in rows:
        buffer.write(",".join(_quote(v) if i == name_at else v for i, v in enumerate(row)) + "\n")
    # mtime=0 keeps the gzip bytes stable, so rerunning does not dirty git.
    with open(target, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as fh:
        fh.write(buffer.getvalue().encode("utf-8"))


def extract(source: Path, target_root: Path, cities: tuple[str, ...] = DEMO_CITIES) -> None:
    for file_name, column in CITY_COLUMN.items():
        with gzip.open(source / f"{file_name}.csv.gz", "rt", encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            at = header.index(column)
            selected: dict[str, list[list[str]]] = {city: [] for city in cities}
            for row in reader:
                if row[at] in selected:
                    selected[row[at]].append(row)
        for city, rows in selected.items():
            out_dir = target_root / city
            out_dir.mkdir(parents=True, exist_ok=True)
            _write(out_dir / f"{file_name}.csv.gz", header, rows)
            print(f"{city} {file_name}: {len(rows)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--to", dest="target", type=Path, default=HERE / "data")
    args = parser.parse_args()
    extract(args.source, args.target)


if __name__ == "__main__":
    main()
