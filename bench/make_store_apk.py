#!/usr/bin/env python3
"""Build (and cache) an APK shaped like a real store app, for ``make bench``'s end-to-end figures.

What a store app carries and the synthetic big.apk lacks: a large resource table (tens of thousands of
resources, dozens of locales, density / night / landscape / tablet / API-level configurations) compiled by
the real ``aapt`` against ``framework-res.apk``, an app label given as ``@string/app_name`` (a scanner has
to resolve it through the table), manifest values that point into the table, native libraries under
``lib/<abi>/``, assets and ``META-INF/*.version`` files. The code is make_big_apk.py's generated smali
(real instruction mix, planted tracker SDK packages and sensitive call sites), with a string pool sized
like a real app's, assembled by ``smali``; then ``zipalign`` and ``apksigner``.

Everything is derived from the parameters (seed included), so the contents are the same on every build;
the APK is rebuilt only when a parameter or one of the generator files changes. Counts checked with
``aapt dump`` (resources, locales, configurations, the label ``aapt`` resolves) and the dex headers are
written beside the APK as ``<apk>.info.json``.

Usage: .venv/bin/python bench/make_store_apk.py [--out bench/cache/store.apk] [--dex-files 2]
       [--methods 100000] [--strings 9000] [--seed 1]
The 6-dex APK of ``make bench``: --out bench/cache/store-6dex.apk --dex-files 6 --methods 260000
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import importlib.util
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

import make_big_apk as big  # bench/make_big_apk.py, beside this script

HERE = Path(__file__).resolve().parent
HOSTILE = HERE.parent / "tests" / "fixtures" / "make_hostile.py"  # deterministic zip and ELF helpers
PACKAGE = "com.example.bigapp"  # the generated code's own package
APP_NAME = "Bench Mall"
ANDROID_NS = 'xmlns:android="http://schemas.android.com/apk/res/android"'

# locale qualifier -> script of its made-up translations; the first 12 translate most strings, the rest a part
LOCALES = [("zh-rCN", "cjk"), ("zh-rTW", "cjk"), ("zh-rHK", "cjk"), ("ja", "kana"), ("ko", "hangul"),
           ("ru", "cyrillic"), ("de", "latin"), ("fr", "latin"), ("es", "latin"), ("pt-rBR", "latin"),
           ("ar", "arabic"), ("hi", "devanagari"),
           ("it", "latin"), ("nl", "latin"), ("pl", "latin"), ("tr", "latin"), ("vi", "latin"), ("th", "thai"),
           ("in", "latin"), ("ms", "latin"), ("iw", "hebrew"), ("fa", "arabic"), ("uk", "cyrillic"),
           ("el", "greek"), ("sv", "latin"), ("da", "latin"), ("nb", "latin"), ("fi", "latin"), ("cs", "latin"),
           ("sk", "latin"), ("hu", "latin"), ("ro", "latin"), ("bg", "cyrillic"), ("sr", "cyrillic"),
           ("hr", "latin"), ("es-rUS", "latin"), ("pt-rPT", "latin"), ("ca", "latin"), ("lt", "latin"),
           ("lv", "latin")]
MAJOR_LOCALES = 12
SCRIPTS = {
    "latin": "abcdefghijklmnopqrstuvwxyzáéíóúàèçñöüäßøåąęłšžčřőű",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщыьэюяіїєђћ",
    "greek": "αβγδεζηθικλμνξοπρστυφχψω",
    "arabic": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "hebrew": "אבגדהוזחטיכלמנסעפצקרשת",
    "devanagari": "अआइईउऊएऐओऔकखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह",
    "thai": "กขคฆงจฉชซญดตถทนบปผฝพฟภมยรลวศษสหอฮ",
    "kana": "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
            "アイウエオカキクケコサシスセソタチツテトナニヌネノ",
    "hangul": "".join(chr(c) for c in range(0xAC00, 0xAC00 + 11172, 97)),
    "cjk": "".join(chr(c) for c in range(0x4E00, 0x9FA5, 23)),
}
WORDS = ["account", "order", "cart", "pay", "share", "login", "user", "coupon", "shop", "search", "item", "price",
         "photo", "video", "live", "message", "friend", "settings", "privacy", "policy", "agree", "cancel", "confirm",
         "location", "notification", "update", "download", "network", "error", "retry", "loading", "empty", "address",
         "phone", "code", "verify", "delivery", "refund", "review", "rating", "follow", "comment", "like", "save"]
DENSITIES = ("mdpi", "hdpi", "xhdpi", "xxhdpi", "xxxhdpi")
TRACKER_URLS = [u for u in big.URLS if "example" not in u] + [
    "https://api.example.com/v2/mall/home", "https://cdn.example.com/static/", "https://m.example.com/privacy.html"]
# (abi, file name, size in KiB): SDK libraries real apps ship, and the app's own; stored, page-aligned
NATIVE = [("libBugly.so", 120), ("libjcore330.so", 90), ("libumeng-spy.so", 45), ("libtobEmbedPagEncrypt.so", 160),
          ("libgdtadv2.so", 75), ("libc++_shared.so", 450), ("libmmkv.so", 200), ("libsqlcipher.so", 800),
          ("libmall-core.so", 550)]
ABIS = (("arm64-v8a", "arm64"), ("armeabi-v7a", "arm"))
VERSION_FILES = ["androidx.core_core", "androidx.appcompat_appcompat", "androidx.fragment_fragment",
                 "androidx.recyclerview_recyclerview", "androidx.lifecycle_lifecycle-runtime",
                 "androidx.activity_activity", "androidx.work_work-runtime", "androidx.room_room-runtime",
                 "com.google.android.material_material", "com.google.firebase_firebase-analytics",
                 "com.google.firebase_firebase-measurement-connector", "com.google.android.gms_play-services-base",
                 "kotlinx_coroutines_core", "com.squareup.okhttp3_okhttp"]


def _hostile():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_hostile", HOSTILE)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {HOSTILE}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class StoreDexGen(big.DexGen):
    """make_big_apk's dex, with a string pool the size of a real app's (about 0.8 strings per method)."""

    def __init__(self, idx: int, n_methods: int, seed: int) -> None:
        super().__init__(idx, n_methods, seed)
        rng = random.Random(f"store-strings:{seed}:{idx}")
        forms = ("{w}_{n:x}", "key_{w}_{n}", "Failed to {w}: %s ({n})", "{w}.{w2}.{n:x}", "/api/v{d}/{w}/{w2}",
                 "{W}{W2}Fragment", "com.example.bigapp.action.{WW}_{n}", "{w}={n}&{w2}=%s")
        for _ in range(int(0.8 * n_methods)):
            w, w2 = rng.choice(WORDS), rng.choice(WORDS)
            self.strings.append(rng.choice(forms).format(w=w, w2=w2, W=w.title(), W2=w2.title(), WW=w.upper(),
                                                         n=rng.getrandbits(24), d=rng.randint(1, 4)))


# ------------------------------------------------------------------------------------------------- resources

class ResGen:
    """Writes ``res/``: values in every configuration, layouts, drawables, and the rest a store app has."""

    def __init__(self, root: Path, seed: int, n_strings: int) -> None:
        self.root, self.rng = root, random.Random(f"store-res:{seed}")
        self.n_strings = n_strings
        self.n_colors, self.n_dimens = n_strings // 6, n_strings // 3
        self.ids = [f"id_{self._word()}_{i}" for i in range(n_strings // 3)]
        self.strings = [f"str_{self._word()}_{i}" for i in range(n_strings)]

    def _word(self) -> str:
        return self.rng.choice(WORDS)

    def _text(self, script: str, words: int) -> str:
        """Made-up words in a script (CJK and kana without spaces); letters only, so nothing needs escaping."""
        alphabet, rng = SCRIPTS[script], self.rng
        sep = "" if script in ("cjk", "kana") else " "
        return sep.join("".join(rng.choice(alphabet) for _ in range(rng.randint(2, 7))) for _ in range(words))

    def _english(self, words: int) -> str:
        return " ".join(self._word() for _ in range(words)).capitalize()

    def _values(self, qualifier: str, name: str, body: list[str]) -> None:
        folder = self.root / ("values" + (f"-{qualifier}" if qualifier else ""))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?>\n<resources>\n' + "\n".join(body) + "\n</resources>\n",
            encoding="utf-8")

    def _file(self, folder: str, name: str, text: str | bytes) -> None:
        p = self.root / folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text('<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n", encoding="utf-8")

    def _string_value(self, i: int, text: str) -> str:
        if i % 17 == 0:
            return text + " %1$s"
        if i % 29 == 0:
            return text + " %1$d / %2$s"
        return text

    def write(self) -> None:
        self._strings()
        self._other_values()
        self._files()

    def _strings(self) -> None:
        rng, n = self.rng, self.n_strings
        keep = [f'  <string name="app_name">{APP_NAME}</string>',
                *[f'  <string name="{s}">{self._string_value(i, self._english(rng.randint(1, 9)))}</string>'
                  for i, s in enumerate(self.strings)],
                *[f'  <plurals name="plural_{i}"><item quantity="one">%d {self._word()}</item>'
                  f'<item quantity="other">%d {self._word()}s</item></plurals>' for i in range(n // 30)],
                *[f'  <string-array name="array_{i}">' + "".join(
                    f"<item>{self._english(2)}</item>" for _ in range(rng.randint(3, 6))) + "</string-array>"
                  for i in range(n // 45)]]
        fixed = [f'  <string name="url_{i}" translatable="false">{escape(u)}</string>'
                 for i, u in enumerate(TRACKER_URLS)]
        fixed += ['  <string name="umeng_appkey" translatable="false">5f3c2a1b8e6d4c0012345678</string>',
                  '  <string name="jpush_appkey" translatable="false">a1b2c3d4e5f60718293a4b5c</string>',
                  '  <string name="facebook_app_id" translatable="false">123456789012345</string>',
                  '  <string name="channel" translatable="false">official</string>']
        self._values("", "strings", keep + fixed)
        for k, (locale, script) in enumerate(LOCALES):
            share = 0.6 if k < MAJOR_LOCALES else 0.08 + 0.08 * (k % 3)
            body = [f'  <string name="app_name">{self._text(script, 2)}</string>']
            body += [f'  <string name="{s}">{self._string_value(i, self._text(script, rng.randint(1, 5)))}</string>'
                     for i, s in enumerate(self.strings) if rng.random() < share]
            if k < MAJOR_LOCALES:
                body += [f'  <plurals name="plural_{i}"><item quantity="other">%d {self._text(script, 1)}</item>'
                         "</plurals>" for i in range(n // 30)]
            self._values(locale, "strings", body)

    def _other_values(self) -> None:
        rng = self.rng
        color = lambda: f"#{rng.getrandbits(32):08x}"  # noqa: E731
        self._values("", "colors", [f'  <color name="color_{i}">{color()}</color>' for i in range(self.n_colors)])
        self._values("night", "colors", [f'  <color name="color_{i}">{color()}</color>'
                               for i in range(0, self.n_colors, 3)])
        self._values("", "dimens", [f'  <dimen name="dimen_{i}">{rng.randint(0, 64)}dp</dimen>'
                                    for i in range(self.n_dimens)])
        self._values("land", "dimens", [f'  <dimen name="dimen_{i}">{rng.randint(0, 96)}dp</dimen>'
                              for i in range(0, self.n_dimens, 6)])
        self._values("sw600dp", "dimens", [f'  <dimen name="dimen_{i}">{rng.randint(0, 128)}dp</dimen>'
                                 for i in range(0, self.n_dimens, 4)])
        self._values("", "misc", [f'  <integer name="int_{i}">{rng.randint(0, 9999)}</integer>'
                          for i in range(self.n_strings // 30)]
                     + [f'  <bool name="bool_{i}">{str(rng.random() < 0.5).lower()}</bool>'
                        for i in range(self.n_strings // 45)]
                     + [f'  <item type="id" name="{i}"/>' for i in self.ids])
        styleables = []
        for i in range(self.n_strings // 150):
            attrs = "".join(f'<attr name="attr_{i}_{j}" format="color|reference"/>' for j in range(5))
            styleables.append(f'  <declare-styleable name="Widget{i}">{attrs}</declare-styleable>')
        self._values("", "attrs", styleables)
        styles = ['  <style name="AppTheme" parent="@android:style/Theme.Material.Light.NoActionBar">'
                  '<item name="android:colorPrimary">@color/color_1</item></style>']
        for i in range(self.n_strings // 11):
            styles.append(f'  <style name="Style{i}" parent="@android:style/TextAppearance">'
                          f'<item name="android:textColor">@color/color_{rng.randrange(self.n_colors)}</item>'
                          f'<item name="android:textSize">@dimen/dimen_{rng.randrange(self.n_dimens)}</item></style>')
        self._values("", "styles", styles)
        self._values("night", "styles",
                     ['  <style name="AppTheme" parent="@android:style/Theme.Material.NoActionBar"/>'])
        self._values("v23", "styles", [f'  <style name="Style{i}" parent="@android:style/TextAppearance.Material">'
                             f'<item name="android:textColor">@color/color_{i}</item></style>'
                             for i in range(0, self.n_strings // 11, 5)])

    def _layout(self) -> str:
        rng = self.rng
        views = "".join(
            f'  <TextView android:id="@id/{rng.choice(self.ids)}" android:layout_width="match_parent" '
            f'android:layout_height="wrap_content" android:text="@string/{rng.choice(self.strings)}" '
            f'android:textColor="@color/color_{rng.randrange(self.n_colors)}" '
            f'android:padding="@dimen/dimen_{rng.randrange(self.n_dimens)}"/>\n' for _ in range(rng.randint(4, 12)))
        return (f'<LinearLayout {ANDROID_NS} android:layout_width="match_parent" '
                f'android:layout_height="match_parent" android:orientation="vertical">\n{views}</LinearLayout>')

    def _files(self) -> None:
        rng, n = self.rng, self.n_strings
        for i in range(n // 15):
            self._file("layout", f"layout_{i}.xml", self._layout())
            if i % 6 == 0:
                self._file("layout-land", f"layout_{i}.xml", self._layout())
        for i in range(n // 11):
            self._file("drawable", f"shape_{i}.xml",
                       f'<shape {ANDROID_NS}><solid android:color="@color/color_{rng.randrange(self.n_colors)}"/>'
                       f'<corners android:radius="@dimen/dimen_{rng.randrange(self.n_dimens)}"/></shape>')
        for i in range(n // 36):
            for k, d in enumerate(DENSITIES):
                self._file(f"drawable-{d}", f"icon_{i}.png", png(8 * (k + 1), rng.getrandbits(24)))
        for k, d in enumerate(DENSITIES):
            self._file(f"mipmap-{d}", "ic_launcher.png", png(24 * (k + 2), 0x3366CC))
        for i in range(n // 110):
            self._file("anim", f"anim_{i}.xml", f'<alpha {ANDROID_NS} android:fromAlpha="0" android:toAlpha="1" '
                       f'android:duration="@integer/int_{rng.randrange(n // 30)}"/>')
        for i in range(n // 220):
            self._file("menu", f"menu_{i}.xml", f'<menu {ANDROID_NS}><item android:id="@id/{rng.choice(self.ids)}" '
                       f'android:title="@string/{rng.choice(self.strings)}"/></menu>')
        self._file("xml", "network_security_config.xml",
                   '<network-security-config>\n  <base-config cleartextTrafficPermitted="false"/>\n'
                   '  <domain-config cleartextTrafficPermitted="true"><domain includeSubdomains="true">'
                   "log.example.com</domain></domain-config>\n</network-security-config>")
        self._file("xml", "file_paths.xml", '<paths><external-path name="external" path="."/></paths>')
        for i in range(20):
            self._file("raw", f"raw_{i}.json", json.dumps({"id": i, "words": [self._word() for _ in range(40)]})
                       .encode())


def png(size: int, rgb: int) -> bytes:
    """A small valid RGB PNG of one colour."""
    pixel = rgb.to_bytes(3, "big")
    raw = b"".join(b"\x00" + pixel * size for _ in range(size))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def manifest() -> str:
    comps = big.components_xml(PACKAGE, activity_labels=True)
    meta = "".join(f'    <meta-data android:name="{k}" android:value="@string/{v}"/>\n' for k, v in (
        ("UMENG_APPKEY", "umeng_appkey"), ("UMENG_CHANNEL", "channel"), ("JPUSH_APPKEY", "jpush_appkey"),
        ("com.facebook.sdk.ApplicationId", "facebook_app_id")))
    perms = "".join(f'  <uses-permission android:name="android.permission.{p}"/>\n' for p in big.PERMISSIONS)
    app = big.COMPONENTS[0][0].replace("/", ".")
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<manifest {ANDROID_NS} package="{PACKAGE}"'
            ' android:versionCode="8042" android:versionName="8.4.2">\n'
            '  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="29"/>\n'
            f'{perms}  <application android:name="{app}" android:label="@string/app_name"'
            ' android:icon="@mipmap/ic_launcher" android:theme="@style/AppTheme" android:allowBackup="false"'
            ' android:extractNativeLibs="false" android:networkSecurityConfig="@xml/network_security_config">\n'
            f"{meta}{comps}  </application>\n</manifest>\n")


def activity_titles() -> list[str]:
    n = sum(1 for _, sup, _, _ in big.COMPONENTS[1:] if sup.endswith("Activity;"))
    return [f'  <string name="title_{i}">{w.title()} screen</string>' for i, w in enumerate(WORDS[:n])]


def extra_files(root: Path, seed: int) -> None:
    """Native libraries, assets and META-INF version files: added to the zip after aapt."""
    hostile, rng = _hostile(), random.Random(f"store-files:{seed}")
    for abi, machine in ABIS:
        for name, kib in NATIVE:
            p = root / "files" / "lib" / abi / name
            p.parent.mkdir(parents=True, exist_ok=True)
            hostile.cmd_elf(str(p), machine, name, "JNI_OnLoad", f"Java_{PACKAGE.replace('.', '_')}_Native_run")
            with p.open("ab") as fh:  # bulk after the section headers: a loader ignores it, the zip carries it
                fh.write(rng.randbytes(kib * 1024))
    for name in VERSION_FILES:
        p = root / "files" / "META-INF" / f"{name}.version"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"{rng.randint(1, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}\n", encoding="utf-8")
    assets = root / "assets"
    for sub, count, kib in (("config", 12, 4), ("web", 20, 40), ("fonts", 3, 300), ("models", 2, 700)):
        (assets / sub).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            if sub in ("config", "web"):
                text = " ".join(rng.choice(WORDS + TRACKER_URLS) for _ in range(kib * 160))
                (assets / sub / f"{sub}_{i}.{'json' if sub == 'config' else 'js'}").write_text(text, encoding="utf-8")
            else:
                (assets / sub / f"{sub}_{i}.bin").write_bytes(rng.randbytes(kib * 1024))


def aapt_counts(apk: Path) -> dict:
    """Independent counts from aapt itself: resources, locales, configurations and the label it resolves."""
    res = subprocess.run(["aapt", "dump", "resources", str(apk)], capture_output=True, text=True, check=True).stdout
    badging = subprocess.run(["aapt", "dump", "badging", str(apk)], capture_output=True, text=True,
                             check=True).stdout
    configs = subprocess.run(["aapt", "dump", "configurations", str(apk)], capture_output=True, text=True,
                             check=True).stdout
    locales = re.search(r"^locales: (.*)$", badging, re.M)
    label = re.search(r"^application-label:'(.*)'$", badging, re.M)
    return {"resources": len(re.findall(r"^\s+spec resource ", res, re.M)),
            "locales": len(locales[1].split()) - 1 if locales else 0,  # minus '--_--' (the default)
            "configurations": len([ln for ln in configs.splitlines() if ln.strip()]),
            "aapt_label": label[1] if label else None}


def build(out: Path, n_dex: int, n_methods: int, n_strings: int, seed: int) -> None:  # noqa: C901 -- the pipeline
    t0 = time.monotonic()
    gen = hashlib.sha256(b"".join(p.read_bytes() for p in (Path(__file__), Path(big.__file__), HOSTILE)))
    params = {"dex_files": n_dex, "methods": n_methods, "strings": n_strings, "seed": seed,
              "generator": gen.hexdigest()[:16]}
    side, info_path = out.with_name(out.name + ".params.json"), out.with_name(out.name + ".info.json")
    if out.exists() and info_path.exists() and side.exists() and json.loads(side.read_text()) == params:
        log(t0, f"cached: {out}")
        return
    if n_dex < 1 or n_methods / n_dex > big.MAX_REFS - 2000:
        raise SystemExit("too many methods per dex for the 64K reference limit; raise --dex-files")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(out.name + ".work")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    ks = out.parent / "bench-debug.jks"
    if not ks.exists():
        big.run(["keytool", "-genkeypair", "-keystore", str(ks), "-storepass", "android", "-keypass", "android",
                 "-alias", "bench", "-keyalg", "RSA", "-keysize", "2048", "-validity", "10000",
                 "-dname", "CN=appaudit bench"])
    env = os.environ | {"JAVA_ARGS": "-Xmx3g -XX:+UseParallelGC"}
    dex_names = ["classes.dex"] + [f"classes{i}.dex" for i in range(2, n_dex + 1)]
    files = work / "files"
    files.mkdir()
    defined = classes = 0

    def assemble(src: Path, name: str) -> None:
        t1 = time.monotonic()
        big.run(["smali", "assemble", "-j", "1", "-a", "21", "-o", str(files / name), str(src)], env=env)
        log(t0, f"{name}: assembled in {time.monotonic() - t1:.1f}s")

    with cf.ThreadPoolExecutor(max_workers=2) as pool:  # smali in the background while resources are written
        futures = []
        for i, name in enumerate(dex_names):
            g = StoreDexGen(i, n_methods // n_dex + (n_methods % n_dex if i == n_dex - 1 else 0), seed)
            defined += g.write(work / f"smali{i + 1}")
            classes += len(g.classes) + len(g.ifaces)
            futures.append(pool.submit(assemble, work / f"smali{i + 1}", name))
        log(t0, f"smali generated: {classes} classes, {defined} methods")
        res = ResGen(work / "res", seed, n_strings)
        res.write()
        (work / "res" / "values" / "titles.xml").write_text(
            "<resources>\n" + "\n".join(activity_titles()) + "\n</resources>\n", encoding="utf-8")
        extra_files(work, seed)
        (work / "AndroidManifest.xml").write_text(manifest(), encoding="utf-8")
        log(t0, "resources, assets and native libraries written")
        unsigned, aligned = work / "unsigned.apk", work / "aligned.apk"
        big.run(["aapt", "package", "-f", "-M", str(work / "AndroidManifest.xml"), "-S", str(work / "res"),
                 "-A", str(work / "assets"), "-I", big.FRAMEWORK_RES, "-0", "arsc", "-F", str(unsigned)])
        log(t0, "aapt packaged the resources")
        for f in futures:
            f.result()
    headers = {n: big.dex_header(files / n) for n in dex_names}
    if any(h["method_ids"] >= big.MAX_REFS or h["field_ids"] >= big.MAX_REFS for h in headers.values()):
        raise SystemExit(f"a dex exceeds the 64K reference limit: {headers}")
    _hostile().cmd_add(str(unsigned), str(files))  # dex deflated, lib/**.so stored, fixed timestamps
    big.run(["zipalign", "-f", "-p", "4", str(unsigned), str(aligned)])
    big.run(["apksigner", "sign", "--ks", str(ks), "--ks-pass", "pass:android", "--ks-key-alias", "bench",
             "--key-pass", "pass:android", "--min-sdk-version", "21", "--v4-signing-enabled", "false",
             "--out", str(out), str(aligned)])
    counts = aapt_counts(out)
    with zipfile.ZipFile(out) as z:
        arsc = z.getinfo("resources.arsc").file_size
        entries = len(z.infolist())
    info = {"apk": out.name, "params": params, "bytes": out.stat().st_size, "zip_entries": entries,
            "resources_arsc_bytes": arsc, **counts, "dex_files": n_dex, "classes": classes,
            "methods_defined": defined, "dex_bytes_total": sum(h["bytes"] for h in headers.values()), "dex": headers}
    info_path.write_text(json.dumps(info, indent=1), encoding="utf-8")
    side.write_text(json.dumps(params), encoding="utf-8")
    shutil.rmtree(work)
    log(t0, f"done: {out} ({out.stat().st_size / 1e6:.1f} MB), resources.arsc {arsc / 1e6:.1f} MB, "
            f"{counts['resources']} resources, {counts['locales']} locales, {counts['configurations']} configurations, "
            f"{n_dex} dex, {defined} methods")


def log(t0: float, msg: str) -> None:
    print(f"[make_store_apk {time.monotonic() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "cache" / "store.apk")
    ap.add_argument("--dex-files", type=int, default=2)
    ap.add_argument("--methods", type=int, default=100_000)
    ap.add_argument("--strings", type=int, default=9000, help="default-locale strings; other resources scale")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    build(a.out, a.dex_files, a.methods, a.strings, a.seed)


if __name__ == "__main__":
    main()
