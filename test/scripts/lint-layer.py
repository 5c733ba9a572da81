#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
"""make test-layer: lint the BitBake layer meta-parsec/ and the kas/conf files
under recipes/ (BitBake itself cannot run on these machines).

Checks (every failure is printed as `file:line: message`):
  - meta-parsec/conf/layer.conf: BBFILE_COLLECTIONS has parsec-layer;
    BBFILE_PATTERN_, BBFILE_PRIORITY_, LAYERDEPENDS_ (with core),
    LAYERSERIES_COMPAT_ (with wrynose) for parsec-layer; BBFILES set;
    addpylib present; BBFILES_DYNAMIC entries name existing dynamic-layers/ dirs.
  - every .bb: SUMMARY, LICENSE, LIC_FILES_CHKSUM (.bbappend exempt);
    each LIC_FILES_CHKSUM file:// entry in this repository (${S}/, src/${GO_IMPORT}/
    for recipes that build this repository) or in the Go module cache
    (pkg/mod/..., downloaded with `go mod download` when missing) has the
    right md5 (beginline/endline honoured).
  - SRCREV of the recipes that build this repository: a commit of it with
    the working tree's go.mod/go.sum and rootfs/ (on the repository itself).
  - LICENSE (with its appends) names only licenses that have a text in
    oe-core's common-licenses, or that have NO_GENERIC_LICENSE[name] set to
    one of the LIC_FILES_CHKSUM paths; CLOSED only on its own.
  - every file:// in SRC_URI exists in the recipe's search path
    (files/, ${BPN}-${PV}/, ${BPN}/, ${PN}/ next to the recipe).
  - the generated <BPN>-go-mods.inc / <BPN>-licenses.inc files are current
    (test/scripts/gen-gomods.py --stdout compared with the committed files),
    and none is a leftover no recipe generates.
  - every go-mod recipe that builds this repository, for every combination
    of its PACKAGECONFIG options (bb.utils.contains on PACKAGECONFIG is
    evaluated): `go list -deps` of its GO_INSTALL with its CGO_ENABLED and
    the -tags of GOBUILDFLAGS, for linux on each GO_ARCHES entry, gives the
    modules it compiles, whose directories alone exist in ${S}/pkg/mod at
    do_populate_lic. Each pkg/mod/ LIC_FILES_CHKSUM file must be of such a
    module and each such module must have one; each gomod:// zip must be
    such a module and each must have a zip; no module@version twice; every
    license LICENSE appends must be the spdx= of one of those files, and
    every such spdx= must be in LICENSE.
  - the recipe's own LIC_FILES_CHKSUM files (src/${GO_IMPORT}/...) have
    their md5 at SRCREV too.
  - no host paths (/home/, /work/, /tmp/, /root/, /usr/local/go) in layer or
    recipes/ files.
  - sh -n (bash -n for bash scripts) on shell scripts in the layer and on
    every shell function of the recipes and classes (python functions skipped).
  - Python under meta-parsec/lib/ compiles.
  - recipes/: kas files (repos with url have branch/commit/tag, local paths
    exist, top-level files define machine and distro), bblayers.conf.sample
    layer names match the kas layers and the layer exists.

Usage: lint-layer.py [--root DIR]   lint DIR/meta-parsec and DIR/recipes
       lint-layer.py --selftest     prove the lint fails on the broken fixture
                                    layer in testdata/lint-layer/bad and passes
                                    on testdata/lint-layer/good
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
LAYER = "meta-parsec"
RECIPES = "recipes"
COLLECTION = "parsec-layer"
GEN_GOMODS = "test/scripts/gen-gomods.py"
GOMOD_INC_SUFFIXES = ("-go-mods.inc", "-licenses.inc")
# The Go architectures a recipe's module set is computed for (oe-core's
# Linux targets; gen-gomods.py refuses a set that differs between them).
GO_ARCHES = ("amd64", "arm64", "arm", "386", "riscv64", "ppc64le", "mips", "mipsle", "mips64", "mips64le", "loong64")


class Lint:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.errors = []
        self.notes = []
        self.counts = {}
        self.srcrevs_checked = set()  # (file, line): an .inc shared by recipes is checked once

    def count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    def rel(self, path):
        return os.path.relpath(path, self.root)

    def err(self, path, line, msg):
        loc = self.rel(path) + (":%d" % line if line else "")
        if "%s: %s" % (loc, msg) not in self.errors:
            self.errors.append("%s: %s" % (loc, msg))

    def note(self, msg):
        self.notes.append(msg)


# ---------------------------------------------------------------- parsing

ASSIGN_RE = re.compile(
    r'^(?:export\s+)?([A-Za-z0-9_${}.\-/+@~]+(?:\[[^\]]*\])?(?::[A-Za-z0-9_${}.\-+]+)*)\s*'
    r'(\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)\s*(["\'])(.*)\3\s*$', re.S)


def logical_lines(path):
    """Yield (first line number, text) with backslash continuations joined."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        start = i + 1
        text = lines[i]
        while text.endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text[:-1] + " " + lines[i]
        i += 1
        yield start, text


def parse_vars(path):
    """Return list of (var, base, op, value, line) for a .bb/.inc/.conf file.
    Function bodies are skipped."""
    out = []
    in_func = False
    for ln, text in logical_lines(path):
        s = text.strip()
        if in_func == "py":
            # a def ends at the next line that is not indented
            if not text or text[0].isspace() or s.startswith("#"):
                continue
            in_func = False
        elif in_func:
            if text.startswith("}"):
                in_func = False
            continue
        if FUNC_RE.match(text):
            in_func = True
            continue
        if text.startswith("def "):
            in_func = "py"
            continue
        if not s or s.startswith("#"):
            continue
        m = ASSIGN_RE.match(s)
        if m:
            var, op, val = m.group(1), m.group(2), m.group(4)
            base = var.split(":")[0].split("[")[0]
            out.append((var, base, op, val, ln))
    return out


FUNC_RE = re.compile(r'^(?:(python|fakeroot)\s+)?(?:fakeroot\s+)?([A-Za-z0-9_.${}:\-]*)\s*\(\)\s*\{\s*$')
INCLUDE_RE = re.compile(r'^(require|include|include_all)\s+(\S+)\s*$')
OTHER_LAYER_DIRS = {"recipes-core", "recipes-kernel", "recipes-bsp", "recipes-devtools",
                    "recipes-extended", "recipes-connectivity", "recipes-support",
                    "recipes-graphics", "recipes-multimedia", "recipes-sato", "recipes-rt",
                    "recipes-security", "recipes-tpm", "recipes-tpm2", "recipes-oe",
                    "classes", "classes-recipe", "classes-global", "conf"}
INHERIT_RE = re.compile(r'^inherit\s+(.+)$')


def expand(val, env, depth=0):
    if depth > 8:
        return val

    def rep(m):
        name = m.group(1)
        if name in env:
            return expand(env[name], env, depth + 1)
        return m.group(0)
    return re.sub(r'\$\{([A-Za-z0-9_\-]+)\}', rep, val)


