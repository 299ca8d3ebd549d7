#!/usr/bin/python3
"""Regenerates the golden NumPy files of NumpyReaderTest with NumPy itself (Debian python3-numpy).

Run from this folder: /usr/bin/python3 make-golden.py. Each array's values are k (uint8/int) or
k / 8 (floats) at flat index k, so the test recomputes them without NumPy.
"""
import numpy as np

shape = (2, 3, 4)
k = np.arange(24).reshape(shape)
arrays = {
    "u1": k.astype(np.uint8),
    "i4": k.astype(np.int32),
    "i8": k.astype(np.int64),
    "f4": (k / 8).astype(np.float32),
    "f8": (k / 8).astype(np.float64),
    "labels": np.array([1, 0], dtype=np.int64),
}
np.savez("golden.npz", **arrays)
np.savez_compressed("golden-compressed.npz", **arrays)
np.save("f4.npy", arrays["f4"])
np.save("fortran.npy", np.asfortranarray(arrays["f4"]))
np.save("objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
np.save("big-endian.npy", arrays["f4"].astype(">f4"))
np.save("float16.npy", arrays["f4"].astype(np.float16))
