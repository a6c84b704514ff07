#!/usr/bin/env python3
"""Reads HXL files with libhxl (PyPI), as HDX's tools do, and prints what it found as JSON:
for each file, its hashtags as libhxl reads them, its number of rows and the sum of each
numeric column. Used by the export test (tests/it/hxl.rs); needs `pip install libhxl`."""
import json
import sys

import hxl

found = {}
for path in sys.argv[1:]:
    source = hxl.data(path, hxl.InputOptions(allow_local=True))
    tags = [column.display_tag for column in source.columns]
    sums = {}
    rows = 0
    for row in source:
        rows += 1
        for column, value in zip(source.columns, row.values):
            try:
                number = float(value) if value not in (None, "") else None
            except ValueError:
                number = None
            if number is not None:
                sums[column.display_tag] = sums.get(column.display_tag, 0) + number
    found[path] = {"tags": tags, "rows": rows, "sums": sums}
print(json.dumps(found))
