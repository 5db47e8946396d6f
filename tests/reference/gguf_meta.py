"""A GGUF file's scalar metadata (ids, flags, sizes, strings), read in a blink.

The gguf package's GGUFReader builds a numpy view for every element of every
metadata array: 15 s for Gemma 3's 262144-token vocabulary, 4 s for
SmolLM2's, before one scalar can be asked for. The test scripts that only
need a token id or a flag read it here instead: the header and key/value
section as the GGUF spec lays them out (little-endian, version 2 and 3),
arrays skipped by their sizes, nothing of fitchat's own parser used.

  scalars(path) -> {key: int | float | bool | str} for every non-array key
"""
import mmap
import struct

_FIXED = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def scalars(path):
    out = {}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        if m[:4] != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file (magic {m[:4]!r})")
        version, = struct.unpack_from("<I", m, 4)
        if version not in (2, 3):
            raise ValueError(f"{path}: GGUF version {version} (2 or 3 expected)")
        _, n_kv = struct.unpack_from("<QQ", m, 8)
        off = 24

        def string(off):
            n, = struct.unpack_from("<Q", m, off)
            return m[off + 8:off + 8 + n].decode("utf-8", errors="replace"), off + 8 + n

        for _ in range(n_kv):
            key, off = string(off)
            t, = struct.unpack_from("<I", m, off)
            off += 4
            if t in _FIXED:
                fmt = "<" + _FIXED[t]
                out[key], = struct.unpack_from(fmt, m, off)
                off += struct.calcsize(fmt)
            elif t == 8:
                out[key], off = string(off)
            elif t == 9:
                et, n = struct.unpack_from("<IQ", m, off)
                off += 12
                if et in _FIXED:
                    off += n * struct.calcsize("<" + _FIXED[et])
                elif et == 8:
                    for _ in range(n):
                        k, = struct.unpack_from("<Q", m, off)
                        off += 8 + k
                else:
                    raise ValueError(f"{path}: key {key}: array of type {et} not read here")
            else:
                raise ValueError(f"{path}: key {key}: value type {t} unknown")
            if off > len(m):
                raise ValueError(f"{path}: key {key} runs past the end of the file")
    return out
