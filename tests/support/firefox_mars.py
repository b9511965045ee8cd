"""Complete MARs of real Firefox trees, from Debian's firefox-esr packages.

Used by the end-to-end partial test and by bench/run-partial.sh. Registries move (a security
update replaces a version), so nothing names a version: the oldest 140.x and the newest version
the registry offers are resolved at run time and printed. Downloaded .debs and the complete MARs
made from them are cached (BUILDHUB_DEB_CACHE, default bench/out/cache) so that a second run needs
no network and no recompression.

A tree is prepared the way mar-reference section 8.2 describes: Debian's usr/lib/firefox-esr with
its symlinks dropped, plus update-settings.ini, defaults/pref/channel-prefs.js and a precomplete
in createprecomplete.py's format; the old tree also holds files that only the new tree's
removed-files takes away (remove, rmdir and rmrfdir lines), and the new one that removed-files.
Each tree is packed like make_full_update.sh does: a `type "complete"` manifest, entries in
reverse order, xz with the x86 BCJ filter (`buildhub mar -c --compress xz --x86`).

Usage as a script: python3 firefox_mars.py OUT_DIR BUILDHUB_BIN -> prints the two MAR paths.
"""
import os
import shutil
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
CACHE = os.environ.get("BUILDHUB_DEB_CACHE", os.path.join(REPO, "bench/out/cache"))
CHANNEL = "firefox-mozilla-esr"
FORMAT = "3"  # bump when the prepared trees change, so cached MARs are rebuilt

REMOVED_FILES = """# files and directories this version no longer ships
obsolete-lib.so
browser/old-extensions/*
browser/features/

"""


def _as_root(cmd):
    return cmd if os.geteuid() == 0 else ["sudo", *cmd]


def available_versions(package):
    """Every version the registry offers, oldest first (Debian's own ordering)."""
    def madison():
        out = subprocess.run(["apt-cache", "madison", package], capture_output=True, text=True).stdout
        return sorted({line.split("|")[1].strip() for line in out.splitlines() if "|" in line})
    versions = madison()
    if not versions:
        subprocess.run(_as_root(["apt-get", "update", "-qq"]), check=True)
        versions = madison()
    ordered = []
    for v in versions:
        i = len(ordered)
        while i > 0 and subprocess.run(["dpkg", "--compare-versions", ordered[i - 1], "gt", v]).returncode == 0:
            i -= 1
        ordered.insert(i, v)
    return ordered


def pick_pair(package="firefox-esr"):
    """The oldest 140.x (else the oldest) and the newest version."""
    versions = available_versions(package)
    if len(versions) < 2:
        raise RuntimeError(f"the registry offers {versions} for {package}: two versions are needed")
    old = next((v for v in versions if v.startswith("140.")), versions[0])
    return old, versions[-1]


def fetch_deb(package, version):
    os.makedirs(CACHE, exist_ok=True)
    quoted = version.replace(":", "%3a")
    def cached():
        return [f for f in os.listdir(CACHE) if f.startswith(f"{package}_{quoted}_") and f.endswith(".deb")]
    if not cached():
        spec = f"{package}={version}"
        if subprocess.run(["apt-get", "download", spec], cwd=CACHE, capture_output=True).returncode != 0:
            subprocess.run(_as_root(["apt-get", "update", "-qq"]), check=True)
            subprocess.run(["apt-get", "download", spec], cwd=CACHE, check=True, capture_output=True)
    return os.path.join(CACHE, cached()[0])


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def _files(root):
    out = []
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            if os.path.isfile(p) and not os.path.islink(p):
                out.append(os.path.relpath(p, root))
    return sorted(out, reverse=True)


def _dirs(root):
    out = []
    for dirpath, dirs, _names in os.walk(root):
        for d in dirs:
            out.append(os.path.relpath(os.path.join(dirpath, d), root))
    return sorted(out, reverse=True)


