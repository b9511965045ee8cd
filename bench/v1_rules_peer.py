#!/usr/bin/env python3
"""The peer of the issue-17 benchmark: Buildhub v1's inventory rules in Python, written from
buildhub-reference section 2.3 and 2.5 (the filters, is_build_url, record_from_url,
guess_channel, the record id, the mimetype), the way v1's inventory-to-records ran them: CSV rows
on stdin, {"data": record} lines on stdout (records from the paths, with size and date; no
metadata). Only the standard library: v1's ciso8601 is not packaged here, so dates are read with
datetime.strptime on their first 19 characters.

Usage: v1_rules_peer.py < inventory.csv > records.jsonl
"""
import csv
import datetime
import json
import re
import sys

ARCHIVE = "https://archive.mozilla.org/"
PRODUCTS = ("firefox", "thunderbird", "mobile", "devedition")
EXTENSIONS = ("zip", "tar.gz", "tar.bz2", "dmg", "apk", "exe")
MIMETYPES = {"apk": "application/vnd.android.package-archive", "bz2": "application/x-bzip2", "zip": "application/zip",
             "dmg": "application/x-apple-diskimage", "gz": "application/x-gzip", "exe": "application/msdos-windows"}
EXCLUDED_PATHS = re.compile(
    r".+(tinderbox|try-builds|partner-repacks|latest|contrib|/0\.|experimental|namoroka|debug|sha1-installers|"
    r"candidates/archived|stylo-bindings|/1.0rc/|/releases/win../|dominspector|/test/|testing|%28.+%29|"
    r"\sInstaller\.(\w{2,3}\-?\w{0,3})\.exe)")
EXCLUDED_NAMES = re.compile(r".+(sdk|tests|crashreporter|stub|gtk2.+xft|source|asan)")
NAME_PATTERNS = {}


def name_pattern(product, windows):
    key = (product, windows)
    if key not in NAME_PATTERNS:
        exts = [e for e in EXTENSIONS if not (windows and e == "zip")]
        NAME_PATTERNS[key] = re.compile(f"{product}-(.+)({'|'.join(exts)})$")
    return NAME_PATTERNS[key]


def is_build_url(product, url):
    if "nightly" in url and "mozilla-central" not in url and "comm-central" not in url:
        return False
    if EXCLUDED_PATHS.match(url):
        return False
    product = {"devedition": "firefox", "mobile": "fennec"}.get(product, product)
    name = url.rsplit("/", 1)[-1].replace(" ", "-").lower()
    if EXCLUDED_NAMES.match(name):
        return False
    return name_pattern(product, "win" in url).match(name) is not None


def channel_of(url, version):
    if "nightly" in url:
        channel = "aurora" if "aurora" in url else "nightly"
    elif "b" in version:
        channel = "aurora" if "devedition" in url else "beta"
    elif version.endswith("esr"):
        channel = "esr"
    else:
        channel = "release"
    return channel + "-old-id" if "old-id" in url else channel


def os_of(platform):
    if "eabi" in platform:
        return "android"
    for name in ("linux", "win", "mac", "android", "maemo"):
        if name in platform:
            return name
    raise ValueError(platform)


def record_of(url):
    lowered = url.replace(" ", "-").lower()
    parts = lowered.split("/")
    name_parts = lowered.rsplit("/", 1)[-1].split(".")
    product = "fennec" if parts[4] == "mobile" else parts[4]
    if "nightly" in url or len(parts) < 9 and "candidates" not in url:
        version = name_parts[0].split("-")[1] + "." + name_parts[1]
        locale, platform = name_parts[2], name_parts[3]
        if "nightly" in url and "android-api" in parts[8]:
            platform = "-".join(parts[8].split("-")[8:11])
    elif "candidates" in url:
        version = parts[6].strip("-candidates") + "rc" + parts[7].strip("build")
        platform, locale = parts[8], parts[9]
        if "funnelcake" in platform:
            version, platform, locale = f"{version}-{platform}", parts[9], parts[10]
    elif "funnelcake" in url and len(parts) == 11:
        version, platform, locale = parts[6], parts[8], parts[9]
    else:
        version, platform, locale = parts[6], parts[7], parts[8]
    if platform.startswith("mac"):
        platform = platform.replace("mac", "macosx")
    channel = channel_of(url, version)
    if "-" in locale:
        pieces = locale.split("-")
        pieces[1] = pieces[1].upper()
        locale = "-".join(pieces)
    dated = version
    if "nightly" in channel:
        dated = "-".join(url.split("/")[8].split("-")[:6]) + "_" + version
    prefix = channel + "_" if channel != "release" else ""
    name = url.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1] if "." in name.lstrip(".") else ""
    return {
        "id": f"{product}_{prefix}{dated}_{platform}_{locale}".replace(".", "-").lower(),
        "source": {"product": product},
        "target": {"platform": platform, "os": os_of(platform), "locale": locale, "version": version, "channel": channel},
        "download": {"url": url, "mimetype": MIMETYPES.get(ext)},
    }


def main():
    out = sys.stdout
    for row in csv.reader(sys.stdin):
        if len(row) != 5:
            continue
        key, size, modified = row[1], row[2], row[3]
        if not key.endswith(EXTENSIONS):
            continue
        date = datetime.datetime.strptime(modified[:19], "%Y-%m-%dT%H:%M:%S")
        folders = key.split("/")
        if len(folders) < 2 or folders[1] not in PRODUCTS:
            continue
        url = ARCHIVE + key.replace("+", " ")
        if not is_build_url(folders[1], url):
            continue
        try:
            record = record_of(url)
        except (IndexError, ValueError):
            continue
        record["download"]["size"] = int(float(size))
        record["download"]["date"] = date.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.write(json.dumps({"data": record}) + "\n")


if __name__ == "__main__":
    main()