class Recipe:
    """A .bb or .bbappend with its require/include files."""

    def __init__(self, lint, path, layerdir):
        self.lint = lint
        self.path = path
        self.layerdir = layerdir
        base = os.path.basename(path)
        stem = base.rsplit(".", 1)[0]
        if "_" in stem:
            pn, pv = stem.split("_", 1)
        else:
            pn, pv = stem, "1.0"
        pv = pv.replace("%", "")
        self.pn, self.pv = pn, pv
        bpn = re.sub(r'^(nativesdk-)|(-native|-cross|-crosssdk)$', '', pn)
        self.env = {"PN": pn, "PV": pv, "BPN": bpn, "BP": "%s-%s" % (bpn, pv),
                    "P": "%s-%s" % (pn, pv), "LAYERDIR": layerdir,
                    "THISDIR": os.path.dirname(path), "FILE_DIRNAME": os.path.dirname(path)}
        self.assigns = []  # (file, var, base, op, value, line)
        self.files = []
        self.inherits = []
        self._load(path)
        for f, var, b, op, val, ln in self.assigns:
            if var == b and op in ("=", ":=", "?=", "??=") and (op in ("=", ":=") or b not in self.env):
                self.env[b] = val

    def _load(self, path, depth=0):
        if depth > 5 or path in self.files:
            return
        self.files.append(path)
        for var, b, op, val, ln in parse_vars(path):
            self.assigns.append((path, var, b, op, val, ln))
            if var == b and op in ("=", ":="):
                self.env[b] = val
        for ln, text in logical_lines(path):
            s = text.strip()
            m = INCLUDE_RE.match(s)
            if m:
                target = expand(m.group(2), self.env)
                cands = [os.path.join(os.path.dirname(path), target),
                         os.path.join(self.layerdir, target)]
                found = [c for c in cands if os.path.isfile(c)]
                if found:
                    self._load(found[0], depth + 1)
                elif m.group(1) == "require" and "${" not in target and (
                        "/" not in target or target.split("/")[0] not in OTHER_LAYER_DIRS):
                    # next to the recipe, or under a directory only this layer
                    # has (recipes-parsec/...): other paths may come from the
                    # BBPATH of other layers (recipes-core/images/...)
                    self.lint.err(path, ln, "require %s: file not found" % target)
                elif m.group(1) == "require":
                    self.lint.note("%s:%d: require %s: not in this layer (another layer's BBPATH)" % (self.lint.rel(path), ln, target))
            m = INHERIT_RE.match(s)
            if m:
                self.inherits += m.group(1).split()

    def values(self, base):
        return [(f, val, ln) for f, var, b, op, val, ln in self.assigns if b == base]

    def has(self, base):
        return any(b == base for f, var, b, op, val, ln in self.assigns)


# ---------------------------------------------------------------- checks

def check_layer_conf(lint, layerdir):
    conf = os.path.join(layerdir, "conf", "layer.conf")
    if not os.path.isfile(conf):
        lint.err(conf, 0, "missing")
        return
    assigns = parse_vars(conf)
    vals = {}
    lines = {}
    for var, b, op, val, ln in assigns:
        vals.setdefault(var, []).append(val)
        lines.setdefault(var, ln)
    words = lambda var: " ".join(vals.get(var, [])).split()
    if COLLECTION not in words("BBFILE_COLLECTIONS"):
        lint.err(conf, lines.get("BBFILE_COLLECTIONS", 0), "BBFILE_COLLECTIONS does not include %s" % COLLECTION)
    for var in ("BBFILE_PATTERN_", "BBFILE_PRIORITY_", "LAYERDEPENDS_", "LAYERSERIES_COMPAT_"):
        full = var + COLLECTION
        if full not in vals or not " ".join(vals[full]).strip():
            lint.err(conf, 0, "%s is not set" % full)
    if "BBFILE_PRIORITY_" + COLLECTION in vals:
        p = vals["BBFILE_PRIORITY_" + COLLECTION][-1].strip()
        if not p.isdigit():
            lint.err(conf, lines["BBFILE_PRIORITY_" + COLLECTION], "BBFILE_PRIORITY_%s is not a number: %r" % (COLLECTION, p))
    if "LAYERDEPENDS_" + COLLECTION in vals and "core" not in [w.split(":")[0] for w in words("LAYERDEPENDS_" + COLLECTION)]:
        lint.err(conf, lines["LAYERDEPENDS_" + COLLECTION], "LAYERDEPENDS_%s does not contain core" % COLLECTION)
    if "LAYERSERIES_COMPAT_" + COLLECTION in vals and "wrynose" not in words("LAYERSERIES_COMPAT_" + COLLECTION):
        lint.err(conf, lines["LAYERSERIES_COMPAT_" + COLLECTION], "LAYERSERIES_COMPAT_%s does not contain wrynose" % COLLECTION)
    if not words("BBFILES"):
        lint.err(conf, 0, "BBFILES is not set")
    # bitbake's layer index code reads BBLAYERS_LAYERINDEX_NAME_<collection>
    if "BBLAYERS_LAYERINDEX_NAME" in vals:
        lint.err(conf, lines["BBLAYERS_LAYERINDEX_NAME"], "BBLAYERS_LAYERINDEX_NAME without the collection: "
                 "BitBake reads BBLAYERS_LAYERINDEX_NAME_%s" % COLLECTION)
    if not " ".join(vals.get("BBLAYERS_LAYERINDEX_NAME_" + COLLECTION, [])).strip():
        lint.err(conf, 0, "BBLAYERS_LAYERINDEX_NAME_%s is not set" % COLLECTION)
    # a layer's own QA settings: the override is layer-<collection>
    for var, b, op, val, ln in assigns:
        ovs = var.split(":")[1:]
        if COLLECTION in ovs:
            lint.err(conf, ln, "%s: override %s is not in OVERRIDES (it has layer-${FILE_LAYERNAME}): "
                     "write :layer-%s" % (var, COLLECTION, COLLECTION))
    if not any(b == "WARN_QA" and "layer-" + COLLECTION in var.split(":")[1:] and "patch-status" in val.split()
               for var, b, op, val, ln in assigns):
        lint.err(conf, 0, "no WARN_QA:append:layer-%s with patch-status and missing-metadata (as "
                 "oe-core's own layer has them)" % COLLECTION)
    text = open(conf, encoding="utf-8").read()
    if not re.search(r'^\s*addpylib\s+\S+\s+\S+', text, re.M):
        lint.err(conf, 0, "addpylib ${LAYERDIR}/lib oeqa is missing")
    else:
        for m in re.finditer(r'^\s*addpylib\s+(\S+)\s+(\S+)', text, re.M):
            d = m.group(1).replace("${LAYERDIR}", layerdir)
            ln = text[:m.start()].count("\n") + 1
            if not os.path.isdir(os.path.join(d, m.group(2))):
                lint.err(conf, ln, "addpylib: %s/%s does not exist" % (m.group(1), m.group(2)))
    for var, b, op, val, ln in assigns:
        if b != "BBFILES_DYNAMIC":
            continue
        for entry in val.split():
            if ":" not in entry:
                lint.err(conf, ln, "BBFILES_DYNAMIC entry %r has no collection:" % entry)
                continue
            coll, pat = entry.split(":", 1)
            pat = pat.replace("${LAYERDIR}", layerdir)
            m = re.match(r'(.*?/dynamic-layers/[^/]+)/', pat)
            if not m:
                lint.err(conf, ln, "BBFILES_DYNAMIC entry %r is not under dynamic-layers/" % entry)
                continue
            if not os.path.isdir(m.group(1)):
                lint.err(conf, ln, "BBFILES_DYNAMIC %s: %s does not exist" % (coll, lint.rel(m.group(1))))
    dyn = os.path.join(layerdir, "dynamic-layers")
    if os.path.isdir(dyn):
        named = " ".join(v for var, b, op, v, ln in assigns if b == "BBFILES_DYNAMIC")
        for d in sorted(os.listdir(dyn)):
            if "/dynamic-layers/%s/" % d not in named:
                lint.err(os.path.join(dyn, d), 0, "dynamic-layers/%s is not named in BBFILES_DYNAMIC" % d)


def md5_of(path, begin=None, end=None):
    with open(path, "rb") as f:
        data = f.read()
    if begin or end:
        lines = data.splitlines(keepends=True)
        b = int(begin) if begin else 1
        e = int(end) if end else len(lines)
        data = b"".join(lines[b - 1:e])
    return hashlib.md5(data).hexdigest()


_gomodcache = None


def gomodcache():
    global _gomodcache
    if _gomodcache is None:
        try:
            _gomodcache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True,
                                         text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            _gomodcache = ""
    return _gomodcache


def decode_modpath(p):
    return re.sub(r'!([a-z])', lambda m: m.group(1).upper(), p)


def builds_this_repo(recipe):
    src = " ".join(v for f, v, ln in recipe.values("SRC_URI"))
    if re.search(r'git://[^;\s]*parsecd', src):
        return True
    gi = recipe.env.get("GO_IMPORT", "")
    return gi.startswith("github.com/parsecd/parsecd")


