"""The third-party SDK list (第三方SDK清单) an app publishes beside its privacy policy, as XLSX and CSV.

Regulators ask every app for this list: per SDK its name, version, operator, purpose, the personal
information it collects, the permissions it needs, whether it starts or collects before consent and its
privacy policy. appaudit fills it from what the code does, joined with what the vendor declares, and marks
where the two differ. The XLSX adds an evidence sheet, one row per observed read (reader, information,
API, call site, before consent, call path), for the auditor who must show where each claim comes from.

Written with XlsxWriter (write-only, made for this; the tests read it back with openpyxl, an independent
reader). Every text cell goes through ``cells.neutral``: app and SDK data are attacker-controlled.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from reports.cells import neutral
from scanner.analysis.names import chain, member
from scanner.model import ApiCall, Audit, DisclosureRow, Evidence, SdkHit
from signatures.model import KnowledgeBase

Translate = Callable[[str], str]

# Column headers: the published list's columns, in the order regulators' templates use.
LIST_COLUMNS = ("SDK name", "SDK version", "Third party (operator)", "Purpose / business scenario",
                "Personal information collected", "System permissions required",
                "Initialised or collecting before consent", "Privacy policy link", "Source / evidence")
EVIDENCE_COLUMNS = ("Reader", "Personal information", "API", "Call site", "Before consent", "Call path")
STUB_COLUMNS = ("SDK name", "Third party (operator)", "Source / evidence")


@dataclass(frozen=True, slots=True)
class SdkList:
    """The list, its evidence and the left-over stubs, as rows of text cells in one language."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # one per SDK with working code, disabled ones included (and said)
    evidence_header: tuple[str, ...]
    evidence: tuple[tuple[str, ...], ...]  # one per observed read: the JSON's api_calls, in order
    stub_header: tuple[str, ...]
    stubs: tuple[tuple[str, ...], ...]  # classes left behind without working code: not a collecting SDK


def build(audit: Audit, kb: KnowledgeBase, tr: Translate, lang: str) -> SdkList:
    """The SDK list of one audit in ``lang`` ("en" or "zh-CN"); ``tr`` translates appaudit's own words."""
    zh = lang.startswith("zh")
    disclosed = {d.sdk: d for d in audit.disclosure}
    names = {s.id: _name(s, zh) for s in audit.sdks}
    live = [s for s in audit.sdks if not s.stub]
    rows = tuple(_row(s, disclosed.get(s.id), kb, tr, zh, names) for s in sorted(live, key=lambda s: names[s.id]))
    stubs = tuple((names[s.id], _operator(s, zh), tr("Left-over classes without working code (a stub): "
                                                       "nothing of it runs, so it collects nothing") + "; "
                   + _found(s.evidence)) for s in sorted(audit.sdks, key=lambda s: names[s.id]) if s.stub)
    evidence = tuple(_evidence(c, names, kb, tr) for c in audit.api_calls)
    return SdkList(tuple(tr(c) for c in LIST_COLUMNS), rows, tuple(tr(c) for c in EVIDENCE_COLUMNS), evidence,
                   tuple(tr(c) for c in STUB_COLUMNS), stubs)


def _name(s: SdkHit, zh: bool) -> str:
    if not s.name_cn or s.name_cn == s.name:
        return s.name
    return f"{s.name_cn}（{s.name}）" if zh else f"{s.name} ({s.name_cn})"


def _operator(s: SdkHit, zh: bool) -> str:
    if zh:
        return s.legal_entity or s.vendor
    return f"{s.vendor} ({s.legal_entity})" if s.legal_entity and s.legal_entity != s.vendor else s.vendor


def _row(s: SdkHit, d: DisclosureRow | None, kb: KnowledgeBase, tr: Translate, zh: bool,
         names: dict[str, str]) -> tuple[str, ...]:
    purpose = (s.purpose.zh if zh else s.purpose.en) or "—"
    observed = d.pi_read if d else ()
    permissions = ("、" if zh else ", ").join(d.permissions) if d and d.permissions else "—"
    return (_name(s, zh), s.version or tr("not identified"), _operator(s, zh), purpose,
            _information(observed, s.pi_collected, kb, tr) or "—", permissions, _before_consent(s, d, tr),
            s.privacy_policy_url or tr("not known to appaudit"), _source(s, tr, names))


def _title(kb: KnowledgeBase, category: str, tr: Translate) -> str:
    info = kb.pi_categories.get(category)
    return tr(info.title) if info else category


def _covers(declared: str, category: str) -> bool:
    """A declared category covers itself and every finer one (``location`` covers ``location.precise``)."""
    return category == declared or category.startswith(declared + ".")


