"""v1 (JAR) signatures checked the way Android at a given API level checks them (apksig's V1SchemeVerifier).

1. ``META-INF/MANIFEST.MF`` parses; its sections are named, unique, and name entries that exist.
2. Each signature block ``META-INF/X.RSA|DSA|EC`` with its ``X.SF`` is a signer (at most 10); the block's
   CMS signature must verify over the .SF (``cms.py``).
3. Each .SF against the manifest: ``*-Digest-Manifest`` of the whole manifest, else the digest of each
   manifest section it lists; ``*-Digest-Manifest-Main-Attributes`` if present. A .SF without
   ``Signature-Version`` (or with unnamed / duplicate sections) is ignored, not fatal.
4. Every zip entry outside ``META-INF/`` (directories aside) must be in the manifest, listed by the same
   set of signers' .SF files, and its manifest digest must match its bytes.

Which digest attribute is used: before API 18 the first of ``Digest-Algorithms`` (default "SHA SHA1")
present; from 18 the strongest of SHA-512, SHA-384, SHA-256, SHA-1. The stripping-protection attribute
(``X-Android-APK-Signed``) is read here and judged in ``trust.py``. Entries are read through ``SafeZip``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from scanner.android.signing.cms import SignatureBlock
from scanner.android.signing.manifest import Section, main_section, parse_manifest
from scanner.errors import ScanFailure
from scanner.input.safezip import SafeZip

MANIFEST = "META-INF/MANIFEST.MF"
MAX_SIGNERS = 10
_JB_MR2 = 18
_STRONGEST = (("SHA-512", "sha512"), ("SHA-384", "sha384"), ("SHA-256", "sha256"), ("SHA1", "sha1"))
_NAMES = {"MD5": "md5", "SHA": "sha1", "SHA1": "sha1", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384",
          "SHA-512": "sha512"}
_SINCE = {"md5": 0, "sha1": 0, "sha256": 0, "sha384": 9, "sha512": 9}
# (signers, reason, or the entry whose section has no digest the level uses: that reason names the level)
_EntriesOutcome = tuple[frozenset[str], str | None, str | None]


class JarSigner:
    """One signer: ``META-INF/X.RSA|DSA|EC`` with its ``X.SF`` (parsed when first needed)."""

    def __init__(self, block: str, sf: str, signature: SignatureBlock, sf_bytes: bytes) -> None:
        self.block, self.sf, self.signature, self.sf_bytes = block, sf, signature, sf_bytes
        self._sections: list[Section] | None = None
        self._apk_signed: frozenset[int] | None = None

    @property
    def sf_sections(self) -> list[Section]:
        if self._sections is None:
            self._sections = parse_manifest(self.sf_bytes)
        return self._sections

    @property
    def apk_signed(self) -> frozenset[int]:
        """Scheme ids the .SF says the APK is also signed with (``X-Android-APK-Signed: 2, 3``).

        Kept: the per-level decision asks at every level of the range.
        """
        if self._apk_signed is None:
            main = main_section(self.sf_bytes)
            value = main.get("X-Android-APK-Signed") if main is not None else None
            self._apk_signed = frozenset(int(t) for t in (value or "").split(",") if t.strip().isdigit())
        return self._apk_signed


def _android_name(name: str) -> str:
    if name.isascii():  # cp437 and UTF-8 agree on ASCII: skips two codecs for nearly every name
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except UnicodeError:
        return name


def digests_to_verify(section: Section, suffix: str, level: int) -> list[tuple[str, bytes]]:
    """(hashlib name, expected digest) pairs Android at ``level`` checks in ``section``."""
    found: list[tuple[str, bytes]] = []
    if level < _JB_MR2:
        for name in (section.get("Digest-Algorithms") or "SHA SHA1").split():
            value = section.get(name + suffix)
            algorithm = _NAMES.get(name.upper())
            if value is None or algorithm is None or _SINCE[algorithm] > level:
                continue
            found.append((algorithm, _b64(value)))
            break
        return found
    for attribute, algorithm in _STRONGEST:
        value = section.get(attribute + suffix)
        if value is not None:
            return [(algorithm, _b64(value))]
    return found


def digest_profile(level: int) -> int:
    """The lowest level at which ``digests_to_verify`` picks what it picks at ``level``.

    Only two things move the choice: hashes Android knows from API 9 (``_SINCE``) and the strongest-digest
    rule from 18; results computed for a profile hold for every level in it.
    """
    return max((step for step in (0, 9, _JB_MR2) if step <= level), default=level)


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=False)
    except (binascii.Error, ValueError):
        return b""


class JarScheme:
    def __init__(self, apk: SafeZip) -> None:
        self.apk = apk
        # Android reads entry names as UTF-8; zipfile decodes names without the UTF-8 flag as cp437
        self.names = {_android_name(n): n for n in apk.names()}
        names = list(self.names)
        self.blocks = [n for n in names if n.startswith("META-INF/") and n.endswith((".RSA", ".DSA", ".EC"))]
        self.sfs = {n for n in names if n.startswith("META-INF/") and n.endswith(".SF")}
        self.present = MANIFEST in self.names or bool(self.blocks)
        self._signers: list[JarSigner] | None = None
        self._entry_digests: dict[tuple[str, str], bytes | str] = {}
        self._by_level: dict[int, tuple[tuple[str, ...], str | None]] = {}
        self._parsed: tuple[bytes, Section, dict[str, Section]] | str | None = None
        self._entries_checked: dict[tuple[int, frozenset[tuple[str, frozenset[str]]]],
                                    tuple[frozenset[str], str | None]] = {}
        # the level-free parts of a check, per digest profile: an app with minSdk 9 asks for levels 9..24,
        # and each asked the same questions of the same ~3,000 entries and .SF sections again
        self._sf_checked: dict[tuple[str, int], set[str] | str | None] = {}
        self._entries_profiled: dict[tuple[int, frozenset[tuple[str, frozenset[str]]]], _EntriesOutcome] = {}

    def read(self, name: str) -> bytes:
        return self.apk.read(self.names.get(name, name))

    def signers(self) -> list[JarSigner]:
        if self._signers is None:
            self._signers = []
            for block in self.blocks:
                sf = block.rsplit(".", 1)[0] + ".SF"
                if sf in self.sfs:
                    try:
                        sf_bytes, block_bytes = self.read(sf), self.read(block)
                    except ScanFailure as exc:
                        sf_bytes, block_bytes = b"", b""
                        signature = SignatureBlock(b"", block)
                        signature.error = f"{block} or {sf} cannot be read: {exc.reason}"
                    else:
                        signature = SignatureBlock(block_bytes, block)
                    self._signers.append(JarSigner(block, sf, signature, sf_bytes))
        return self._signers

    def entry_digest(self, name: str, algorithm: str) -> bytes | str:
        key = (name, algorithm)
        if key not in self._entry_digests:
            try:
                self._entry_digests[key] = self.apk.digest(self.names.get(name, name), algorithm)
            except ScanFailure as exc:
                self._entry_digests[key] = f"{name} cannot be read: {exc.reason}"
        return self._entry_digests[key]

    def at(self, level: int) -> tuple[tuple[str, ...], str | None]:
        """(certificates of the signers, None) if v1 verifies at ``level``; ((), reason) if not."""
        profile = min(level, 24)  # nothing in v1 itself changes after API 24
        if profile not in self._by_level:
            self._by_level[profile] = self._verify(profile)
        return self._by_level[profile]

    # -- the checks --------------------------------------------------------------------------------

    def _manifest(self) -> tuple[bytes, Section, dict[str, Section]] | str:
        if self._parsed is None:
            self._parsed = self._read_manifest()
        return self._parsed

    def _read_manifest(self) -> tuple[bytes, Section, dict[str, Section]] | str:
        """The manifest's bytes, main section and named sections, or why they cannot be used."""
        if MANIFEST not in self.names:
            return f"{MANIFEST} is missing"
        try:
            manifest = self.read(MANIFEST)
        except ScanFailure as exc:
            return f"{MANIFEST} cannot be read: {exc.reason}"
        sections = parse_manifest(manifest)
        by_name, problem = self._index(sections[1:])
        if problem is not None:
            return problem
        return manifest, sections[0] if sections else Section(0, 0, ()), by_name

    def _verify(self, level: int) -> tuple[tuple[str, ...], str | None]:
        parsed = self._manifest()
        if isinstance(parsed, str):
            return (), f"v1: {parsed}"
        manifest, main, by_name = parsed
        signers = self.signers()
        if not signers:
            return (), "v1: there is no JAR signature (a META-INF/*.SF with its .RSA, .DSA or .EC block)"
        if len(signers) > MAX_SIGNERS:
            return (), f"v1: {len(signers)} JAR signers, more than Android accepts ({MAX_SIGNERS})"
        certificates = _block_certificates(signers, level)
        if isinstance(certificates, str):
            return (), f"v1: {certificates}"
        listed: dict[str, set[str]] = {}
        for signer in signers:
            outcome = self._sf_outcome(signer, manifest, main, by_name, level)
            if isinstance(outcome, str):
                return (), f"v1: {outcome}"
            if outcome is not None:
                listed[signer.block] = outcome
        if not listed:
            return (), "v1: no JAR signer is usable (every .SF lacks Signature-Version or has unusable sections)"
        used, problem = self._entries(by_name, listed, level)
        if problem is not None:
            return (), f"v1: {problem}"
        return tuple(certificates[s.block] for s in signers if s.block in used), None

    def _sf_outcome(self, signer: JarSigner, manifest: bytes, main: Section, by_name: dict[str, Section],
                    level: int) -> set[str] | str | None:
        """``_sf_against_manifest``, once per signer and digest profile (the manifest is this APK's)."""
        key = (signer.block, digest_profile(level))
        if key not in self._sf_checked:
            self._sf_checked[key] = _sf_against_manifest(signer, manifest, main, by_name, level)
        return self._sf_checked[key]

    def _index(self, named: list[Section]) -> tuple[dict[str, Section], str | None]:
        by_name: dict[str, Section] = {}
        for number, section in enumerate(named, 2):
            name = section.name
            if name is None:
                return by_name, f"section #{number} of {MANIFEST} has no name"
            if name in by_name:
                return by_name, f"{MANIFEST} has two sections for {name}"
            if name not in self.names:
                return by_name, f"{MANIFEST} lists {name}, which is not in the APK"
            by_name[name] = section
        return by_name, None

    def _entries(self, by_name: dict[str, Section], listed: dict[str, set[str]],
                 level: int) -> tuple[frozenset[str], str | None]:
        """The entries against the manifest and the signers; the same for every level from 18 (JB MR2) on.

        The reason names the level it was first found at (one of 18+ stands for all of them), so this memo
        keeps its key; the entries themselves are checked once per digest profile.
        """
        signed = frozenset((b, frozenset(n)) for b, n in listed.items())
        key = (min(level, _JB_MR2), signed)
        if key not in self._entries_checked:
            profiled = (digest_profile(level), signed)
            if profiled not in self._entries_profiled:
                self._entries_profiled[profiled] = self._check_entries(by_name, listed, level)
            used, problem, undigested = self._entries_profiled[profiled]
            if undigested is not None:
                problem = f"{MANIFEST} has no digest of {undigested} that API level {level} uses"
            self._entries_checked[key] = used, problem
        return self._entries_checked[key]

    def _check_entries(self, by_name: dict[str, Section], listed: dict[str, set[str]],
                       level: int) -> _EntriesOutcome:
        """(signers, None, None) if every entry verifies; else a reason, or the entry with no usable digest.

        As apksig, in zip order to the first problem; the digests the walk will need are computed first,
        together (``SafeZip.digest_all``), which changes nothing but the time: the problems that need no
        digest are found first and end the walk where the ordered check would end it.
        """
        planned, end = self._plan(by_name, listed, level)
        self._digest_ahead([(name, algorithm) for name, expected in planned for algorithm, _ in expected])
        for name, expected in planned:
            if (problem := self._entry_problem(name, expected)) is not None:
                return frozenset(), problem, None
        return end

    def _plan(self, by_name: dict[str, Section], listed: dict[str, set[str]],
              level: int) -> tuple[list[tuple[str, list[tuple[str, bytes]]]], _EntriesOutcome]:
        """The entries to digest, in zip order, with what the walk returns once their digests all match."""
        planned: list[tuple[str, list[tuple[str, bytes]]]] = []
        first: frozenset[str] | None = None
        for name in self.names:
            if name.startswith("META-INF/") or name.endswith("/"):
                continue
            section = by_name.get(name)
            if section is None:
                return planned, (frozenset(), f"{name} is not in {MANIFEST}: it was added after signing", None)
            signers = frozenset(block for block, names in listed.items() if name in names)
            if not signers:
                return planned, (frozenset(), f"{name} is not signed: no .SF file lists it", None)
            if first is None:
                first = signers
            elif signers != first:
                return planned, (frozenset(), f"{name} is signed by other JAR signers than the entries before it",
                                 None)
            expected = digests_to_verify(section, "-Digest", level)
            if not expected:
                return planned, (frozenset(), None, name)
            planned.append((name, expected))
        if first is None:
            return planned, (frozenset(), "no zip entry is signed", None)
        return planned, (first, None, None)

    def _digest_ahead(self, jobs: list[tuple[str, str]]) -> None:
        """Fill the digest memo for these (entry, algorithm) pairs in one ``digest_all``."""
        wanted = {(self.names.get(name, name), algorithm): (name, algorithm) for name, algorithm in jobs
                  if (name, algorithm) not in self._entry_digests}
        for job, outcome in self.apk.digest_all(list(wanted)).items():
            name = wanted[job][0]
            self._entry_digests[wanted[job]] = (outcome if isinstance(outcome, bytes)
                                                else f"{name} cannot be read: {outcome.reason}")

    def _entry_problem(self, name: str, expected: list[tuple[str, bytes]]) -> str | None:
        for algorithm, digest in expected:
            actual = self.entry_digest(name, algorithm)
            if isinstance(actual, str):
                return actual
            if actual != digest:
                return f"{name}'s digest in {MANIFEST} does not match: it was changed after signing"
        return None