def check_lic_chksum(lint, recipe):
    this = builds_this_repo(recipe)
    goimport = expand(recipe.env.get("GO_IMPORT", ""), recipe.env)
    for f, val, ln in recipe.values("LIC_FILES_CHKSUM"):
        for entry in both_ways(recipe, val):
            if not entry.startswith("file://"):
                lint.err(f, ln, "LIC_FILES_CHKSUM entry %r is not file://" % entry)
                continue
            parts = entry[len("file://"):].split(";")
            path = expand(parts[0], recipe.env)
            params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            md5 = params.get("md5")
            if not md5:
                lint.err(f, ln, "LIC_FILES_CHKSUM %s has no md5=" % parts[0])
                continue
            if not re.fullmatch(r'[0-9a-f]{32}', md5):
                lint.err(f, ln, "LIC_FILES_CHKSUM %s: md5 %r is not 32 hex digits" % (parts[0], md5))
                continue
            if path.startswith("${COMMON_LICENSE_DIR}") or path.startswith("${COREBASE}"):
                continue
            rel = re.sub(r'^\$\{S\}/?', '', path)
            target = None
            if rel.startswith("pkg/mod/"):
                cache = gomodcache()
                if not cache:
                    lint.err(f, ln, "%s: go env GOMODCACHE failed" % rel)
                    continue
                target = os.path.join(cache, rel[len("pkg/mod/"):])
                if not os.path.isfile(target):
                    m = re.match(r'pkg/mod/(.+?)@([^/]+)/', rel)
                    if m:
                        mod = "%s@%s" % (decode_modpath(m.group(1)), m.group(2))
                        r = subprocess.run(["go", "mod", "download", mod], cwd=lint.root,
                                           capture_output=True, text=True)
                        if r.returncode:
                            lint.err(f, ln, "go mod download %s failed: %s" % (mod, r.stderr.strip()))
                            continue
            elif "${" in rel:
                lint.err(f, ln, "LIC_FILES_CHKSUM %s: cannot resolve %s" % (parts[0], rel))
                continue
            elif this:
                if goimport and rel.startswith("src/%s/" % goimport):
                    rel = rel[len("src/%s/" % goimport):]
                target = os.path.join(lint.root, rel)
            else:
                lint.note("%s:%d: %s is outside this repository, md5 not checked" % (lint.rel(f), ln, path))
                continue
            if not os.path.isfile(target):
                lint.err(f, ln, "LIC_FILES_CHKSUM %s: %s does not exist" % (parts[0], target if rel.startswith("pkg/mod/") else lint.rel(target)))
                continue
            got = md5_of(target, params.get("beginline"), params.get("endline"))
            lint.count("license md5s")
            if got != md5:
                lint.err(f, ln, "LIC_FILES_CHKSUM %s: md5 is %s, recipe says %s" % (";".join(p for p in parts if not p.startswith("md5=")), got, md5))


# License names with a text in oe-core's meta/files/common-licenses that a
# Go daemon and its modules may carry. Any other name needs
# NO_GENERIC_LICENSE[name] pointing at one of the recipe's LIC_FILES_CHKSUM
# files, or oe-core's license-exists QA check (an error, and one of
# yocto-check-layer's required checks) fails do_populate_lic.
GENERIC_LICENSES = {
    "0BSD", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "CC0-1.0", "GPL-2.0-only",
    "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "ISC", "LGPL-2.1-only",
    "LGPL-2.1-or-later", "LGPL-3.0-only", "MIT", "MPL-2.0", "Unlicense", "Zlib",
}
LICENSE_OPS_RE = re.compile(r'[&|() ]+')


def effective_license(recipe):
    """LICENSE as BitBake sees it: the last plain assignment, then the
    appends (+=, .=, :append) in the order they were read."""
    val = None
    for f, var, b, op, v, ln in recipe.assigns:
        if var != "LICENSE" and not var.startswith("LICENSE:append"):
            continue
        if op in ("=", ":=") or op in ("?=", "??=") and val is None:
            val = v
        elif op == "+=" or var.startswith("LICENSE:append") or op == ".=":
            val = (val or "") + (" " if op == "+=" else "") + v
    return val


def pkgconfig_options(recipe):
    return sorted({m.group(1) for f, var, b, op, v, ln in recipe.assigns
                   for m in [re.fullmatch(r"PACKAGECONFIG\[([^\]]+)\]", var)] if m})


def both_ways(recipe, val):
    """The words of a value with every PACKAGECONFIG option of the recipe,
    then those it has with none (bb.utils.contains on PACKAGECONFIG
    evaluated), each once."""
    words = eval_value(val, recipe.env, pkgconfig_options(recipe)).split()
    words += eval_value(val, recipe.env, []).split()
    return list(dict.fromkeys(words))


def check_license_names(lint, recipe):
    lic = effective_license(recipe)
    if lic is None:
        return
    where = next(((f, ln) for f, var, b, op, v, ln in recipe.assigns if b == "LICENSE"), (recipe.path, 0))
    names = [n for n in LICENSE_OPS_RE.split(" ".join(both_ways(recipe, lic))) if n]
    if "CLOSED" in names and len(names) > 1:
        lint.err(where[0], where[1], "LICENSE %r: CLOSED combined with other licenses (oe-core's "
                 "license-exists check has no text for CLOSED inside an expression): name the "
                 "license, e.g. LicenseRef-x with NO_GENERIC_LICENSE[LicenseRef-x]" % lic)
        return
    chksum_paths = set()
    for f, val, ln in recipe.values("LIC_FILES_CHKSUM"):
        for entry in both_ways(recipe, val):
            if entry.startswith("file://"):
                # compared as written: BitBake matches the flag's value
                # against LIC_FILES_CHKSUM paths literally
                chksum_paths.add(expand(entry[len("file://"):].split(";")[0], recipe.env))
    flags = {}
    for f, var, b, op, v, ln in recipe.assigns:
        m = re.fullmatch(r'NO_GENERIC_LICENSE\[([^\]]+)\]', var)
        if m:
            flags[m.group(1)] = (expand(v, recipe.env), f, ln)
    for name in dict.fromkeys(names):
        lint.count("license names")
        if name == "CLOSED" or name in GENERIC_LICENSES:
            continue
        if name not in flags:
            lint.err(where[0], where[1], "LICENSE %s: no generic license text in oe-core; set "
                     "NO_GENERIC_LICENSE[%s] to one of the LIC_FILES_CHKSUM files" % (name, name))
        elif flags[name][0] not in chksum_paths:
            lint.err(flags[name][1], flags[name][2], "NO_GENERIC_LICENSE[%s] = %r is not a "
                     "LIC_FILES_CHKSUM file (%s)" % (name, flags[name][0], ", ".join(sorted(chksum_paths))))


def git(lint, *args):
    r = subprocess.run(["git", *args], cwd=lint.root, capture_output=True, text=True)
    return r.returncode, r.stdout


