"""Code that runs before any screen can ask for consent.

Android creates the app's ContentProviders and then calls ``Application.onCreate``
before the first activity is shown, so everything reachable from there — static
initialisers included, and the SDK init calls made there — runs at launch,
before a consent dialog could appear.

Reachability follows direct invoke edges. A call resolves to the method its
class (or the nearest superclass) defines; touching a class runs its ``<clinit>``;
constructing a class that defines ``run()`` counts that ``run()`` as reached,
because SDKs start their launch work on a Thread or Runnable built right there.
It does not follow interface dispatch to unknown implementations, reflection or
callbacks registered with the framework: a pre-consent flag is a lower bound.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from scanner.android.manifest import ManifestFacts
from scanner.dex.dexset import DexSet

APPLICATION_ENTRIES = ("<clinit>()V", "<init>()V", "attachBaseContext(Landroid/content/Context;)V", "onCreate()V")
PROVIDER_ENTRIES = ("<clinit>()V", "<init>()V",
                    "attachInfo(Landroid/content/Context;Landroid/content/pm/ProviderInfo;)V", "onCreate()Z")
MAX_METHODS = 200_000


@dataclass(frozen=True, slots=True)
class PreConsent:
    entries: tuple[str, ...]
    parents: dict[str, str | None]  # reached method -> the method that reached it (None: an entry point)

    def reached(self, method: str) -> bool:
        return method in self.parents

    def path(self, method: str) -> tuple[str, ...]:
        """Entry point … method, as the search first found it."""
        chain: list[str] = []
        node: str | None = method
        while node is not None and len(chain) < 64:
            chain.append(node)
            node = self.parents.get(node)
        return tuple(reversed(chain))


def descriptor(dotted: str) -> str:
    return "L" + dotted.replace(".", "/") + ";"


def entry_points(manifest: ManifestFacts) -> list[str]:
    """Provider hooks first (they run before ``Application.onCreate``), then the application's."""
    entries = []
    for c in manifest.components:
        if c.type == "provider":
            entries += [f"{descriptor(c.name)}->{sig}" for sig in PROVIDER_ENTRIES]
    if manifest.application_class:
        entries += [f"{descriptor(manifest.application_class)}->{sig}" for sig in APPLICATION_ENTRIES]
    return entries


def pre_consent(dex: DexSet, manifest: ManifestFacts) -> PreConsent:
    parents: dict[str, str | None] = {}
    queue: deque[str] = deque()

    def reach(ref: str, parent: str | None) -> None:
        target = dex.resolve(ref)
        if target is not None and target not in parents and len(parents) < MAX_METHODS:
            parents[target] = parent
            queue.append(target)

    entries = entry_points(manifest)
    for ref in entries:
        reach(ref, None)
    while queue:
        method = queue.popleft()
        cls, _, signature = method.partition("->")
        reach(f"{cls}->{'<clinit>()V'}", method)
        if signature.startswith("<init>("):
            reach(f"{cls}->run()V", method)
        for callee in dex.invoke_edges([method]).get(method, ()):
            reach(callee, method)
    return PreConsent(tuple(e for e in entries if dex.resolve(e)), parents)