def _precomplete(root):
    """createprecomplete.py's format: remove lines for files, then rmdir lines for directories."""
    keep = ("channel-prefs.js", "update-settings.ini")
    lines = []
    for f in _files(root):
        if os.path.basename(f) in keep or f.startswith("distribution/"):
            continue
        lines.append(f'remove "{f}"')
    for d in _dirs(root):
        if d == "distribution" or d.startswith("distribution/"):
            continue
        lines.append(f'rmdir "{d}/"')
    return "\n".join(lines) + "\n"


def prepare_tree(deb, dest, version, role):
    """Unpacks `deb` and turns usr/lib/firefox-esr into an update tree under dest."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    unpacked = dest + ".deb"
    subprocess.run(["dpkg-deb", "-x", deb, unpacked], check=True)
    shutil.move(os.path.join(unpacked, "usr/lib/firefox-esr"), dest)
    shutil.rmtree(unpacked)
    for dirpath, dirs, names in os.walk(dest):
        for n in names + dirs:
            p = os.path.join(dirpath, n)
            if os.path.islink(p):
                os.unlink(p)
    _write(os.path.join(dest, "update-settings.ini"), f"[Settings]\nACCEPTED_MAR_CHANNEL_IDS={CHANNEL}\n")
    _write(os.path.join(dest, "defaults/pref/channel-prefs.js"), 'pref("app.update.channel", "esr");\n')
    if role == "old":
        _write(os.path.join(dest, "obsolete-lib.so"), "an old library\n")
        _write(os.path.join(dest, "browser/old-extensions/legacy@mozilla.org.xpi"), "PK legacy\n")
        _write(os.path.join(dest, "browser/old-extensions/sub/notes.txt"), "nested\n")
        _write(os.path.join(dest, "browser/features/retired@mozilla.org.xpi"), "PK retired\n")
    else:
        _write(os.path.join(dest, "removed-files"), REMOVED_FILES)
    _write(os.path.join(dest, "precomplete"), _precomplete(dest))


def complete_manifest(root):
    lines = ['type "complete"']
    for f in _files(root):
        base = os.path.basename(f)
        if base in ("channel-prefs.js", "update-settings.ini"):
            lines.append(f'add-if-not "{f}" "{f}"')
        else:
            lines.append(f'add "{f}"')
    return "\n".join(lines) + "\n"


def make_complete_mar(tree, out, version, buildhub):
    files = _files(tree)
    _write(os.path.join(tree, "updatev3.manifest"), complete_manifest(tree))
    subprocess.run([buildhub, "mar", "--compress", "xz", "--x86", "-H", CHANNEL, "-V", version, "-C", tree,
                    "-c", os.path.abspath(out), "updatev3.manifest", *files], check=True)
    os.unlink(os.path.join(tree, "updatev3.manifest"))


def product_version(debian_version):
    return debian_version.split("-")[0]


def complete_mars(work, buildhub, keep_trees=False):
    """Returns (old_mar, new_mar, old_version, new_version[, old_tree, new_tree]), cached by version."""
    old_v, new_v = pick_pair()
    print(f"firefox-esr {old_v} -> {new_v}", flush=True)
    os.makedirs(work, exist_ok=True)
    result = []
    trees = []
    for role, version in (("old", old_v), ("new", new_v)):
        mar = os.path.join(CACHE, f"firefox-esr_{version.replace(':', '%3a')}_{role}_f{FORMAT}.complete.mar")
        tree = os.path.join(work, f"tree-{role}")
        if not os.path.exists(mar) or keep_trees:
            prepare_tree(fetch_deb("firefox-esr", version), tree, product_version(version), role)
        if not os.path.exists(mar):
            tmp = mar + ".tmp"
            make_complete_mar(tree, tmp, product_version(version), buildhub)
            os.replace(tmp, mar)
        result.append(mar)
        trees.append(tree)
    out = (result[0], result[1], old_v, new_v)
    return out + tuple(trees) if keep_trees else out


if __name__ == "__main__":
    paths = complete_mars(sys.argv[1], sys.argv[2])
    print(paths[0])
    print(paths[1])