def check_srcrev(lint, recipe):
    """A recipe that builds this repository fetches SRCREV: it must be a
    commit of this repository whose go.mod and go.sum are the ones the
    generated gomod .inc files were made from, and whose rootfs/ (installed
    by the recipe, assumed by the layer's awk filter and oeqa case) is the
    working tree's. Checked only when the lint runs on the repository itself
    with its history (not on fixtures, not in a shallow clone)."""
    if not builds_this_repo(recipe):
        return
    revs = [(f, v, ln) for f, var, b, op, v, ln in recipe.assigns if var == "SRCREV"]
    if not revs:
        return
    f, rev, ln = revs[-1]
    if (f, ln) in lint.srcrevs_checked:
        return
    lint.srcrevs_checked.add((f, ln))
    if not re.fullmatch(r"[0-9a-f]{40}", rev):
        lint.err(f, ln, "SRCREV %r is not a full commit hash (a release layer pins one)" % rev)
        return
    rc, top = git(lint, "rev-parse", "--show-toplevel")
    if rc or os.path.realpath(top.strip()) != os.path.realpath(lint.root):
        lint.note("%s:%d: SRCREV not checked (not the repository's top level)" % (lint.rel(f), ln))
        return
    if git(lint, "cat-file", "-e", rev + "^{commit}")[0]:
        if git(lint, "rev-parse", "--is-shallow-repository")[1].strip() == "true":
            lint.note("%s:%d: SRCREV %s not in this shallow clone: not checked" % (lint.rel(f), ln, rev[:12]))
        else:
            lint.err(f, ln, "SRCREV %s is not a commit of this repository" % rev[:12])
        return
    lint.count("SRCREV checks")
    for path in ("go.mod", "go.sum"):
        rc, old = git(lint, "show", "%s:%s" % (rev, path))
        try:
            with open(os.path.join(lint.root, path), encoding="utf-8") as fh:
                now = fh.read()
        except OSError:
            now = None
        if rc or old != now:
            lint.err(f, ln, "SRCREV %s has another %s than the working tree, from which the gomod "
                         ".inc files are generated: set SRCREV to a commit with this %s" % (rev[:12], path, path))
    # The recipe's own license files are read from SRCREV's tree.
    goimport = expand(recipe.env.get("GO_IMPORT", ""), recipe.env)
    for lf, val, lln in recipe.values("LIC_FILES_CHKSUM"):
        for entry in both_ways(recipe, val):
            parts = entry[len("file://"):].split(";") if entry.startswith("file://") else [""]
            rel = re.sub(r'^\$\{S\}/?', '', expand(parts[0], recipe.env))
            if not goimport or not rel.startswith("src/%s/" % goimport):
                continue
            rel = rel[len("src/%s/" % goimport):]
            params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            r = subprocess.run(["git", "show", "%s:%s" % (rev, rel)], cwd=lint.root, capture_output=True)
            if r.returncode:
                lint.err(lf, lln, "LIC_FILES_CHKSUM %s: no %s at SRCREV %s" % (parts[0], rel, rev[:12]))
                continue
            data = r.stdout
            if params.get("beginline") or params.get("endline"):
                lines = data.splitlines(keepends=True)
                data = b"".join(lines[int(params.get("beginline") or 1) - 1:int(params.get("endline") or len(lines))])
            if hashlib.md5(data).hexdigest() != params.get("md5"):
                lint.err(lf, lln, "LIC_FILES_CHKSUM %s: md5 of %s at SRCREV %s is %s, recipe says %s"
                         % (parts[0], rel, rev[:12], hashlib.md5(data).hexdigest(), params.get("md5")))
    rc, diff = git(lint, "diff", "--name-only", rev, "--", "rootfs")
    if rc == 0 and diff.strip():
        lint.err(f, ln, "rootfs/ changed since SRCREV %s (%s): the recipe installs rootfs/ from SRCREV; "
                 "move SRCREV to a commit with these files" % (rev[:12], ", ".join(diff.split()[:5])))


def check_src_uri(lint, recipe):
    d = os.path.dirname(recipe.path)
    e = recipe.env
    subdirs = []
    for sd in ("%s-%s" % (e["BPN"], e["PV"]), "%s-%s" % (e["BPN"], e["PV"].split("+")[0]),
               e["BPN"], e["PN"], "files", "."):
        if sd not in subdirs:
            subdirs.append(sd)
    # bbappends and .inc files add their own directory through FILESEXTRAPATHS
    dirs = {d}
    for f in recipe.files:
        dirs.add(os.path.dirname(f))
    for f, val, ln in recipe.values("FILESEXTRAPATHS"):
        for p in val.split(":"):
            p = p.replace("${THISDIR}", os.path.dirname(f)).replace("${LAYERDIR}", recipe.layerdir)
            p = expand(p, e)
            if p and "${" not in p:
                dirs.add(p.rstrip("/"))
    for f, val, ln in recipe.values("SRC_URI"):
        for entry in val.split():
            if not entry.startswith("file://"):
                continue
            name = expand(entry[len("file://"):].split(";")[0], e)
            if "${" in name:
                lint.err(f, ln, "SRC_URI %s: cannot resolve the file name" % entry)
                continue
            lint.count("SRC_URI files")
            found = any(os.path.exists(os.path.join(dd, sd, name)) for dd in dirs for sd in subdirs)
            if not found:
                lint.err(f, ln, "SRC_URI file://%s not found in %s/{%s}" % (
                    name, lint.rel(d), ",".join(subdirs)))


