"""Reference comparisons with the real tools, for tests/differential.rs.

usage: python3 compare.py TOOL PAIRS_FILE
PAIRS_FILE has one pair a line: two hex-encoded UTF-8 strings, each prefixed with 'x'.
Prints one line per pair: -1, 0 or 1 (a <, =, > b), or E followed by 'a' and/or 'b' naming
the side(s) the tool rejects. TOOL is one of:
  dpkg      Debian's dpkg binary: `dpkg --validate-version` on each side, then
            `dpkg --compare-versions` (two calls per pair)
  apt_pkg   python3-apt's apt_pkg.version_compare (apt's copy of dpkg's algorithm; it
            validates nothing, so only for valid versions)
  rpm       python3-rpm's rpm.ver objects (rpmverCmp, rpm 4.16+)
  pep440    PyPA packaging.version.Version
"""
import subprocess
import sys


def pairs(path):
    with open(path) as f:
        for line in f:
            a, b = line.split()
            yield bytes.fromhex(a[1:]).decode(), bytes.fromhex(b[1:]).decode()


def sign(n):
    return (n > 0) - (n < 0)


def main():
    tool, path = sys.argv[1], sys.argv[2]
    out = []
    valid = {}

    def dpkg_ok(v):
        if v not in valid:
            r = subprocess.run(["dpkg", "--validate-version", "--", v], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            valid[v] = r.returncode == 0
        return valid[v]

    if tool == "dpkg":
        for a, b in pairs(path):
            va, vb = dpkg_ok(a), dpkg_ok(b)
            if not (va and vb):
                out.append("E" + ("" if va else "a") + ("" if vb else "b"))
                continue
            def rel(op):
                r = subprocess.run(["dpkg", "--compare-versions", "--", a, op, b], stderr=subprocess.DEVNULL)
                if r.returncode not in (0, 1):
                    raise SystemExit(f"dpkg failed on {a!r} {b!r}")
                return r.returncode == 0
            out.append(-1 if rel("lt") else (1 if rel("gt") else 0))
    elif tool == "apt_pkg":
        import apt_pkg
        apt_pkg.init_system()
        for a, b in pairs(path):
            out.append(sign(apt_pkg.version_compare(a, b)))
    elif tool == "rpm":
        import rpm
        for a, b in pairs(path):
            va, vb = rpm.ver(a), rpm.ver(b)
            out.append((va > vb) - (va < vb))
    elif tool == "pep440":
        from packaging.version import InvalidVersion, Version

        def parse(s):
            try:
                return Version(s)
            except InvalidVersion:
                return None

        for a, b in pairs(path):
            va, vb = parse(a), parse(b)
            if va is None or vb is None:
                out.append("E" + ("a" if va is None else "") + ("b" if vb is None else ""))
            else:
                out.append((va > vb) - (va < vb))
    else:
        raise SystemExit(f"unknown tool {tool}")
    sys.stdout.write("".join(f"{r}\n" for r in out))


main()
