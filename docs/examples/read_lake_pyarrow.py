"""Reads every table of an sgdlens lake with pyarrow and decodes the first chunk of each vector
table with numpy: python3 docs/examples/read_lake_pyarrow.py ./lake

run_id comes back from the Hive-style folder names (partitioning="hive"). A vector chunk's
`values` are little-endian float32, `chunk_offset` is where the chunk starts in the flat vector
(param_layout gives each parameter's name, param_offset and shape). Files written before schema
version 2 of these tables name it `offset` (docs/queries.md, "Renamed columns"). Runs become visible when their row
in `runs` says COMMITTED; filter record tables on that to skip runs still being written.
"""
import os
import sys

import numpy as np
import pyarrow.compute as pc
import pyarrow.dataset as ds

lake = sys.argv[1] if len(sys.argv) > 1 else "lake"
for table in sorted(os.listdir(lake)):
    if table.startswith(("_", ".")):
        continue
    data = ds.dataset(os.path.join(lake, table), format="parquet", partitioning="hive").to_table()
    runs = len(pc.unique(data.column("run_id"))) if "run_id" in data.column_names else "-"
    line = f"{table:20s} {data.num_rows:9d} rows {data.num_columns:3d} columns, runs {runs}"
    if table in ("weights", "gradients", "final_params") and data.num_rows:
        chunk = np.frombuffer(data.column("values")[0].as_py(), dtype="<f4")
        line += f"; first chunk: {len(chunk)} floats, all finite {bool(np.isfinite(chunk).all())}"
    print(line)
