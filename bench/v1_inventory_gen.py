#!/usr/bin/env python3
"""A synthetic S3 inventory for the issue-17 benchmark, made from the shapes of the real archive
keys in Buildhub v1's fixtures: nightlies (en-US and l10n, old and new folder names), releases,
candidates, funnelcakes, EME-free and sha1 repacks, fennec, thunderbird and devedition, and the
files around them that are not builds (signatures, checksums, MARs, JSON metadata, SDKs, test
packages). Deterministic for a seed.

Usage: v1_inventory_gen.py ROWS OUT.csv [--seed N]
"""
import argparse
import random

LOCALES = ["en-US", "fr", "de", "ja", "ja-JP-mac", "zh-TW", "pt-BR", "es-ES", "ach", "mr", "sk", "ta", "cak",
           "en-GB", "it", "pl", "ru", "ko", "nl", "sv-SE", "tr", "uk", "hi-IN", "ar", "he"]
PLATFORMS = ["linux-i686", "linux-x86_64", "win32", "win64", "mac", "mac-EME-free", "win64-EME-free", "win32-sha1",
             "win64-aarch64"]
BUILD_FILES = {"linux-i686": "firefox-{v}.tar.bz2", "linux-x86_64": "firefox-{v}.tar.bz2", "win32": "Firefox+Setup+{v}.exe",
               "win64": "Firefox+Setup+{v}.exe", "mac": "Firefox+{v}.dmg", "mac-EME-free": "Firefox+{v}.dmg",
               "win64-EME-free": "Firefox+Setup+{v}.exe", "win32-sha1": "Firefox+Setup+{v}.exe",
               "win64-aarch64": "Firefox+Setup+{v}.exe"}
NOT_BUILDS = ["{f}.asc", "firefox-{v}.checksums", "firefox-{v}.complete.mar", "firefox-{v}.json", "firefox-{v}.txt",
              "firefox-{v}.tests.tar.gz", "firefox-{v}.crashreporter-symbols.zip", "firefox-{v}.sdk.tar.bz2",
              "Firefox+Setup+Stub+{v}.exe", "firefox-{v}.source.tar.xz", "firefox-{v}.mozinfo.json", "SHA512SUMS"]


def key(rng):
    r = rng.random()
    major = rng.randint(40, 140)
    loc = rng.choice(LOCALES)
    plat = rng.choice(PLATFORMS)
    if r < 0.30:  # nightly
        y, mo, d = rng.randint(2011, 2026), rng.randint(1, 12), rng.randint(1, 28)
        h, mi, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        folder = f"{y}-{mo:02}-{d:02}-{h:02}-{mi:02}-{s:02}-mozilla-central"
        plat_short = rng.choice(["linux-x86_64", "linux-i686", "win32", "win64", "mac"])
        ext = {"linux-x86_64": "tar.bz2", "linux-i686": "tar.bz2", "win32": "installer.exe", "win64": "installer.exe",
               "mac": "dmg"}[plat_short]
        if loc != "en-US":
            folder += "-l10n"
        name = f"firefox-{major}.0a1.{loc}.{plat_short}.{ext}"
        if rng.random() < 0.5:
            name = rng.choice([f"firefox-{major}.0a1.{loc}.{plat_short}.json", f"firefox-{major}.0a1.{loc}.{plat_short}.txt",
                               f"firefox-{major}.0a1.{loc}.{plat_short}.complete.mar", f"firefox-{major}.0a1.{loc}.{plat_short}.checksums"])
        return f"pub/firefox/nightly/{y}/{mo:02}/{folder}/{name}"
    version = rng.choice([f"{major}.0", f"{major}.0.{rng.randint(1, 3)}", f"{major}.0b{rng.randint(1, 12)}", f"{major}.0esr",
                          f"{major}.{rng.randint(1, 9)}.0esr"])
    build_file = BUILD_FILES[plat].format(v=version)
    name = build_file if rng.random() < 0.55 else rng.choice(NOT_BUILDS).format(f=build_file, v=version)
    if r < 0.60:
        return f"pub/firefox/releases/{version}/{plat}/{loc}/{name}"
    if r < 0.80:
        return f"pub/firefox/candidates/{version}-candidates/build{rng.randint(1, 12)}/{plat}/{loc}/{name}"
    if r < 0.86:
        return f"pub/devedition/releases/{major}.0b{rng.randint(1, 12)}/{plat}/{loc}/{name}"
    if r < 0.92:
        v = f"{major}.0"
        return f"pub/thunderbird/releases/{v}/{plat}/{loc}/" + name.replace("firefox", "thunderbird").replace("Firefox", "Thunderbird")
    if r < 0.97:
        v = f"{major}.0"
        fen = f"fennec-{v}.{loc}.android-arm.apk" if rng.random() < 0.6 else f"fennec-{v}.{loc}.android-arm.tests.zip"
        return f"pub/mobile/releases/{v}/android-api-16/{loc}/{fen}"
    return f"pub/seamonkey/releases/2.{major}/{plat}/{loc}/seamonkey-2.{major}.tar.bz2"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rows", type=int)
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=17)
    args = p.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w") as f:
        for _ in range(args.rows):
            size = rng.randint(1000, 150_000_000)
            y, mo, d = rng.randint(2015, 2026), rng.randint(1, 12), rng.randint(1, 28)
            date = f"{y}-{mo:02}-{d:02}T{rng.randint(0, 23):02}:{rng.randint(0, 59):02}:{rng.randint(0, 59):02}.{rng.randint(0, 999):03}Z"
            f.write(f'"net-mozaws-prod-delivery-firefox","{key(rng)}","{size}","{date}","{rng.getrandbits(128):032x}"\n')


if __name__ == "__main__":
    main()
