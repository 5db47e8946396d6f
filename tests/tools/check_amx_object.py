#!/usr/bin/env python3
"""Checks the AMX tiles' object code (BUILD/src/engine/quant_repack_amx.o)
without an AMX CPU: what a machine without AMX cannot run, it can still read.

    check_amx_object.py OBJECT      (prints "ok ..." / "FAIL ..." lines; exit 1 on a failure)

The emulated tiles (test_quant_k test_repack_amx_emu) run the same C with the
five instructions as C functions, so they test the tiling, the layouts and
the table's shapes, but not how the real build hands the table to the CPU.
That is where a bug hid: GCC 12's _tile_loadconfig declares a read of 8
bytes, the stores building the table on the stack were deleted, and every
tile was configured 0 x 0 (AMX would have failed its start-up check on every
machine). So, in the object file as built (objdump, readelf):

  1. the table amx_cfg holds a valid palette-1 configuration (Intel SDM,
     LDTILECFG: palette 1, start_row 0, reserved bytes 0, at most 16 rows
     and 64 bytes a row, a tile's rows and bytes both 0 or both not);
  2. every function quant_amx_tile_* runs ldtilecfg (or calls a function
     that does) before its first tile instruction, and every ldtilecfg
     reads amx_cfg itself (a RIP-relative
     operand relocated to the table; never a stack copy);
  3. every tile an instruction names is configured, and every tdpbXXd's
     shapes satisfy the instruction's rules against that table
     (C.rows = A.rows, C.colsb = B.colsb, A.colsb = 4 B.rows): the checks a
     real CPU makes before it raises #UD.
"""
import re
import subprocess
import sys


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def main():
    obj = sys.argv[1]
    fails = []
    oks = []

    # ---- symbols: amx_cfg (section, value, size), section indices ----------
    syms = {}
    for line in run("readelf", "-sW", obj).splitlines():
        f = line.split()
        if len(f) >= 8 and f[0].endswith(":") and f[6].isdigit():
            syms[f[7]] = (int(f[6]), int(f[1], 16), int(f[2], 0))
    secnames = {}
    for m in re.finditer(r"\[\s*(\d+)\]\s+(\S+)", run("readelf", "-SW", obj)):
        secnames[int(m.group(1))] = m.group(2)
    if "amx_cfg" not in syms:
        # the compiler keeps a static table only where code reads it
        fails.append(f"{obj}: no symbol amx_cfg: no instruction reads the tile configuration table")
        sec_idx, cfg_off, cfg_size = None, 0, 0
        cfg_sec = None
        dump = ""
    else:
        sec_idx, cfg_off, cfg_size = syms["amx_cfg"]
        cfg_sec = secnames[sec_idx]
        dump = run("readelf", "-x", cfg_sec, obj)
    data = bytearray()
    for line in dump.splitlines():
        m = re.match(r"\s*0x([0-9a-f]+) ((?:[0-9a-f]{8} ?){1,4})", line)
        if m:
            off = int(m.group(1), 16)
            chunk = bytes.fromhex(m.group(2).replace(" ", ""))
            if len(data) < off:
                data.extend(b"\0" * (off - len(data)))
            data[off:off + len(chunk)] = chunk
    cfg = bytes(data[cfg_off:cfg_off + 64])

    # ---- 1. the table ----------------------------------------------------------
    shapes = {}
    bad = []
    if cfg_sec is None:
        pass
    elif cfg_size != 64 or len(cfg) != 64:
        bad.append(f"amx_cfg is {cfg_size} bytes, not 64")
    else:
        if cfg[0] != 1:
            bad.append(f"palette {cfg[0]}, not 1")
        if cfg[1] != 0:
            bad.append(f"start_row {cfg[1]}, not 0")
        if any(cfg[2:16]):
            bad.append("reserved bytes 2-15 not 0")
        if any(cfg[32:48]) or any(cfg[56:64]):
            bad.append("bytes of tiles 8-15 not 0 (palette 1 has 8 tiles)")
        for t in range(8):
            colsb = cfg[16 + 2 * t] | cfg[17 + 2 * t] << 8
            rows = cfg[48 + t]
            if rows > 16 or colsb > 64 or colsb % 4 or (rows == 0) != (colsb == 0):
                bad.append(f"tile {t}: {rows} rows x {colsb} bytes")
            shapes[t] = (rows, colsb)
    if bad:
        fails.append("amx_cfg: " + "; ".join(bad))
    elif cfg_sec is not None:
        oks.append("amx_cfg: palette 1, " + ", ".join(f"tmm{t} {r}x{c}" for t, (r, c) in shapes.items()))

    # ---- 2. and 3. the code ---------------------------------------------------
    text = run("objdump", "-dr", "-M", "intel", "--no-show-raw-insn", obj)
    funcs = {}  # name -> list of (addr, insn, reloc or None)
    cur = None
    for line in text.splitlines():
        m = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if m:
            cur = funcs.setdefault(m.group(1), [])
            continue
        if cur is None:
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+R_X86_64_(\w+)\s+(\S+)$", line)
        if m and cur:
            cur[-1][2].append((int(m.group(1), 16), m.group(2), m.group(3)))
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", line)
        if m:
            cur.append((int(m.group(1), 16), m.group(2).split("#")[0].strip(), []))

    def reloc_target(rel):
        _, kind, expr = rel
        m = re.match(r"^([^+-]+)([+-]0x[0-9a-f]+)?$", expr)
        if not m or kind not in ("PC32", "PLT32"):
            return None
        name, add = m.group(1), int(m.group(2) or "0", 16)
        if name in syms:
            s_sec, s_val, _ = syms[name]
            return secnames.get(s_sec), s_val + add + 4
        return name, add + 4  # a section symbol

    tile_ins = re.compile(r"^(tileloadd\w*|tilestored|tilezero|tdpb[su][su]d|tilerelease)\b(.*)$")
    amx_funcs = [f for f in funcs if f.startswith("quant_amx_tile_")]
    if not amx_funcs:
        fails.append("no function quant_amx_tile_* in the object")
    n_cfg = n_tdp = 0
    # functions that configure the tiles: ldtilecfg in their body (a call to
    # one, where the compiler did not inline it, configures the caller)
    cfg_funcs = {f for f, body in funcs.items() if any(i.startswith("ldtilecfg") for _, i, _ in body)}
    for name in sorted(funcs):
        configured = False
        for addr, ins, rels in funcs[name]:
            callee = re.match(r"^call\s.*<([^>+]+)", ins)
            if callee and callee.group(1) in cfg_funcs:
                configured = True
                continue
            if ins.startswith("ldtilecfg"):
                n_cfg += 1
                target = reloc_target(rels[0]) if rels else None
                if "[rip+" not in ins or target != (cfg_sec, cfg_off):
                    where = f"{target[0]}+{target[1]:#x}" if target else ins.split(None, 1)[-1]
                    fails.append(f"{name}+{addr:#x}: '{ins}' reads {where}, not the table amx_cfg")
                configured = True
                continue
            m = tile_ins.match(ins)
            if not m:
                continue
            if not configured and name in amx_funcs and m.group(1) != "tilerelease":
                fails.append(f"{name}+{addr:#x}: '{ins}' before any ldtilecfg in the function")
                configured = True  # one message per function
            tiles = [int(t) for t in re.findall(r"tmm(\d)", m.group(2))]
            for t in tiles:
                if shapes and shapes.get(t, (0, 0))[0] == 0:
                    fails.append(f"{name}+{addr:#x}: '{ins}' uses tmm{t}, configured 0 x 0")
            if m.group(1).startswith("tdpb") and len(tiles) == 3 and shapes:
                n_tdp += 1
                (cr, cc), (ar, ac), (br, bc) = (shapes[t] for t in tiles)
                if not (cr == ar and cc == bc and ac == 4 * br):
                    fails.append(f"{name}+{addr:#x}: '{ins}': C {cr}x{cc}, A {ar}x{ac}, B {br}x{bc} break "
                                 "C.rows = A.rows, C.colsb = B.colsb, A.colsb = 4 B.rows")
    if not fails:
        oks.append(f"{len(amx_funcs)} AMX functions: {n_cfg} ldtilecfg all read amx_cfg, "
                   f"{n_tdp} tile products with valid shapes")
    for o in oks:
        print("ok   " + o)
    for f in fails:
        print("FAIL " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