def _block_certificates(signers: list[JarSigner], level: int) -> dict[str, str] | str:
    """Each signer's certificate once its block's signature verifies over its .SF, or why one does not."""
    certificates: dict[str, str] = {}
    for signer in signers:
        result = signer.signature.check(signer.sf_bytes, signer.sf, level)
        if result.problem is not None or result.certificate is None:
            return result.problem or f"{signer.block} does not verify"
        certificates[signer.block] = result.certificate.sha256
    return certificates


def _sf_against_manifest(signer: JarSigner, manifest: bytes, main: Section, by_name: dict[str, Section],
                         level: int) -> set[str] | str | None:
    """The entry names the .SF signs; a reason if it fails; None if Android ignores this signer."""
    sf_main = signer.sf_sections[0] if signer.sf_sections else None
    if sf_main is None or sf_main.get("Signature-Version") is None:
        return None
    signtool = "signtool" in (sf_main.get("Created-By") or "")
    expected = digests_to_verify(sf_main, "-Digest" if signtool else "-Digest-Manifest", level)
    whole = bool(expected) and all(hashlib.new(a, manifest).digest() == d for a, d in expected)
    if not signtool:
        part = manifest[main.start:main.start + main.size]
        for algorithm, digest in digests_to_verify(sf_main, "-Digest-Manifest-Main-Attributes", level):
            if hashlib.new(algorithm, part).digest() != digest:
                return f"the digest of {MANIFEST}'s main section in {signer.sf} does not match"
    names: set[str] = set()
    ignored, problem = False, None
    for section in signer.sf_sections[1:]:
        name = section.name
        if name is None or name in names:
            ignored = True
            break
        names.add(name)
        if whole:
            continue
        target = by_name.get(name)
        if target is None:
            ignored = True
            continue
        problem = problem or _section_problem(signer, section, target, manifest, signtool, level)
    if ignored:
        return None
    return problem if problem is not None else names


def _section_problem(signer: JarSigner, section: Section, target: Section, manifest: bytes, signtool: bool,
                     level: int) -> str | None:
    expected = digests_to_verify(section, "-Digest", level)
    if not expected:
        return f"{signer.sf} has no digest of {MANIFEST}'s section for {section.name}"
    size = target.size
    if signtool and manifest[target.start + size - 2:target.start + size] == b"\n\n":
        size -= 1
    part = manifest[target.start:target.start + size]
    for algorithm, digest in expected:
        if hashlib.new(algorithm, part).digest() != digest:
            return f"the digest of {MANIFEST}'s section for {section.name} in {signer.sf} does not match"
    return None