def strip_inline_python(body):
    out = []
    i = 0
    while i < len(body):
        if body.startswith("${@", i):
            depth = 0
            j = i + 1
            while j < len(body):
                if body[j] == "{":
                    depth += 1
                elif body[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append("BBINLINEPY")
            i = j + 1
        else:
            out.append(body[i])
            i += 1
    return "".join(out)


def sh_check(lint, path, line, text, shell="sh"):
    r = subprocess.run([shell, "-n"], input=text, capture_output=True, text=True)
    if r.returncode:
        for msg in (r.stderr.strip().splitlines() or ["syntax error"]):
            m = re.search(r'(?:line |: )(\d+):\s*(.*)', msg)
            if m:
                lint.err(path, line + int(m.group(1)) - 1, "%s -n: %s" % (shell, m.group(2)))
            else:
                lint.err(path, line, "%s -n: %s" % (shell, msg))


def check_functions(lint, path):
    """sh -n on every shell function of a .bb/.bbappend/.inc/.bbclass."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FUNC_RE.match(lines[i])
        if not m:
            i += 1
            continue
        start = i + 1
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith("}"):
            body.append(lines[i])
            i += 1
        if i >= len(lines):
            lint.err(path, start, "function %s: no closing } at column 1" % m.group(2))
        i += 1
        if m.group(1) == "python":
            continue
        text = strip_inline_python("\n".join(body)) + "\n"
        lint.count("shell functions")
        sh_check(lint, path, start + 1, text)


HOST_RE = re.compile(r'(?<![\w}.\-])(/home/|/work/|/tmp/|/root/|/usr/local/go\b)')


def check_host_paths(lint, path):
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                for m in HOST_RE.finditer(line):
                    lint.err(path, n, "host path %s" % m.group(1).rstrip("/") + "/")
    except UnicodeDecodeError:
        pass


def shebang(path):
    try:
        with open(path, "rb") as f:
            first = f.readline(200)
    except OSError:
        return None
    if first.startswith(b"#!"):
        return first[2:].decode("utf-8", "replace").strip()
    return None


def check_scripts(lint, path):
    sb = shebang(path)
    if sb is None and not path.endswith(".sh"):
        return
    if sb and not re.search(r'\b(sh|bash|dash|ash)\b', sb):
        return
    shell = "bash" if sb and "bash" in sb else "sh"
    text = open(path, encoding="utf-8", errors="replace").read()
    lint.count("shell scripts")
    sh_check(lint, path, 1, text, shell)


def check_python(lint, path):
    try:
        src = open(path, encoding="utf-8").read()
        compile(src, path, "exec")
        lint.count("python files")
    except SyntaxError as e:
        lint.err(path, e.lineno or 0, "python: %s" % e.msg)


def check_gomods(lint):
    """gen-gomods.py --stdout prints every generated .inc file after a line
    "### <path>"; each must equal the committed file, and every
    *-go-mods.inc / *-licenses.inc of the layer must be one of them."""
    gen = os.path.join(lint.root, GEN_GOMODS)
    layerdir = os.path.join(lint.root, LAYER)
    committed_incs = sorted(os.path.relpath(os.path.join(dp, f), lint.root)
                            for dp, dn, fn in os.walk(layerdir) for f in fn if f.endswith(GOMOD_INC_SUFFIXES))
    if not os.path.isfile(gen):
        if committed_incs:
            lint.err(gen, 0, "missing: cannot check that %s are current" % " ".join(committed_incs))
        return
    r = subprocess.run([sys.executable, gen, "--stdout"], cwd=lint.root, capture_output=True, text=True)
    if r.returncode:
        lint.err(gen, 0, "%s --stdout failed (%d): %s" % (GEN_GOMODS, r.returncode, r.stderr.strip()[-2000:]))
        return
    fresh = {}
    cur = None
    for line in r.stdout.splitlines():
        if line.startswith("### "):
            cur = line[4:].strip()
            fresh[cur] = []
        elif cur is None:
            lint.err(gen, 0, "--stdout output does not start with a ### <path> line")
            return
        else:
            fresh[cur].append(line)
    import difflib
    for rel in sorted(fresh):
        path = os.path.join(lint.root, rel)
        lint.count("gomod .inc checks")
        if not os.path.isfile(path):
            lint.err(path, 0, "missing (run make yocto-modules)")
            continue
        with open(path, encoding="utf-8") as f:
            committed = f.read().splitlines()
        if committed == fresh[rel]:
            continue
        diff = list(difflib.unified_diff(committed, fresh[rel], "committed", "generated", lineterm="", n=0))
        n = next((i for i, (c, g) in enumerate(zip(committed, fresh[rel])) if c != g),
                 min(len(committed), len(fresh[rel])))
        lint.err(path, n + 1, "stale: differs from `%s --stdout` (run make yocto-modules and commit):\n    %s"
                 % (GEN_GOMODS, "\n    ".join(diff[2:22])))
    for rel in committed_incs:
        if rel not in fresh:
            lint.err(os.path.join(lint.root, rel), 0, "not generated by %s (no recipe of its .conf makes it): "
                     "a stale leftover, remove it" % GEN_GOMODS)


# ---------------------------------------------------------------- Go modules per recipe

CONTAINS_RE = re.compile(r"""\$\{@bb\.utils\.contains\(\s*['"]PACKAGECONFIG['"]\s*,\s*['"]([^'"]+)['"]\s*,"""
                         r"""\s*(['"])(.*?)\2\s*,\s*(['"])(.*?)\4\s*,\s*d\s*\)\}""")


def eval_value(val, env, options):
    """Expand ${VAR} and ${@bb.utils.contains('PACKAGECONFIG', opt, a, b, d)}
    for a PACKAGECONFIG made of options; other inline Python is left as is."""
    for _ in range(8):
        new = CONTAINS_RE.sub(lambda m: m.group(3) if all(o in options for o in m.group(1).split())
                              else m.group(5), val)
        new = expand(new, env)
        if new == val:
            break
        val = new
    return val


def eval_var(recipe, base, options, keep_unresolved=False):
    """The value of a variable as BitBake builds it: =, :=, ?=, ??=, +=, =+,
    .=, =. in order, then :append, :prepend and :remove (no other overrides:
    a value under an override such as :arm or :${PN} is ignored)."""
    val, weak = None, None
    appends, prepends, removes = [], [], []
    for f, var, b, op, v, ln in recipe.assigns:
        if b != base:
            continue
        ov = var[len(base):]
        if ov.startswith("["):
            continue
        ovs = [o for o in ov.split(":") if o]
        plain = [o for o in ovs if o not in ("append", "prepend", "remove")]
        if plain:
            continue
        if "append" in ovs:
            appends.append(v)
        elif "prepend" in ovs:
            prepends.append(v)
        elif "remove" in ovs:
            removes.append(v)
        elif op in ("=", ":="):
            val = v
        elif op == "?=":
            if val is None:
                val = v
        elif op == "??=":
            weak = v
        elif op == "+=":
            val = ((val if val is not None else weak) or "") + " " + v
        elif op == "=+":
            val = v + " " + ((val if val is not None else weak) or "")
        elif op == ".=":
            val = ((val if val is not None else weak) or "") + v
        elif op == "=.":
            val = v + ((val if val is not None else weak) or "")
    if val is None:
        val = weak
    if val is None and not appends and not prepends:
        return None
    val = "".join(prepends) + (val or "") + "".join(appends)
    val = eval_value(val, recipe.env, options)
    if removes:
        gone = set(eval_value(" ".join(removes), recipe.env, options).split())
        val = " ".join(w for w in val.split() if w not in gone)
    return val


def locate(recipe, base, needle):
    """(file, line) of the assignment to base whose value holds needle, else
    of the first assignment to base."""
    first = None
    for f, var, b, op, v, ln in recipe.assigns:
        if b == base:
            first = first or (f, ln)
            if needle in v:
                return f, ln
    return first or (recipe.path, 0)


def inherits_go_mod(recipe):
    return "go-mod" in recipe.inherits


def go_list_modules(lint, pkg, tags, cgo):
    """{(module, version)} compiled by pkg for GOOS=linux on every GO_ARCHES
    entry (intersection) and on any (union); None and an error if go list
    fails."""
    inter, union = None, set()
    env = dict(os.environ, GOOS="linux", CGO_ENABLED=cgo, GOFLAGS="-mod=readonly", GOWORK="off",
               GOTOOLCHAIN="local")
    env.pop("GOARM", None)
    for arch in GO_ARCHES:
        env["GOARCH"] = arch
        cmd = ["go", "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}}{{end}}{{end}}"]
        if tags:
            cmd += ["-tags", tags]
        r = subprocess.run(cmd + [pkg], cwd=lint.root, env=env, capture_output=True, text=True)
        if r.returncode:
            return None, None, "GOARCH=%s CGO_ENABLED=%s %s %s: %s" % (arch, cgo, " ".join(cmd[:3]), pkg,
                                                                       r.stderr.strip()[-800:])
        mods = {tuple(line.split()) for line in r.stdout.splitlines() if line.strip()}
        inter = mods if inter is None else inter & mods
        union |= mods
    return inter, union, None


def check_go_modules(lint, recipe):
    """A go-mod recipe that builds this repository, for every combination of
    its PACKAGECONFIG options: what its GO_INSTALL package compiles (go list
    -deps with the recipe's CGO_ENABLED and -tags from GOBUILDFLAGS) decides
    which pkg/mod/ license files exist at do_populate_lic. Each pkg/mod/ entry
    of LIC_FILES_CHKSUM must name a module it compiles (on every arch), each
    module it compiles must have one; each gomod:// zip must be a module it
    compiles and each compiled module must have a zip; each license LICENSE
    appends must be the spdx= of one of those files."""
    if not recipe.path.endswith(".bb") or not inherits_go_mod(recipe) or not builds_this_repo(recipe):
        return
    goimport = expand(recipe.env.get("GO_IMPORT", ""), recipe.env)
    options = pkgconfig_options(recipe)
    if len(options) > 6:
        lint.err(recipe.path, 0, "%d PACKAGECONFIG options: too many combinations to check" % len(options))
        return
    where = {}
    for f, var, b, op, v, ln in recipe.assigns:
        where.setdefault(b, (f, ln))
    own = set(n for n in LICENSE_OPS_RE.split(expand(next(
        (v for f, var, b, op, v, ln in recipe.assigns if var == "LICENSE" and op in ("=", ":=", "?=")), ""),
        recipe.env)) if n)
    for mask in range(1 << len(options)):
        combo = [o for i, o in enumerate(options) if mask >> i & 1]
        label = "PACKAGECONFIG=%r" % " ".join(combo)
        gi = eval_var(recipe, "GO_INSTALL", combo) or "%s/..." % goimport
        pkgs = []
        for p in gi.split():
            if p == goimport or p.startswith(goimport + "/"):
                pkgs.append("." + p[len(goimport):] if p != goimport else ".")
            else:
                lint.err(*where.get("GO_INSTALL", (recipe.path, 0)),
                         "GO_INSTALL %s is not a package of %s" % (p, goimport))
                return
        cgo = (eval_var(recipe, "CGO_ENABLED", combo) or "1").strip()
        flags = eval_var(recipe, "GOBUILDFLAGS", combo) or ""
        tags = ",".join(t for m in re.finditer(r"-tags[= ](\S+)", flags) for t in m.group(1).split(","))
        if "${@" in cgo or "${@" in flags:
            lint.err(recipe.path, 0, "%s: cannot evaluate CGO_ENABLED %r / GOBUILDFLAGS %r" % (label, cgo, flags))
            return
        inter, union = set(), set()
        for pkg in pkgs:
            i, u, e = go_list_modules(lint, pkg, tags, cgo)
            if e:
                lint.err(recipe.path, 0, "%s: %s" % (label, e))
                return
            inter |= i
            union |= u
        lint.count("Go module sets")
        what = "go list -deps %s%s, CGO_ENABLED=%s, %s" % (" ".join(pkgs), " -tags " + tags if tags else "",
                                                           cgo, label)
        lic_file, lic_line = where.get("LIC_FILES_CHKSUM", (recipe.path, 0))
        lics = eval_var(recipe, "LIC_FILES_CHKSUM", combo) or ""
        licensed, spdx = set(), set()
        for entry in lics.split():
            parts = entry[len("file://"):].split(";") if entry.startswith("file://") else [""]
            m = re.match(r"(?:\$\{S\}/)?pkg/mod/(.+?)@([^/]+)/", parts[0])
            if not m:
                continue
            key = (decode_modpath(m.group(1)), m.group(2))
            params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            lic_file, lic_line = locate(recipe, "LIC_FILES_CHKSUM", parts[0])
            if key not in inter:
                lint.err(lic_file, lic_line, "LIC_FILES_CHKSUM %s: %s@%s is not a module %s compiles (%s): "
                         "do_compile does not unpack it, do_populate_lic will not find the file"
                         % (parts[0], key[0], key[1], recipe.pn, what))
            licensed.add(key)
            if "spdx" in params:
                if key in inter:
                    spdx.add(params["spdx"])
            else:
                lint.err(lic_file, lic_line, "LIC_FILES_CHKSUM %s: no spdx= naming its license" % parts[0])
        for key in sorted(union - licensed):
            lint.err(lic_file, lic_line, "%s compiles %s@%s (%s) but LIC_FILES_CHKSUM has no license file of it"
                     % (recipe.pn, key[0], key[1], what))
        src_file, src_line = where.get("SRC_URI", (recipe.path, 0))
        zips, seen = set(), {}
        for entry in (eval_var(recipe, "SRC_URI", combo) or "").split():
            if not entry.startswith("gomod://"):
                continue
            parts = entry[len("gomod://"):].split(";")
            params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
            key = (parts[0], params.get("version", ""))
            if key in seen:
                lint.err(src_file, src_line, "SRC_URI has %s@%s twice: the fetcher names both %s@%s (their "
                         "checksums clash)" % (key[0], key[1], key[0], key[1]))
            seen[key] = entry
            if params.get("mod") == "1":
                continue
            zips.add(key)
            if key not in union:
                src_file, src_line = locate(recipe, "SRC_URI", "gomod://%s;" % parts[0])
                lint.err(src_file, src_line, "SRC_URI gomod://%s;version=%s: %s does not compile it (%s): "
                         "fetch its go.mod only (mod=1), or not at all" % (key[0], key[1], recipe.pn, what))
        for key in sorted(union - zips):
            lint.err(src_file, src_line, "%s compiles %s@%s (%s) but SRC_URI has no gomod:// zip of it"
                     % (recipe.pn, key[0], key[1], what))
        names = set(n for n in LICENSE_OPS_RE.split(eval_var(recipe, "LICENSE", combo) or "") if n)
        lf, ll = where.get("LICENSE", (recipe.path, 0))
        for n in sorted(names - own - spdx):
            lint.err(lf, ll, "LICENSE names %s, but no license file of a module %s compiles is %s (%s)"
                     % (n, recipe.pn, n, what))
        for n in sorted(spdx - names):
            lint.err(lf, ll, "LICENSE lacks %s, the license of a module %s compiles (%s)" % (n, recipe.pn, what))


# ---------------------------------------------------------------- kas

def parse_yaml(path, lint):
    """A small YAML subset parser: block mappings, block lists of scalars or
    mappings, block scalars (| and >), quoted/plain scalars, comments.
    Returns (tree, linemap) where linemap maps id(node)->line."""
    raw = open(path, encoding="utf-8").read().split("\n")
    toks = []  # (indent, line number, text)
    i = 0
    while i < len(raw):
        line = raw[i]
        s = line.strip()
        if not s or s.startswith("#") or s == "---":
            i += 1
            continue
        if "\t" in line[:len(line) - len(line.lstrip())]:
            lint.err(path, i + 1, "tab in indentation")
        toks.append([len(line) - len(line.lstrip(" ")), i + 1, s])
        # block scalar: swallow the indented lines that follow
        if re.search(r':\s*[|>][-+]?\s*(#.*)?$', s):
            ind = toks[-1][0]
            j = i + 1
            while j < len(raw) and (not raw[j].strip() or len(raw[j]) - len(raw[j].lstrip(" ")) > ind):
                j += 1
            toks[-1].append("\n".join(raw[i + 1:j]))
            i = j
            continue
        i += 1

    def scalar(v):
        v = re.sub(r'\s+#.*$', '', v).strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            return v[1:-1]
        if v in ("", "~", "null"):
            return None
        return v

    pos = [0]

    def block(indent):
        if pos[0] >= len(toks):
            return None
        first = toks[pos[0]]
        if first[2].startswith("- ") or first[2] == "-":
            lst = []
            while pos[0] < len(toks) and toks[pos[0]][0] == first[0] and toks[pos[0]][2].startswith("-"):
                t = toks[pos[0]]
                item = t[2][1:].strip()
                if re.match(r'^[^\'"]*?:(\s|$)', item):
                    # list of mappings: rewrite token as a mapping at deeper indent
                    t[0] += 2
                    t[2] = item
                    lst.append(block(t[0]))
                else:
                    pos[0] += 1
                    lst.append(scalar(item))
            return lst
        mp = {}
        ind = first[0]
        while pos[0] < len(toks) and toks[pos[0]][0] == ind:
            t = toks[pos[0]]
            m = re.match(r'^("[^"]*"|\'[^\']*\'|[^:]+?):(?:\s+(.*))?$', t[2])
            if not m:
                lint.err(path, t[1], "cannot parse %r" % t[2])
                pos[0] += 1
                continue
            key = scalar(m.group(1))
            val = m.group(2)
            pos[0] += 1
            if len(t) > 3:
                mp[key] = t[3]
            elif val is not None and scalar(val) is not None:
                if val.strip().startswith("["):
                    mp[key] = [scalar(x) for x in val.strip()[1:-1].split(",") if x.strip()]
                else:
                    mp[key] = scalar(val)
            elif pos[0] < len(toks) and toks[pos[0]][0] > ind:
                mp[key] = block(toks[pos[0]][0])
            elif pos[0] < len(toks) and toks[pos[0]][0] == ind and toks[pos[0]][2].startswith("- "):
                mp[key] = block(ind)
            else:
                mp[key] = None
            lines_of[(id(mp), key)] = t[1]
        if pos[0] < len(toks) and toks[pos[0]][0] > ind:
            lint.err(path, toks[pos[0]][1], "unexpected indentation")
            pos[0] += 1
        return mp

    lines_of = {}
    tree = block(0) if toks else {}
    if pos[0] < len(toks):
        lint.err(path, toks[pos[0]][1], "unparsed content")
    return tree if isinstance(tree, dict) else {}, lines_of


def check_kas(lint, recipesdir):
    kasfiles = sorted(os.path.join(dp, f) for dp, dn, fn in os.walk(recipesdir)
                      for f in fn if f.endswith((".yml", ".yaml")))
    trees = {}
    included = set()
    kas_layers = set()
    for kf in kasfiles:
        tree, lines = parse_yaml(kf, lint)
        lint.count("kas files")
        trees[kf] = (tree, lines)
        L = lambda m, k: lines.get((id(m), k), 0)
        hdr = tree.get("header")
        if not isinstance(hdr, dict) or not hdr.get("version"):
            lint.err(kf, 1, "kas: header: version: missing")
        incs = (hdr or {}).get("includes") or [] if isinstance(hdr, dict) else []
        for inc in incs:
            if isinstance(inc, dict):
                continue  # include from another repo
            cands = [os.path.join(os.path.dirname(kf), inc), os.path.join(lint.root, inc)]
            hit = [c for c in cands if os.path.isfile(c)]
            if not hit:
                lint.err(kf, L(hdr, "includes"), "kas include %s does not exist" % inc)
            else:
                included.add(os.path.normpath(hit[0]))
        repos = tree.get("repos")
        if repos is None:
            continue
        if not isinstance(repos, dict):
            lint.err(kf, L(tree, "repos"), "kas: repos: is not a mapping")
            continue
        for name, r in repos.items():
            ln = L(repos, name)
            r = r or {}
            if not isinstance(r, dict):
                lint.err(kf, ln, "kas repo %s: not a mapping" % name)
                continue
            layers = r.get("layers") or {}
            if isinstance(layers, list):
                layers = {x: None for x in layers}
            if r.get("url"):
                if not any(r.get(k) for k in ("branch", "commit", "tag", "refspec")):
                    lint.err(kf, ln, "kas repo %s: url without branch/commit/tag" % name)
                for lay, v in layers.items():
                    if v not in ("disabled", "excluded"):
                        kas_layers.add(os.path.basename(os.path.normpath(os.path.join(name, lay))))
                if not layers:
                    kas_layers.add(name)
            else:
                base = lint.root
                if r.get("path"):
                    p = r["path"]
                    base = p if os.path.isabs(p) else os.path.join(lint.root, p)
                    if not os.path.isdir(base):
                        lint.err(kf, ln, "kas repo %s: path %s does not exist" % (name, p))
                        continue
                for lay, v in layers.items():
                    if v in ("disabled", "excluded"):
                        continue
                    if not os.path.isdir(os.path.join(base, lay)):
                        lint.err(kf, L(layers, lay) or ln, "kas repo %s: layer %s does not exist" % (name, lay))
                    elif lay != "." and not os.path.isfile(os.path.join(base, lay, "conf", "layer.conf")):
                        lint.err(kf, L(layers, lay) or ln, "kas repo %s: %s has no conf/layer.conf" % (name, lay))
                    kas_layers.add(os.path.basename(os.path.normpath(os.path.join(base, lay))))
    # top-level files (not included by another) must define machine and distro
    def merged(kf, seen=()):
        tree = trees[kf][0]
        out = {}
        hdr = tree.get("header") if isinstance(tree.get("header"), dict) else {}
        for inc in (hdr.get("includes") or []):
            if isinstance(inc, dict):
                out["_remote_include"] = True
                continue
            for c in (os.path.join(os.path.dirname(kf), inc), os.path.join(lint.root, inc)):
                c = os.path.normpath(c)
                if c in trees and c not in seen:
                    out.update(merged(c, seen + (kf,)))
                    break
        out.update({k: v for k, v in tree.items() if v is not None})
        return out
    for kf in kasfiles:
        if os.path.normpath(kf) in included:
            continue
        m = merged(kf)
        for key in ("machine", "distro"):
            if not m.get(key) and not m.get("_remote_include"):
                lint.err(kf, 1, "kas: %s: not set (here or in an include)" % key)
    return kas_layers


def check_bblayers(lint, recipesdir, kas_layers):
    for dp, dn, fn in os.walk(recipesdir):
        for f in fn:
            if not f.startswith("bblayers.conf"):
                continue
            path = os.path.join(dp, f)
            lint.count("bblayers samples")
            entries = []
            raw = open(path, encoding="utf-8").read().split("\n")
            for var, b, op, val, ln in parse_vars(path):
                if b == "BBLAYERS":
                    for e in val.split():
                        n = next((i + 1 for i in range(ln - 1, len(raw)) if e in raw[i].split()), ln)
                        entries.append((e, n))
            if not entries:
                lint.err(path, 0, "no BBLAYERS")
                continue
            prefixes = set()
            names = []
            for e, ln in entries:
                if e.startswith("/"):
                    lint.err(path, ln, "BBLAYERS %s is an absolute path" % e)
                name = os.path.basename(e.rstrip("/"))
                names.append(name)
                m = re.match(r'^(\$\{[A-Z_]+\}|##[A-Z_]+##)', e)
                if not m:
                    lint.err(path, ln, "BBLAYERS %s does not start with ${TOPDIR}, ##OEROOT## or another variable" % e)
                else:
                    prefixes.add(m.group(1))
                if kas_layers and name not in kas_layers:
                    lint.err(path, ln, "BBLAYERS layer %s is not a layer of the kas files (%s)" % (name, " ".join(sorted(kas_layers))))
            if len(prefixes) > 1:
                lint.err(path, entries[0][1], "BBLAYERS mixes path prefixes %s" % " ".join(sorted(prefixes)))
            if LAYER not in names:
                lint.err(path, entries[0][1], "BBLAYERS does not name %s" % LAYER)
            dups = {n for n in names if names.count(n) > 1}
            for n in sorted(dups):
                lint.err(path, entries[0][1], "BBLAYERS names %s twice" % n)


# ---------------------------------------------------------------- driver

REQUIRED_FILES = {
    "README.md": "yocto-check-layer test_readme",
    "SECURITY.md": "yocto-check-layer test_security",
    "lib/oeqa/runtime/cases/parsec.py": "meta-security's security-test-image TEST_SUITES parsec",
}

TEXT_SKIP = (".png", ".jpg", ".gz", ".xz", ".zst", ".bin", ".pyc")


def run(root):
    lint = Lint(root)
    layerdir = os.path.join(lint.root, LAYER)
    recipesdir = os.path.join(lint.root, RECIPES)
    if not os.path.isdir(layerdir):
        lint.err(layerdir, 0, "layer directory missing")
        return lint
    check_layer_conf(lint, layerdir)
    allfiles = []
    for base in (layerdir, recipesdir):
        for dp, dn, fn in os.walk(base):
            dn[:] = [d for d in dn if d not in ("__pycache__", ".git")]
            allfiles += [os.path.join(dp, f) for f in sorted(fn)]
    for path in allfiles:
        if path.endswith(TEXT_SKIP):
            continue
        check_host_paths(lint, path)
        if path.endswith((".bb", ".bbappend", ".inc", ".bbclass")):
            check_functions(lint, path)
        elif path.endswith(".py"):
            if os.path.relpath(path, layerdir).startswith("lib" + os.sep) or shebang(path):
                check_python(lint, path)
        elif path.startswith(layerdir + os.sep):
            check_scripts(lint, path)
        if path.endswith((".bb", ".bbappend")):
            recipe = Recipe(lint, path, layerdir)
            lint.count("recipes")
            if path.endswith(".bb"):
                for var in ("SUMMARY", "LICENSE", "LIC_FILES_CHKSUM"):
                    if not recipe.has(var):
                        lint.err(path, 0, "%s is not set" % var)
            check_lic_chksum(lint, recipe)
            check_license_names(lint, recipe)
            check_srcrev(lint, recipe)
            check_src_uri(lint, recipe)
            check_go_modules(lint, recipe)
    check_gomods(lint)
    # files the issue and yocto-check-layer require of the layer
    for need in REQUIRED_FILES:
        if not os.path.isfile(os.path.join(layerdir, need)):
            lint.err(os.path.join(layerdir, need), 0, "missing (%s)" % REQUIRED_FILES[need])
    check_readme(lint, layerdir)
    if os.path.isdir(recipesdir):
        if not any(f.endswith((".yml", ".yaml")) for dp, dn, fn in os.walk(recipesdir) for f in fn):
            lint.err(recipesdir, 0, "no kas files (*.yml)")
        if not any(f.startswith("bblayers.conf") for dp, dn, fn in os.walk(recipesdir) for f in fn):
            lint.err(recipesdir, 0, "no bblayers.conf.sample")
        kas_layers = check_kas(lint, recipesdir)
        check_bblayers(lint, recipesdir, kas_layers)
    else:
        lint.err(recipesdir, 0, "missing")
    return lint


def check_readme(lint, layerdir):
    """What yocto-check-layer's test_readme asks of the layer README: it
    names maintainers, says how patches are sent and has a contact with an
    @ (the test skips these when the README points at another README)."""
    readmes = sorted(f for f in os.listdir(layerdir) if f.lower().startswith("readme"))
    if not readmes:
        return  # reported as a missing required file
    path = os.path.join(layerdir, readmes[0])
    with open(path, encoding="utf-8", errors="replace") as f:
        data = f.read()
    if re.search("README", data, re.IGNORECASE):
        lint.note("%s refers to another README: yocto-check-layer skips its checks" % lint.rel(path))
        return
    for word, what in (("maintainer", "maintainer info"), ("patch", "patching information")):
        if word not in data.lower():
            lint.err(path, 0, "no %s (yocto-check-layer test_readme looks for %r)" % (what, word))
    if not re.search(r"[^@]+@[^@]+", data):
        lint.err(path, 0, "no e-mail address or @handle (yocto-check-layer test_readme)")


# Every check that the broken fixture must trip: (file suffix, message part).
SELFTEST_EXPECT = [
    ("meta-parsec/conf/layer.conf", "LAYERSERIES_COMPAT_parsec-layer does not contain wrynose"),
    ("meta-parsec/conf/layer.conf", "LAYERDEPENDS_parsec-layer does not contain core"),
    ("meta-parsec/conf/layer.conf", "addpylib"),
    ("meta-parsec/conf/layer.conf:8", "BBLAYERS_LAYERINDEX_NAME without the collection"),
    ("meta-parsec/conf/layer.conf:9", "override parsec-layer is not in OVERRIDES"),
    ("meta-parsec/conf/layer.conf", "no WARN_QA:append:layer-parsec-layer"),
    ("meta-parsec/conf/layer.conf", "BBFILES_DYNAMIC tpm-layer"),
    ("broken_1.0.bb:", "LIC_FILES_CHKSUM LICENSE: md5 is"),
    ("broken_1.0.bb:", "LIC_FILES_CHKSUM pkg/mod/golang.org/x/sys@v0.50.0/LICENSE;beginline=1;endline=2: md5 is"),
    ("broken_1.0.bb:", "SRC_URI file://missing.conf not found"),
    ("broken_1.0.bb:", "host path /home/"),
    ("broken_1.0.bb:", "host path /usr/local/go/"),
    ("broken_1.0.bb:", "sh -n"),
    ("nosummary_1.0.bb", "SUMMARY is not set"),
    ("broken_1.0.bb:", "require missing-common.inc: file not found"),
    ("nosummary_1.0.bb:7", "SRC_URI file://after-def.patch not found"),
    ("parsec-service-licenses.inc:2", "stale"),
    ("recipes-x/demo/old-go-mods.inc", "not generated by"),
    ("godemo_1.0.bb:13", "pkg/mod/github.com/pelletier/go-toml/v2@v2.4.3/LICENSE: github.com/pelletier/go-toml/v2@v2.4.3 is not a module godemo compiles"),
    ("godemo_1.0.bb:10", "SRC_URI gomod://github.com/pelletier/go-toml/v2;version=v2.4.3: godemo does not compile it"),
    ("godemo_1.0.bb:2", "LICENSE names ISC, but no license file of a module godemo compiles"),
    ("godemo_1.0.bb:2", "LICENSE names MIT, but no license file of a module godemo compiles"),
    ("godemo-opt_1.0.bb:4", "SRC_URI has golang.org/x/sys@v0.50.0 twice"),
    ("godemo-opt_1.0.bb:2", "LICENSE lacks BSD-3-Clause"),
    ("godemo-opt_1.0.bb:14", "compiles github.com/pelletier/go-toml/v2@v2.4.3 (go list -deps ./cmd/demo -tags demotoml, CGO_ENABLED=0, PACKAGECONFIG='toml') but LIC_FILES_CHKSUM has no license file"),
    ("godemo-opt_1.0.bb:4", "PACKAGECONFIG='toml') but SRC_URI has no gomod:// zip"),
    ("files/broken-init", "sh -n"),
    ("files/bashy.sh", "bash -n"),
    ("lib/oeqa/runtime/cases/parsec.py", "python:"),
    ("recipes/kas/broken.yml", "url without branch/commit/tag"),
    ("recipes/kas/broken.yml", "layer meta-missing does not exist"),
    ("recipes/kas/broken.yml", "machine: not set"),
    ("recipes/kas/broken.yml", "include common-missing.yml does not exist"),
    ("recipes/conf/bblayers.conf.sample", "is not a layer of the kas files"),
    ("recipes/conf/local.conf.sample", "host path /tmp/"),
    ("meta-parsec/SECURITY.md", "missing"),
    ("meta-parsec/README.md", "no patching information"),
    ("closed_1.0.bb", "CLOSED combined with other licenses"),
    ("refnoflag_1.0.bb", "LICENSE LicenseRef-demo: no generic license text"),
    ("refnoflag_1.0.bb", "LICENSE Frobnicate-1.0: no generic license text"),
    ("refbadflag_1.0.bb", "NO_GENERIC_LICENSE[LicenseRef-demo] = 'COPYRIGHT' is not a LIC_FILES_CHKSUM file"),
]


def selftest_srcrev():
    """check_srcrev on a throw-away repository: clean at its own commit,
    then each failure it must report."""
    with tempfile.TemporaryDirectory() as d:
        def sh(*args):
            subprocess.run(args, cwd=d, check=True, capture_output=True)

        def write(rel, text):
            os.makedirs(os.path.dirname(os.path.join(d, rel)) or d, exist_ok=True)
            with open(os.path.join(d, rel), "w", encoding="utf-8") as fh:
                fh.write(text)

        def errors(rev):
            write("meta-parsec/r_1.0.bb", 'GO_IMPORT = "github.com/parsecd/parsecd"\nSRCREV = "%s"\n' % rev)
            lint = Lint(d)
            check_srcrev(lint, Recipe(lint, os.path.join(d, "meta-parsec/r_1.0.bb"), os.path.join(d, "meta-parsec")))
            return lint.errors

        sh("git", "init", "-q")
        write("go.mod", "module example.org/x\n")
        write("go.sum", "")
        write("rootfs/etc/parsec/config.toml", "# v1\n")
        sh("git", "add", "go.mod", "go.sum", "rootfs")
        sh("git", "-c", "user.name=lint", "-c", "user.email=lint@localhost", "commit", "-qm", "v1")
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=d, capture_output=True, text=True).stdout.strip()
        got = {"clean": errors(rev)}
        got["bogus"] = errors("f" * 40)
        got["short"] = errors(rev[:12])
        write("go.mod", "module example.org/x\n\nrequire example.org/y v1.0.0\n")
        write("rootfs/etc/parsec/config.toml", "# v2\n")
        got["stale"] = errors(rev)
    want = {"clean": [], "bogus": ["is not a commit of this repository"], "short": ["not a full commit hash"],
            "stale": ["another go.mod", "rootfs/ changed since SRCREV"]}
    ok = True
    for case, parts in want.items():
        if len(got[case]) != len(parts) or not all(any(p in e for e in got[case]) for p in parts):
            print("selftest: FAIL: SRCREV %s: errors %r, want one per %r" % (case, got[case], parts))
            ok = False
    return ok


def selftest():
    data = os.path.join(HERE, "testdata", "lint-layer")
    ok = True
    bad = run(os.path.join(data, "bad"))
    for suffix, part in SELFTEST_EXPECT:
        hit = [e for e in bad.errors if suffix in e.split(": ")[0] + ":" and part in e]
        hit = hit or [e for e in bad.errors if suffix in e and part in e]
        if not hit:
            print("selftest: FAIL: no error %r for %s" % (part, suffix))
            ok = False
    for e in bad.errors:
        if not re.match(r'^[^:\s]+(:\d+)?: ', e):
            print("selftest: FAIL: error without a file: %s" % e)
            ok = False
    ok = selftest_srcrev() and ok
    good = run(os.path.join(data, "good"))
    for e in good.errors:
        print("selftest: FAIL: good fixture: %s" % e)
        ok = False
    if not ok:
        print("selftest: errors reported on the bad fixture:")
        for e in bad.errors:
            print("  " + e)
        return 1
    print("lint-layer selftest: ok (%d expected failures found on the broken fixture, good fixture clean)"
          % len(bad.errors))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=REPO, help="directory holding meta-parsec/ and recipes/ (default: the repository)")
    ap.add_argument("--selftest", action="store_true", help="run the lint against the fixtures in testdata/lint-layer")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.selftest:
        return selftest()
    lint = run(a.root)
    if a.verbose:
        for n in lint.notes:
            print("note: " + n)
    for e in lint.errors:
        print(e, file=sys.stderr)
    if lint.errors:
        print("lint-layer: %d problem(s) in %s (checked %s)" % (len(lint.errors), lint.root,
              ", ".join("%d %s" % (v, k) for k, v in sorted(lint.counts.items()))), file=sys.stderr)
        return 1
    print("lint-layer: %s/%s and %s/ are clean (%s)" % (lint.root, LAYER, RECIPES,
          ", ".join("%d %s" % (v, k) for k, v in sorted(lint.counts.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
