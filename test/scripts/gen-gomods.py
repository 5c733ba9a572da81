#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
"""make yocto-modules: write each Go recipe's module lists for go-mod.bbclass,
from what that recipe's binary compiles.

For every recipe named in test/scripts/gen-gomods.conf, next to the recipe:
  <BPN>-go-mods.inc   SRC_URI gomod:// entries: the module zips (sha256 of
                      each) and go.mod files the go command needs to build
                      the recipe's package
  <BPN>-licenses.inc  LICENSE and LIC_FILES_CHKSUM of the modules whose
                      packages the binary compiles

The module set of a recipe is what `go list -deps` of its package loads,
with the recipe's build tags and CGO_ENABLED, for GOOS=linux and each GOARCH
of ARCHES, run against an empty module cache (GOMODCACHE) filled from the
local one (GOPROXY=file://...), as oe-core's go-mod-update-modules class does
with the network: the files go downloads there are the gomod:// entries
(a zip for a module it compiles, its go.mod alone for one it only needs for
the module graph), and each compiled package contributes the license file
nearest to it (its directory, then its parents up to the module root), the
file do_populate_lic will find in ${S}/pkg/mod once do_compile has unpacked
that module. A PACKAGECONFIG option that changes tags or cgo is a variant:
what it adds (or changes) is appended under
${@bb.utils.contains('PACKAGECONFIG', '<option>', ...)}.

  gen-gomods.py            write the files
  gen-gomods.py --check    exit 1 with a diff if a committed file is stale
  gen-gomods.py --stdout   print every file, each after a line "### <path>"

Modules missing from the local module cache: run `go mod download` first
(make yocto-modules does).
"""

import argparse
import difflib
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
LAYER = "meta-parsec"
CONF = os.path.join(HERE, "gen-gomods.conf")
# The Go architectures of oe-core's Linux targets; the module set must be
# the same on all of them (a module compiled on some only would be missing
# from ${S}/pkg/mod on the others and fail their do_populate_lic).
ARCHES = ("amd64", "arm64", "arm", "386", "riscv64", "ppc64le", "mips", "mipsle", "mips64", "mips64le", "loong64")

# As oe-core's license finder (oe.license_finder.find_license_files).
LIC_SPECS = ["*LICEN[CS]E*", "COPYING*", "*[Ll]icense*", "LEGAL*", "[Ll]egal*", "*GPL*", "README.lic*",
             "COPYRIGHT*", "[Cc]opyright*", "e[dp]l-v10"]
LIC_SKIP_EXT = (".html", ".js", ".json", ".svg", ".ts", ".go", ".sh")


DOWNLOADED = []


class GenError(Exception):
    pass


def escape(path):
    return re.sub(r"([A-Z])", lambda m: "!" + m.group(1).lower(), path)


def unescape(path):
    return re.sub(r"!([a-z])", lambda m: m.group(1).upper(), path)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def spdx_of(path):
    """SPDX id of a license text (the licenses Go modules commonly carry)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        t = f.read()
    if "Apache License" in t and "Version 2.0" in t:
        return "Apache-2.0"
    if "Mozilla Public License" in t and "2.0" in t:
        return "MPL-2.0"
    if "Permission is hereby granted, free of charge" in t:
        return "MIT"
    if "Redistribution and use in source and binary forms" in t:
        if re.search(r"neither the name|names of its\s+contributors|name of the copyright holder", t, re.I):
            return "BSD-3-Clause"
        return "BSD-2-Clause"
    if "ISC License" in t or "Permission to use, copy, modify, and/or distribute" in t \
            or "Permission to use, copy, modify, and distribute this software for any" in t:
        return "ISC"
    raise GenError("cannot tell the license of %s: teach spdx_of in %s" % (path, os.path.basename(__file__)))


def nearest_license(pkg_dir, mod_dir):
    """The first license file from pkg_dir up to mod_dir (sorted names)."""
    d = pkg_dir
    while d.startswith(mod_dir):
        names = sorted(e.name for e in os.scandir(d) if e.is_file())
        for name in names:
            if name.endswith(LIC_SKIP_EXT):
                continue
            if any(fnmatch.fnmatch(name, s) for s in LIC_SPECS):
                return os.path.join(d, name)
        if d == mod_dir:
            break
        d = os.path.dirname(d)
    return None


def read_conf(path):
    """[(recipe path under meta-parsec, package, {variant: (tags, cgo)})];
    variant "default" is PACKAGECONFIG without the options named."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            words = line.split()
            if len(words) < 3:
                raise GenError("%s:%d: want: recipe package variant:tags:cgo ..." % (path, n))
            variants = {}
            for w in words[2:]:
                parts = w.split(":")
                if len(parts) != 3 or parts[2] not in ("0", "1"):
                    raise GenError("%s:%d: %r: want variant:tags:cgo (tags - for none, cgo 0 or 1)" % (path, n, w))
                variants[parts[0]] = ("" if parts[1] == "-" else parts[1], parts[2])
            if "default" not in variants:
                raise GenError("%s:%d: no default variant" % (path, n))
            out.append((words[0], words[1], variants))
    return out


