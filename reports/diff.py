"""Render a build-to-build diff: Markdown for pull-request comments, JSON for tools, HTML to read.

The HTML is self-contained and escaped by hand (``html.escape``): it is a handful of
lists, not worth a template; it carries the same Content-Security-Policy as reports.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Iterable

from scanner.analysis.names import member, readable
from scanner.diff_model import AuditDiff, BuildInfo, CallChange, VersionChange

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_{}[]<>#|"})


def _md(text: object) -> str:
    """Escape for Markdown text (headings, prose): APK strings must not format or inject HTML."""
    return str(text).translate(_MD_SPECIAL).replace("\n", " ")


def _code(text: str) -> str:
    """An item as inline code: readable refs, and nothing inside is interpreted."""
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def _build(b: BuildInfo) -> str:
    return f"{b.package or '?'} {b.version_name or ''} ({b.version_code if b.version_code is not None else '?'})"


def _call(c: CallChange) -> str:
    who = c.sdk or "first-party code"
    return f"{c.pi_category} by {who}: {member(c.caller, qualified=True)} → {member(c.api)}"


_WORDS = {"+": "added", "-": "removed", "~": "changed"}


def _version(v: VersionChange) -> str:
    return f"{v.sdk}: {v.old or 'no version found'} → {v.new or 'no version found'}"


def sections(d: AuditDiff) -> list[tuple[str, str, list[str]]]:
    """(title, sign, items) in reading order; empty sections are kept so absence is visible."""
    return [
        ("SDKs", "+", list(d.sdks_added)), ("SDKs", "-", list(d.sdks_removed)),
        ("SDK versions", "~", [_version(v) for v in d.sdk_versions_changed]),
        ("Permissions", "+", list(d.permissions_added)), ("Permissions", "-", list(d.permissions_removed)),
        ("Reads before consent", "+", [_call(c) for c in d.pre_consent_added]),
        ("Reads before consent", "-", [_call(c) for c in d.pre_consent_removed]),
        ("Personal-information call sites", "+", [_call(c) for c in d.calls_added]),
        ("Personal-information call sites", "-", [_call(c) for c in d.calls_removed]),
        ("Endpoints", "+", list(d.endpoints_added)), ("Endpoints", "-", list(d.endpoints_removed)),
        ("Findings", "+", [f"{f['severity']} {f['rule_id']}: {readable(f['message'])}" for f in d.findings_new]),
        ("Findings", "-", [f"{f['severity']} {f['rule_id']}: {readable(f['message'])}" for f in d.findings_fixed]),
    ]


def to_markdown(d: AuditDiff, limit: int = 25) -> str:
    verdict = "grew" if d.grew else "did not grow"
    lines = [f"## Privacy footprint: {_md(_build(d.old))} → {_md(_build(d.new))}", "",
             f"The footprint **{verdict}**.", ""]
    for title, sign, items in sections(d):
        if not items:
            continue
        word = _WORDS[sign]
        lines.append(f"**{title} {word} ({len(items)})**")
        lines += [f"- {sign} {_code(item)}" for item in items[:limit]]
        if len(items) > limit:
            lines.append(f"- … and {len(items) - limit} more")
        lines.append("")
    if not any(items for _, _, items in sections(d)):
        lines.append("No change.")
    return "\n".join(lines).rstrip() + "\n"


def to_json(d: AuditDiff) -> str:
    doc = dataclasses.asdict(d)
    doc["grew"] = d.grew
    doc["schema"] = "appaudit-diff/1"
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _li(items: Iterable[str]) -> str:
    return "".join(f"<li>{html.escape(i)}</li>" for i in items)


def to_html(d: AuditDiff) -> str:
    body = []
    for title, sign, items in sections(d):
        if items:
            word = _WORDS[sign]
            body.append(f"<h2 class='{word}'>{html.escape(title)} {word} ({len(items)})</h2><ul>{_li(items)}</ul>")
    title = f"{_build(d.old)} → {_build(d.new)}"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>appaudit diff: {html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}"
        "h2.added{color:#9a3412}h2.removed{color:#166534}h2.changed{color:#1d4ed8}li{font-family:ui-monospace,monospace;"
        "font-size:.85rem;overflow-wrap:anywhere}</style></head><body>"
        f"<h1>Privacy footprint: {html.escape(title)}</h1>"
        f"<p>The footprint <strong>{'grew' if d.grew else 'did not grow'}</strong>.</p>"
        + ("".join(body) or "<p>No change.</p>") + "</body></html>\n"
    )
