#!/usr/bin/env python3
"""Writes the committed files of the bad-input corpus (see README.md and cases.toml).

The files are committed; this script only documents how each was made and lets a reviewer
regenerate them (`python3 testdata/hostile/make_files.py`). Output is deterministic: fixed
mtimes, uid/gid 0, sorted JSON keys. Cases whose bytes are too big to commit are built at test
time by crates/hostile (their `recipe` in cases.toml) instead.
"""

import io
import json
import os
import struct
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
MTIME = 1_704_067_200  # 2024-01-01T00:00:00Z, as crowsnest-testkit's layers


def out(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def tar_bytes(members):
    """members: list of (TarInfo-ish dict). Written in GNU format, no normalisation of names."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT,
                      encoding="utf-8", errors="surrogateescape") as t:
        for m in members:
            info = tarfile.TarInfo(m["name"])
            info.mtime = MTIME
            info.mode = m.get("mode", 0o644)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            kind = m.get("type", "file")
            if kind == "file":
                data = m.get("data", b"")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = m["target"]
                t.addfile(info)
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = m["target"]
                t.addfile(info)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
    return buf.getvalue()


def f(name, data, mode=0o644):
    return {"name": name, "data": data if isinstance(data, bytes) else data.encode(), "mode": mode}


ALPINE_RELEASE = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n'


def octal(n, width):
    return (b"%0*o" % (width - 1, n)) + b"\0"


def base256(n, width):
    return bytes([0x80]) + n.to_bytes(width - 1, "big")


def gnu_header(name, typeflag, size_field, extra=None):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = octal(0o755 if typeflag == b"S" else 0o644, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = size_field
    h[136:148] = octal(MTIME, 12)
    h[156:157] = typeflag
    h[257:265] = b"ustar  \0"
    h[265:269] = b"root"
    h[297:301] = b"root"
    if extra:
        extra(h)
    h[148:156] = b"        "
    csum = sum(h)
    h[148:156] = b"%06o\0 " % csum
    return bytes(h)


def sparse_entry(name, real_size, chunk_offset, chunk):
    """An old-GNU sparse ('S') entry: `real_size` bytes long, one data chunk, the rest holes
    (an empty chunk at `real_size` marks the end, as GNU tar writes it)."""
    assert len(chunk) % 512 == 0

    def extra(h):
        h[386:398] = octal(chunk_offset, 12) if chunk_offset < 8**11 else base256(chunk_offset, 12)
        h[398:410] = octal(len(chunk), 12)
        h[410:422] = base256(real_size, 12)
        h[422:434] = octal(0, 12)
        h[482] = 0  # no extended sparse headers
        h[483:495] = base256(real_size, 12)

    return gnu_header(name, b"S", octal(len(chunk), 12), extra) + chunk


def end_of_tar():
    return b"\0" * 1024


TEN_GIB = 10 << 30


def layers():
    out("layer/path-traversal.tar", tar_bytes([
        f("../../../../etc/passwd", "root::0:0:pwned:/root:/bin/sh\n"),
        f("var/lib/dpkg/../../../../../root/.ssh/authorized_keys", "ssh-ed25519 AAAA attacker\n"),
        f("usr/lib/python3/dist-packages/../../../../../tmp/x.dist-info/METADATA",
          "Name: escaped\nVersion: 1.0\n"),
    ]))
    out("layer/absolute-path.tar", tar_bytes([
        f("/etc/os-release", ALPINE_RELEASE),
        f("/lib/apk/db/installed", "P:musl\nV:1.2.4-r2\nA:x86_64\n\n"),
    ]))
    # The links climb far above the root; inside a container they stop at `/`, so they must
    # resolve to the image's own usr/lib/os-release (Alpine), never the scanning host's file.
    out("layer/symlink-escape.tar", tar_bytes([
        {"name": "etc/os-release", "type": "symlink",
         "target": "../../../../../../../../usr/lib/os-release"},
        f("usr/lib/os-release", ALPINE_RELEASE),
        {"name": "etc/debian_version", "type": "symlink", "target": "/../../../../etc/debian_version"},
    ]))
    out("layer/symlink-loop.tar", tar_bytes([
        {"name": "etc/os-release", "type": "symlink", "target": "a"},
        {"name": "etc/a", "type": "symlink", "target": "b"},
        {"name": "etc/b", "type": "symlink", "target": "../etc/os-release"},
        {"name": "usr/lib/os-release", "type": "symlink", "target": "os-release"},
        {"name": "etc/alpine-release", "type": "symlink", "target": "./alpine-release"},
    ]))
    out("layer/hardlink-escape.tar", tar_bytes([
        {"name": "var/lib/dpkg/status", "type": "hardlink", "target": "../../../etc/shadow"},
        {"name": "lib/apk/db/installed", "type": "hardlink", "target": "/etc/shadow"},
    ]))
    out("layer/non-utf8-name.tar", tar_bytes([
        f("usr/lib/python3/dist-packages/caf\udce9-1.0.dist-info/METADATA",
          "Name: cafe\nVersion: 1.0\n"),
    ]))
    # Names with terminal escapes, bidi overrides, NUL-free control characters and non-Latin
    # letters: a scanner must store and report them verbatim, never interpret them.
    out("layer/control-chars-names.tar", tar_bytes([
        f("usr/lib/python3/dist-packages/evil\x1b[2J\x07-1.0.dist-info/METADATA",
          "Name: evil\x1b[2J\x07\x08\x7f\u202egnp.exe\nVersion: 1.0\n"),
        f("usr/lib/python3/dist-packages/\u0444\u0438\u043b\u044c\u0442\u0440-2.0.dist-info/METADATA",
          "Name: \u0444\u0438\u043b\u044c\u0442\u0440\u200b\u2028\nVersion: 2.0\n"),
    ]))
    # The tar announces 10 GiB of data and then the stream simply ends.
    out("layer/huge-size-short-stream.tar",
        gnu_header(b"opt/blob.bin", b"0", base256(TEN_GIB, 12)) + b"x" * 512)
    out("layer/not-an-archive.tar",
        b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n" * 8)
    # 10 GiB files stored in one 512-byte chunk: a package DB and an executable.
    status = b"Package: sparse\nStatus: install ok installed\nVersion: 1\n\n".ljust(512, b"\0")
    out("layer/sparse-10g-pkgdb.tar",
        sparse_entry(b"var/lib/dpkg/status", TEN_GIB, 0, status) + end_of_tar())
    elf = (b"\x7fELF\x02\x01\x01" + b"\0" * 9).ljust(512, b"\0")
    out("layer/sparse-10g-binary.tar",
        sparse_entry(b"usr/local/bin/tool", TEN_GIB, 0, elf) + end_of_tar())
    truncated = io.BytesIO()
    import gzip
    with gzip.GzipFile(fileobj=truncated, mode="wb", mtime=0) as g:
        g.write(tar_bytes([f("usr/share/doc/README-%03d" % i, "padding " * 64) for i in range(64)]))
    data = truncated.getvalue()
    out("layer/truncated.tar.gz", data[: len(data) // 2])


def pkgdbs():
    out("pkgdb/dpkg-garbage.tar", tar_bytes([
        f("var/lib/dpkg/status", bytes(range(256)) * 16 + b"\nPackage: \xff\xfe\nVersion:\n\n"),
    ]))
    out("pkgdb/apk-garbage.tar", tar_bytes([
        f("lib/apk/db/installed",
          b"P:\nV:\nP:" + b"\xc3\x28" * 64 + b"\nV:1\x00\x00\nA:\x1b[31m\n\nV:orphan-version\n"),
    ]))
    out("pkgdb/rpm-sqlite-garbage.tar", tar_bytes([
        f("var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0" + b"\xff" * 4080),
    ]))
    # A BerkeleyDB hash header (magic 0x061561) whose page size is absurd and whose last page
    # number points far past the file.
    bdb = bytearray(4096)
    struct.pack_into("<I", bdb, 12, 0x061561)  # magic
    struct.pack_into("<I", bdb, 16, 9)  # version
    struct.pack_into("<I", bdb, 20, 0x7FFFFFFF)  # pagesize
    struct.pack_into("<I", bdb, 32, 0xFFFFFFFF)  # last_pgno
    out("pkgdb/rpm-bdb-garbage.tar", tar_bytes([f("var/lib/rpm/Packages", bytes(bdb))]))
    ndb = bytearray(4096)
    ndb[0:4] = b"RpmP"
    struct.pack_into("<IIII", ndb, 4, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    out("pkgdb/rpm-ndb-garbage.tar", tar_bytes([f("var/lib/rpm/Packages.db", bytes(ndb))]))
    deep = b'{"name":"deep","version":"1.0.0","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    out("pkgdb/npm-deep-json.tar", tar_bytes([
        f("usr/lib/node_modules/deep/package.json", deep),
        f("srv/app/package-lock.json", b'{"lockfileVersion":3,"packages":' + b"{\"a\":" * 50_000 + b"1" + b"}" * 50_001),
    ]))
    out("pkgdb/npm-wrong-types.tar", tar_bytes([
        f("usr/lib/node_modules/typed/package.json", '{"name":42,"version":{"major":1},"license":[null]}'),
        f("srv/app/package-lock.json", '{"lockfileVersion":"three","packages":[1,2,3]}'),
    ]))
    out("pkgdb/jar-not-zip.tar", tar_bytes([
        f("opt/app/lib/app.jar", b"<html>this is not a jar</html>\n" * 16),
    ]))
    # A jar holding a jar holding a jar... twelve deep, each with a pom.properties.
    inner = b""
    for depth in range(12, 0, -1):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
            info = zipfile.ZipInfo("META-INF/maven/org.hostile/level%d/pom.properties" % depth,
                                   (2024, 1, 1, 0, 0, 0))
            z.writestr(info, "groupId=org.hostile\nartifactId=level%d\nversion=1.%d\n" % (depth, depth))
            if inner:
                z.writestr(zipfile.ZipInfo("BOOT-INF/lib/level%d.jar" % (depth + 1), (2024, 1, 1, 0, 0, 0)), inner)
        inner = b.getvalue()
    out("pkgdb/jar-nested-deep.tar", tar_bytes([f("opt/app/lib/level1.jar", inner)]))
    # Go build info magic followed by a varint length that claims far more than the file has.
    go = bytearray(b"\x7fELF\x02\x01\x01" + b"\0" * 57)
    go += b"\xff Go buildinf:" + bytes([8, 2]) + b"\0" * 16 + b"\xff\xff\xff\xff\xff\xff\xff\xff\x7f" + b"go1.22"
    go = bytes(go).ljust(4096, b"\0")
    out("pkgdb/go-buildinfo-truncated.tar", tar_bytes([f("usr/local/bin/gotool", go, 0o755)]))
    out("pkgdb/os-release-control-chars.tar", tar_bytes([
        f("etc/os-release",
          'ID="\x1b]0;pwned\x07debian"\nVERSION_ID="12\r\n=1+1"\nPRETTY_NAME="\u202eDebian"\n'),
    ]))


def configs_and_manifests():
    out("config/not-json.bin", b"<html><body>config blob replaced by a proxy error page</body></html>\n")
    out("config/deep-nesting.json", b'{"architecture":"amd64","os":"linux","config":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    out("config/wrong-types.json", json.dumps({
        "architecture": 64, "os": ["linux"], "created": {"when": "yesterday"},
        "rootfs": {"type": "layers", "diff_ids": "sha256:nope"}, "history": "none",
    }, sort_keys=True).encode())

    def manifest(body):
        return json.dumps(body, sort_keys=True, indent=1).encode()

    good_config = {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "@CONFIG_DIGEST@", "size": "@CONFIG_SIZE@"}
    good_layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar",
                  "digest": "@LAYER_DIGEST@", "size": "@LAYER_SIZE@"}
    out("manifest/not-json.html", b"<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>\n")
    out("manifest/deep-nesting.json", b'{"schemaVersion":2,"layers":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    out("manifest/unknown-media-type.json", manifest({
        "schemaVersion": 2, "mediaType": "application/vnd.evil.manifest.v1+json",
        "config": good_config, "layers": [good_layer]}))
    out("manifest/missing-config.json", manifest({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "layers": [good_layer]}))
    out("manifest/descriptor-without-size.json", manifest({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": good_config,
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "@LAYER_DIGEST@"}]}))
    out("manifest/traversal-digest.json", manifest({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": good_config,
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": "sha256:../../../../_catalog?x=", "size": 1}]}))
    out("manifest/negative-size.json", manifest({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": good_config,
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "@LAYER_DIGEST@",
                    "size": -1}]}))
    out("manifest/index-of-index.json", manifest({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
                       "digest": "@SELF_INDEX_DIGEST@", "size": "@SELF_INDEX_SIZE@",
                       "platform": {"os": "linux", "architecture": "amd64"}}]}))
    out("manifest/index-no-platform.json", manifest({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": "@MANIFEST_DIGEST@", "size": "@MANIFEST_SIZE@",
                       "platform": {"os": "windows", "architecture": "arm64"}}]}))
    out("manifest/schema1-unsigned.json", manifest({
        "schemaVersion": 1, "name": "hostile/schema1", "tag": "latest", "architecture": "amd64",
        "fsLayers": [{"blobSum": "@LAYER_DIGEST@"}],
        "history": [{"v1Compatibility": "{\"id\":\"x\",\"created\":\"2024-01-01T00:00:00Z\"}"}]}))
    out("manifest/layer-wrong-media-type.json", manifest({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": good_config,
        "layers": [{"mediaType": "text/html", "digest": "@LAYER_DIGEST@", "size": "@LAYER_SIZE@"}]}))


def feeds():
    out("feed/truncated.json", b'{"id":"CROWSNEST-HOSTILE-0001","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fix')
    out("feed/deep-nesting.json", b'{"id":"CROWSNEST-HOSTILE-0002","modified":"2024-01-01T00:00:00Z","affected":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    out("feed/wrong-types.json", json.dumps({
        "id": "CROWSNEST-HOSTILE-0003", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": 7, "name": ["x"]}, "ranges": "all"}],
    }, sort_keys=True).encode())
    out("feed/bad-ranges.json", json.dumps({
        "id": "CROWSNEST-HOSTILE-0004", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
                      "ranges": [{"type": "SEMVER", "events": [
                          {"introduced": "\u0000\u202e9.9"}, {"fixed": "not a version at all"},
                          {"introduced": "1" * 5000}, {"limit": "*"}]}]}],
    }, sort_keys=True).encode())
    laughs = ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        laughs.append("%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]" % ((cur, cur) + (prev,) * 9))
    out("feed/pypa/vulns/lol/PYSEC-0000-1.yaml",
        ("id: PYSEC-0000-1\nmodified: '2024-01-01T00:00:00Z'\n" + "\n".join(laughs) +
         "\naffected:\n- package: {ecosystem: PyPI, name: lol}\n  versions: *j\n").encode())
    out("feed/pypa/vulns/deep/PYSEC-0000-2.yaml",
        b"id: PYSEC-0000-2\nmodified: '2024-01-01T00:00:00Z'\naffected: " + b"[" * 50_000 + b"]" * 50_000 + b"\n")
    out("feed/control-chars.json", json.dumps({
        "id": "CROWSNEST-\u001b[2J-\u202eHOSTILE", "modified": "2024-01-01T00:00:00Z",
        "summary": "\u0007bell \r\n=cmd|' /C calc'!A0",
        "affected": [{"package": {"ecosystem": "npm", "name": "\u0444\u0438\u043b\u044c\u0442\u0440\u0000"},
                      "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]}],
    }, sort_keys=True, ensure_ascii=False).encode())
    # A feed archive with path-traversal names: the importer must read them as labels only.
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz", format=tarfile.GNU_FORMAT) as t:
        rec = json.dumps({"id": "CROWSNEST-HOSTILE-0005", "modified": "2024-01-01T00:00:00Z",
                          "affected": [{"package": {"ecosystem": "npm", "name": "traversal-pkg"},
                                        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]}]},
                         sort_keys=True).encode()
        for name in ["../../../../../../tmp/crowsnest-hostile-escape.json", "/etc/crowsnest-hostile.json"]:
            info = tarfile.TarInfo(name)
            info.size = len(rec)
            info.mtime = MTIME
            t.addfile(info, io.BytesIO(rec))
    out("feed/traversal.tar.gz", b.getvalue())
    # A feed archive cut in the middle of its gzip stream.
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz", format=tarfile.GNU_FORMAT) as t:
        for i in range(40):
            rec = json.dumps({"id": "CROWSNEST-HOSTILE-1%03d" % i, "modified": "2024-01-01T00:00:00Z",
                              "summary": "padding " * 40 + str(i),
                              "affected": [{"package": {"ecosystem": "npm", "name": "cut-%d" % i},
                                            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.1"}]}]}]},
                             sort_keys=True).encode()
            info = tarfile.TarInfo("advisories/CUT-%03d.json" % i)
            info.size = len(rec)
            info.mtime = MTIME
            t.addfile(info, io.BytesIO(rec))
    data = b.getvalue()
    out("feed/truncated.tar.gz", data[: len(data) * 2 // 3])


def api():
    out("api/deep-nesting.json", b'{"version":"2","repository":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    # In an unknown field the parser skips the nesting with its own stack, not by recursion.
    out("api/deep-nesting-unknown-field.json",
        b'{"version":"2","repository":"deep/*","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    out("api/wrong-types.json", json.dumps({
        "version": "2", "registry": "", "repository": "library/alpine", "tag": "", "os": "linux",
        "cap": "five", "scanners": [2], "collections": "All"}, sort_keys=True).encode())
    out("api/invalid-utf8.json", b'{"version":"2","repository":"\xff\xfe\xc3\x28","os":"linux"}')
    out("api/control-chars-spec.json", json.dumps({
        "version": "2", "registry": "http://127.0.0.1:9", "repository": "apps/\u001b[2J\u0007\u202e*",
        "tag": "\r\n", "os": "linux", "cap": 5, "scanners": 1, "collections": ["All"]}).encode())
    out("api/formula-spec.json", json.dumps({
        "version": "2", "registry": "http://127.0.0.1:9",
        "repository": "=HYPERLINK(\"http://evil.example/\",\"click\")", "tag": "@SUM(1+1)*cmd|' /C calc'!A0",
        "os": "linux", "cap": 5, "scanners": 1, "collections": ["+evil", "-2"]}).encode())


if __name__ == "__main__":
    layers()
    pkgdbs()
    configs_and_manifests()
    feeds()
    api()