def go_env(var):
    return subprocess.run(["go", "env", var], capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()


def list_variant(pkg, tags, cgo, local_cache):
    """Go list -deps of pkg for every arch in a fresh module cache: returns
    ({(module, version): "zip"|"mod"}, {(module, version): {license path rel. to the cache: md5}},
    {arch: set of compiled modules})."""
    tmp = tempfile.mkdtemp(prefix="gen-gomods-")
    try:
        env = dict(os.environ, GOMODCACHE=tmp, GOPROXY="file://" + os.path.join(local_cache, "cache", "download"),
                   GOSUMDB="off", GOFLAGS="-mod=readonly", GOWORK="off", GOTOOLCHAIN="local", GOOS="linux",
                   CGO_ENABLED=cgo, GONOSUMDB="", GONOPROXY="", GOPRIVATE="")
        env.pop("GOARM", None)
        lics = {}
        per_arch = {}
        for arch in ARCHES:
            env["GOARCH"] = arch
            cmd = ["go", "list", "-deps", "-json=ImportPath,Dir,Module"]
            if tags:
                cmd += ["-tags", tags]
            r = subprocess.run(cmd + [pkg], cwd=ROOT, env=env, capture_output=True, text=True)
            if r.returncode and not DOWNLOADED:
                # a fresh machine: fill the local module cache (Go module
                # proxy, verified against go.sum), then try again
                DOWNLOADED.append(True)
                print("gen-gomods: go list failed on the local module cache: go mod download", file=sys.stderr)
                subprocess.run(["go", "mod", "download"], cwd=ROOT, check=True)
                r = subprocess.run(cmd + [pkg], cwd=ROOT, env=env, capture_output=True, text=True)
            if r.returncode:
                raise GenError("GOARCH=%s CGO_ENABLED=%s %s %s failed (is the module in the local cache? "
                               "run go mod download):\n%s" % (arch, cgo, " ".join(cmd), pkg, r.stderr.strip()))
            mods = set()
            for p in json.loads("[" + re.sub(r"}\s*{", "},{", r.stdout) + "]"):
                m = p.get("Module")
                if not m or m.get("Main") or not p.get("Dir", "").startswith(tmp + os.sep):
                    continue
                if m.get("Replace"):
                    raise GenError("%s: replaced module %s: not supported" % (pkg, m["Path"]))
                key = (m["Path"], m["Version"])
                mods.add(key)
                lic = nearest_license(p["Dir"], m["Dir"])
                if not lic:
                    raise GenError("no license file for package %s in %s" % (p["ImportPath"], m["Dir"]))
                lics.setdefault(key, {})[os.path.relpath(lic, tmp)] = md5(lic)
            per_arch[arch] = mods
        files = {}
        dl = os.path.join(tmp, "cache", "download")
        for dp, dn, fn in os.walk(dl):
            if os.path.basename(dp) != "@v":
                continue
            mod = unescape(os.path.relpath(os.path.dirname(dp), dl))
            for name in fn:
                ver, ext = os.path.splitext(name)
                if ext == ".zip":
                    files[(mod, ver)] = ("zip", sha256(os.path.join(dp, name)))
            for name in fn:
                ver, ext = os.path.splitext(name)
                if ext == ".mod" and (mod, ver) not in files:
                    files[(mod, ver)] = ("mod", sha256(os.path.join(dp, name)))
        for (mod, ver), (kind, _) in files.items():
            if kind == "zip" and (mod, ver) not in lics:
                raise GenError("%s: go downloaded the zip of %s@%s but compiles no package of it" % (pkg, mod, ver))
        lic_spdx = {}
        for key, paths in lics.items():
            for rel in paths:
                lic_spdx[rel] = spdx_of(os.path.join(tmp, rel))
        return files, lics, per_arch, lic_spdx
    finally:
        subprocess.run(["chmod", "-R", "u+w", tmp], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


VARIANT_NOTE = "# PACKAGECONFIG %s (tags %s, CGO_ENABLED=%s) changes the module set: with it, without it."


def fold(s):
    return s.replace(";", " ").replace("/", "!")


def gomod_entry(key, kind_sum):
    kind, s = kind_sum
    mod, ver = key
    return "gomod://%s;version=%s;%ssha256sum=%s" % (mod, ver, "mod=1;" if kind == "mod" else "", s)


def lic_entry(rel, m, spdx):
    return "file://pkg/mod/%s;md5=%s;spdx=%s" % (rel, m, spdx)


def conditional(var, opt, on, off, prefix=""):
    def q(words):
        return (prefix + " ".join(words)) if words else ""
    return "%s += \"${@bb.utils.contains('PACKAGECONFIG', '%s', '%s', '%s', d)}\"" % (var, opt, q(on), q(off))


def block(var, entries):
    if not entries:
        return []
    return ['%s += "\\' % var] + ["    %s \\" % e for e in entries] + ['"']


def generate_recipe(recipe, pkg, variants, local_cache):
    bpn = os.path.basename(recipe).split("_")[0].rsplit(".", 1)[0]
    outdir = os.path.join(LAYER, os.path.dirname(recipe))
    results = {}
    for name, (tags, cgo) in variants.items():
        files, lics, per_arch, spdx = list_variant(pkg, tags, cgo, local_cache)
        sets = {frozenset(s) for s in per_arch.values()}
        if len(sets) != 1:
            diff = set.union(*map(set, sets)) - set.intersection(*map(set, sets))
            raise GenError("%s (%s): the compiled modules differ between architectures (%s): not supported"
                           % (recipe, name, ", ".join("%s@%s" % k for k in sorted(diff))))
        results[name] = (files, lics, spdx)
    base_files, base_lics, base_spdx = results["default"]
    head = ["# Generated by test/scripts/gen-gomods.py (make yocto-modules): do not edit.",
            "# What %s compiles: go list -deps %s%s%s, GOOS=linux," % (
                bpn, pkg, " -tags " + variants["default"][0] if variants["default"][0] else "",
                " (CGO_ENABLED=%s)" % variants["default"][1]),
            "# GOARCH=%s (the same modules on each)." % " ".join(ARCHES)]
    # The unconditional block holds the default variant's entries: those an
    # option changes must come out of it.
    changed = set()
    for opt in variants:
        if opt != "default":
            changed |= {k for k in set(results[opt][0]) | set(base_files)
                        if results[opt][0].get(k) != base_files.get(k)}
    mods = head + ["# The module zips it compiles and the go.mod files the go command reads.", ""]
    mods += block("SRC_URI", sorted((gomod_entry(k, v) for k, v in base_files.items() if k not in changed),
                                    key=fold))
    for opt, (tags, cgo) in variants.items():
        opt_files = results[opt][0]
        on = [gomod_entry(k, opt_files[k]) for k in sorted(changed) if k in opt_files]
        off = [gomod_entry(k, base_files[k]) for k in sorted(changed) if k in base_files]
        if opt == "default" or (not on and not off):
            continue
        mods += ["", VARIANT_NOTE % (opt, tags or "none", cgo)]
        mods.append(conditional("SRC_URI", opt, on, off))

    # licenses
    def lic_entries(lics, spdx, keys):
        out = []
        for k in keys:
            for rel, m in sorted(lics[k].items()):
                out.append(lic_entry(rel, m, spdx[rel]))
        return sorted(out, key=fold)

    lic_changed = set()
    for opt in variants:
        if opt != "default":
            lo = results[opt][1]
            lic_changed |= {k for k in set(lo) | set(base_lics) if lo.get(k) != base_lics.get(k)}
    base_names = sorted({base_spdx[rel] for k in base_lics if k not in lic_changed for rel in base_lics[k]})
    lic = head + ["# The licenses of the modules it compiles, from the license file nearest to each",
                  "# package (the files do_compile unpacks into ${S}/pkg/mod).", ""]
    lic.append('LICENSE += "%s"' % "".join("& %s " % n for n in base_names).strip())
    lic.append("")
    lic += block("LIC_FILES_CHKSUM", lic_entries(base_lics, base_spdx, sorted(k for k in base_lics
                                                                              if k not in lic_changed)))
    for opt, (tags, cgo) in variants.items():
        if opt == "default" or not lic_changed:
            continue
        lo, so = results[opt][1], results[opt][2]
        on_keys = sorted(k for k in lic_changed if k in lo)
        off_keys = sorted(k for k in lic_changed if k in base_lics)
        on_names = sorted({so[r] for k in on_keys for r in lo[k]} - set(base_names))
        off_names = sorted({base_spdx[r] for k in off_keys for r in base_lics[k]} - set(base_names))
        lic += ["", VARIANT_NOTE % (opt, tags or "none", cgo)]
        if on_names or off_names:
            lic.append(conditional("LICENSE", opt, ["& " + n for n in on_names], ["& " + n for n in off_names]))
        lic.append(conditional("LIC_FILES_CHKSUM", opt, lic_entries(lo, so, on_keys),
                               lic_entries(base_lics, base_spdx, off_keys)))
    return {os.path.join(outdir, "%s-go-mods.inc" % bpn): "\n".join(mods) + "\n",
            os.path.join(outdir, "%s-licenses.inc" % bpn): "\n".join(lic) + "\n"}


def generate():
    if not os.path.isfile(os.path.join(ROOT, "go.mod")):
        raise GenError("no go.mod in %s" % ROOT)
    local_cache = os.environ.get("GOMODCACHE") or go_env("GOMODCACHE")
    out = {}
    for recipe, pkg, variants in read_conf(CONF):
        if not os.path.isfile(os.path.join(ROOT, LAYER, recipe)):
            raise GenError("%s: recipe %s/%s does not exist" % (os.path.relpath(CONF, ROOT), LAYER, recipe))
        out.update(generate_recipe(recipe, pkg, variants, local_cache))
    return out


def generated_files_in_layer():
    found = []
    for dp, dn, fn in os.walk(os.path.join(ROOT, LAYER)):
        for f in fn:
            if f.endswith(("-go-mods.inc", "-licenses.inc")):
                found.append(os.path.relpath(os.path.join(dp, f), ROOT))
    return sorted(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--check", action="store_true", help="fail with a diff if a committed file is stale")
    g.add_argument("--stdout", action="store_true", help='print the files, each after "### <path>"')
    a = ap.parse_args()
    try:
        out = generate()
    except (GenError, subprocess.CalledProcessError, OSError) as e:
        print("gen-gomods: %s" % e, file=sys.stderr)
        return 1
    if a.stdout:
        for path in sorted(out):
            sys.stdout.write("### %s\n%s" % (path, out[path]))
        return 0
    stale = [p for p in generated_files_in_layer() if p not in out]
    if a.check:
        rc = 0
        for path in sorted(out):
            full = os.path.join(ROOT, path)
            old = open(full, encoding="utf-8").read() if os.path.isfile(full) else ""
            if old != out[path]:
                sys.stderr.writelines(difflib.unified_diff(old.splitlines(True), out[path].splitlines(True),
                                                           path + " (committed)", path + " (generated)"))
                print("gen-gomods: %s is stale: run make yocto-modules" % path, file=sys.stderr)
                rc = 1
        for p in stale:
            print("gen-gomods: %s is not generated for any recipe of %s: remove it" % (
                p, os.path.relpath(CONF, ROOT)), file=sys.stderr)
            rc = 1
        return rc
    for path, text in sorted(out.items()):
        with open(os.path.join(ROOT, path), "w", encoding="utf-8") as f:
            f.write(text)
        print("gen-gomods: wrote %s" % path)
    for p in stale:
        os.remove(os.path.join(ROOT, p))
        print("gen-gomods: removed %s (no recipe of %s generates it)" % (p, os.path.relpath(CONF, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