def _information(observed: Sequence[str], declared: Sequence[str], kb: KnowledgeBase, tr: Translate) -> str:
    """Observed reads joined with the vendor's declared scope; where they differ, it is said per item."""
    items = []
    for c in observed:
        note = "" if any(_covers(d, c) for d in declared) else tr("read here; not in the vendor's disclosure")
        items.append(_title(kb, c, tr) + (f" [{note}]" if note else ""))
    for d in declared:
        if not any(_covers(d, c) for c in observed):
            items.append(f"{_title(kb, d, tr)} [{tr('declared by the vendor; no read seen in this app')}]")
    return "; ".join(items)


def _before_consent(s: SdkHit, d: DisclosureRow | None, tr: Translate) -> str:
    """Yes when it starts at launch or reads before consent (with how); a manifest switch is said too."""
    early = []
    if s.starts_before_consent:
        early.append(tr("initialised at launch, before consent can be asked") + f" ({chain(s.start_path)})")
    if d and d.pre_consent:
        early.append(tr("reads personal information before consent"))
    notes = [tr("collection switched off by a manifest switch until the app turns it on")] if s.disabled else []
    said = early + notes
    return (tr("Yes") if early else tr("No")) + (": " + "; ".join(said) if said else "")


def _found(evidence: Iterable[Evidence]) -> str:
    """How the SDK was recognised: its packages, components, libraries, domains (a few)."""
    return "; ".join(f"{e.part}: {e.symbol}" + (f" ({e.path})" if e.path and e.path != e.symbol else "")
                     for e in list(evidence)[:6])


def _source(s: SdkHit, tr: Translate, names: dict[str, str]) -> str:
    notes = [_found(s.evidence)]
    if s.disabled:
        notes.append(tr("switched off by") + " " + ", ".join(e.symbol for e in s.disabled_evidence))
    if s.bundled_by:
        notes.append(tr("bundled inside") + " " + ", ".join(names.get(b, b) for b in s.bundled_by))
    return "; ".join(n for n in notes if n)


def _evidence(c: ApiCall, names: dict[str, str], kb: KnowledgeBase, tr: Translate) -> tuple[str, ...]:
    reader = names.get(c.sdk, c.sdk) if c.sdk else tr("First-party code" if c.party == "app" else "Unattributed code")
    return (reader, _title(kb, c.pi_category, tr), member(c.api), member(c.caller),
            tr("Yes") if c.pre_consent else tr("No"), chain(c.pre_consent_path) if c.pre_consent else "")


def to_csv(sdk_list: SdkList) -> str:
    """The list alone (the evidence is the XLSX's second sheet), UTF-8 with a BOM so spreadsheets read the
    Chinese correctly, every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutral(c) for c in sdk_list.header])
    writer.writerows([[neutral(c) for c in row] for row in sdk_list.rows])
    return "\ufeff" + out.getvalue()


def to_xlsx(sdk_list: SdkList, tr: Translate) -> bytes:
    """Sheets: the list, the evidence (one row per read) and, when there are any, the left-over stubs."""
    import xlsxwriter  # only a sdk-list run pays for the import

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF5"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheets = [(tr("SDK list"), sdk_list.header, sdk_list.rows), (tr("Evidence"), sdk_list.evidence_header,
                                                                  sdk_list.evidence)]
    if sdk_list.stubs:
        sheets.append((tr("Left-over stubs"), sdk_list.stub_header, sdk_list.stubs))
    for title, header, rows in sheets:
        sheet = book.add_worksheet(title[:31])  # Excel's limit on sheet names
        for col, text in enumerate(header):
            sheet.write_string(0, col, neutral(text), bold)
            width = max([len(text), *(len(r[col]) for r in rows)]) if rows else len(text)
            sheet.set_column(col, col, min(max(width, 10), 60))
        for r, row in enumerate(rows, start=1):
            for col, text in enumerate(row):
                sheet.write_string(r, col, neutral(text), wrap)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(rows), 1), len(header) - 1)
    book.close()
    return buffer.getvalue()


class SdkListWriter:
    """``-f sdk-list``: ``<stem>.sdk-list.xlsx`` and ``<stem>.sdk-list.csv``; headers in the report language."""

    name = "sdk-list"
    suffix = ".sdk-list.csv"

    def __init__(self, lang: str = "en", tr: Translate | None = None) -> None:
        self.lang = lang
        self.tr: Translate = tr or (lambda text: text)

    def render(self, audit: Audit, kb: KnowledgeBase) -> str:
        """The CSV (what a text-only output such as standard output gets)."""
        return to_csv(build(audit, kb, self.tr, self.lang))

    def files(self, audit: Audit, kb: KnowledgeBase) -> tuple[tuple[str, bytes], ...]:
        """(suffix, bytes) of every file this format writes."""
        sdk_list = build(audit, kb, self.tr, self.lang)
        return ((".sdk-list.xlsx", to_xlsx(sdk_list, self.tr)), (".sdk-list.csv", to_csv(sdk_list).encode("utf-8")))
