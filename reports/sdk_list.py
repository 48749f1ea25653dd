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
from scanner.model import ApiCall, Audit, DisclosureRow, Evidence, PolicyCheck, SdkHit
from signatures.model import KnowledgeBase

Translate = Callable[[str], str]

# Column headers: the published list's columns, in the order regulators' templates use.
COLUMN = "sdk-list column"  # the catalog context of the headers: their zh-CN wording is the regulators' own


def C_(context: str, text: str) -> str:  # noqa: N802 -- a pgettext marker for extraction (make i18n: -k C_:1c,2)
    return text


LIST_COLUMNS = (
    C_("sdk-list column", "SDK name"), C_("sdk-list column", "SDK version"),
    C_("sdk-list column", "Third party (operator)"), C_("sdk-list column", "Purpose / business scenario"),
    C_("sdk-list column", "Personal information collected"), C_("sdk-list column", "System permissions required"),
    C_("sdk-list column", "Initialised or collecting before consent"), C_("sdk-list column", "Privacy policy link"),
    C_("sdk-list column", "Source / evidence"), C_("sdk-list column", "Disclosed in the app's privacy policy"))
EVIDENCE_COLUMNS = (
    C_("sdk-list column", "Reader"), C_("sdk-list column", "Personal information"), C_("sdk-list column", "API"),
    C_("sdk-list column", "Call site"), C_("sdk-list column", "Before consent"), C_("sdk-list column", "Call path"))
STUB_COLUMNS = (C_("sdk-list column", "SDK name"), C_("sdk-list column", "Third party (operator)"),
                C_("sdk-list column", "Source / evidence"))


@dataclass(frozen=True, slots=True)
class SdkList:
    """The list, its evidence and the left-over stubs, as rows of text cells in one language."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # one per SDK with working code, disabled ones included (and said)
    evidence_header: tuple[str, ...]
    evidence: tuple[tuple[str, ...], ...]  # one per observed read: the JSON's api_calls, in order
    stub_header: tuple[str, ...]
    stubs: tuple[tuple[str, ...], ...]  # classes left behind without working code: not a collecting SDK


def build(audit: Audit, kb: KnowledgeBase, _: Translate, lang: str, header: Translate | None = None) -> SdkList:
    """The SDK list of one audit in ``lang`` ("en" or "zh-CN"); ``_`` translates appaudit's own words and
    ``header`` the column headers (their catalog context), both the English text itself by default."""
    h = header or (lambda text: text)
    zh = lang.startswith("zh")
    disclosed = {d.sdk: d for d in audit.disclosure}
    names = {s.id: _name(s, zh) for s in audit.sdks}
    live = [s for s in audit.sdks if not s.stub]
    policy = {c.id: c for c in audit.privacy_policy.checks if c.kind == "sdk"} if audit.privacy_policy else None
    rows = tuple((*_row(s, disclosed.get(s.id), kb, _, zh, names), _in_policy(policy, s.id, _, zh))
                 for s in sorted(live, key=lambda s: names[s.id]))
    stubs = tuple((names[s.id], _operator(s, zh), _("Left-over classes without working code (a stub): "
                                                       "nothing of it runs, so it collects nothing") + _marks(zh)[1]
                   + _found(s.evidence)) for s in sorted(audit.sdks, key=lambda s: names[s.id]) if s.stub)
    evidence = tuple(_evidence(c, names, kb, _) for c in audit.api_calls)
    return SdkList(tuple(h(c) for c in LIST_COLUMNS), rows, tuple(h(c) for c in EVIDENCE_COLUMNS), evidence,
                   tuple(h(c) for c in STUB_COLUMNS), stubs)


def _in_policy(policy: dict[str, PolicyCheck] | None, sdk: str, _: Translate, zh: bool) -> str:
    """Whether the app's privacy policy names the SDK, with the sentence that does."""
    if policy is None:
        return _("No privacy policy was compared")
    check = policy.get(sdk)
    if check is None or not check.disclosed:
        return _("No: the policy names neither the SDK nor its company")
    return _("Yes") + (_marks(zh)[0] + check.quote if check.quote else "")


def _name(s: SdkHit, zh: bool) -> str:
    if not s.name_cn or s.name_cn == s.name:
        return s.name
    return f"{s.name_cn}（{s.name}）" if zh else f"{s.name} ({s.name_cn})"


def _operator(s: SdkHit, zh: bool) -> str:
    if zh:
        return s.legal_entity or s.vendor
    return f"{s.vendor} ({s.legal_entity})" if s.legal_entity and s.legal_entity != s.vendor else s.vendor


def _row(s: SdkHit, d: DisclosureRow | None, kb: KnowledgeBase, _: Translate, zh: bool,
         names: dict[str, str]) -> tuple[str, ...]:
    purpose = (s.purpose.zh if zh else s.purpose.en) or "—"
    observed = d.pi_read if d else ()
    permissions = ("、" if zh else ", ").join(d.permissions) if d and d.permissions else "—"
    return (_name(s, zh), s.version or _("not identified"), _operator(s, zh), purpose,
            _information(observed, s.pi_collected, kb, _, zh) or "—", permissions, _before_consent(s, d, _, zh),
            s.privacy_policy_url or _("not known to appaudit"), _source(s, _, names))


def _title(kb: KnowledgeBase, category: str, _: Translate) -> str:
    info = kb.pi_categories.get(category)
    return _(info.title) if info else category


def _covers(declared: str, category: str) -> bool:
    """A declared category covers itself and every finer one (``location`` covers ``location.precise``)."""
    return category == declared or category.startswith(declared + ".")


def _information(observed: Sequence[str], declared: Sequence[str], kb: KnowledgeBase, _: Translate,
                 zh: bool) -> str:
    """Observed reads joined with the vendor's declared scope: a read the vendor does not declare is marked,
    and what it declares but this app's code was not seen reading follows in one clause."""
    colon, sep, left, right = _marks(zh)
    if not zh:
        left, right = " [", "]"  # English marks the difference apart from the category's own brackets
    undeclared = _("read here; not in the vendor's disclosure")
    items = [_title(kb, c, _) + ("" if any(_covers(d, c) for d in declared) else f"{left}{undeclared}{right}")
             for c in observed]
    unseen = [_title(kb, d, _) for d in declared if not any(_covers(d, c) for c in observed)]
    if unseen:
        items.append(_("declared by the vendor; no read seen in this app") + colon
                     + ("、" if zh else ", ").join(unseen))
    return sep.join(items)


def _marks(zh: bool) -> tuple[str, str, str, str]:
    """Colon, list separator and brackets as each language writes them (全角 in Chinese)."""
    return ("：", "；", "（", "）") if zh else (": ", "; ", " (", ")")


def _before_consent(s: SdkHit, d: DisclosureRow | None, _: Translate, zh: bool) -> str:
    """Yes when it starts at launch or reads before consent (with how); a manifest switch is said too."""
    colon, sep, left, right = _marks(zh)
    early = []
    if s.starts_before_consent:
        early.append(_("initialised at launch, before consent can be asked") + f"{left}{chain(s.start_path)}{right}")
    if d and d.pre_consent:
        early.append(_("reads personal information before consent"))
    notes = [_("collection switched off by a manifest switch until the app turns it on")] if s.disabled else []
    said = early + notes
    return (_("Yes") if early else _("No")) + (colon + sep.join(said) if said else "")


def _found(evidence: Iterable[Evidence]) -> str:
    """How the SDK was recognised: its packages, components, libraries, domains (a few)."""
    return "; ".join(f"{e.part}: {e.symbol}" + (f" ({e.path})" if e.path and e.path != e.symbol else "")
                     for e in list(evidence)[:6])


def _source(s: SdkHit, _: Translate, names: dict[str, str]) -> str:
    notes = [_found(s.evidence)]
    if s.disabled:
        notes.append(_("switched off by") + " " + ", ".join(e.symbol for e in s.disabled_evidence))
    if s.bundled_by:
        notes.append(_("bundled inside") + " " + ", ".join(names.get(b, b) for b in s.bundled_by))
    return "; ".join(n for n in notes if n)


def _evidence(c: ApiCall, names: dict[str, str], kb: KnowledgeBase, _: Translate) -> tuple[str, ...]:
    own = _("First-party code") if c.party == "app" else _("Unattributed code")
    reader = names.get(c.sdk, c.sdk) if c.sdk else own
    return (reader, _title(kb, c.pi_category, _), member(c.api), member(c.caller),
            _("Yes") if c.pre_consent else _("No"), chain(c.pre_consent_path) if c.pre_consent else "")


def to_csv(sdk_list: SdkList) -> str:
    """The list alone (the evidence is the XLSX's second sheet), UTF-8 with a BOM so spreadsheets read the
    Chinese correctly, every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutral(c) for c in sdk_list.header])
    writer.writerows([[neutral(c) for c in row] for row in sdk_list.rows])
    return "\ufeff" + out.getvalue()


def to_xlsx(sdk_list: SdkList, _: Translate) -> bytes:
    """Sheets: the list, the evidence (one row per read) and, when there are any, the left-over stubs."""
    import xlsxwriter  # only a sdk-list run pays for the import

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#E8EEF5"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sheets = [(_("SDK list"), sdk_list.header, sdk_list.rows), (_("Evidence"), sdk_list.evidence_header,
                                                                  sdk_list.evidence)]
    if sdk_list.stubs:
        sheets.append((_("Left-over stubs"), sdk_list.stub_header, sdk_list.stubs))
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

    def __init__(self, lang: str = "en") -> None:
        from reports.i18n import translations, translator

        self.translator = translator(lang)
        self.lang = self.translator.lang
        catalog = translations(self.lang)
        self.header: Translate = lambda text: catalog.pgettext(COLUMN, text)

    def _build(self, audit: Audit, kb: KnowledgeBase) -> SdkList:
        return build(audit, kb, self.translator.gettext, self.lang, self.header)

    def render(self, audit: Audit, kb: KnowledgeBase) -> str:
        """The CSV (what a text-only output such as standard output gets)."""
        return to_csv(self._build(audit, kb))

    def files(self, audit: Audit, kb: KnowledgeBase) -> tuple[tuple[str, bytes], ...]:
        """(suffix, bytes) of every file this format writes."""
        sdk_list = self._build(audit, kb)
        return ((".sdk-list.xlsx", to_xlsx(sdk_list, self.translator.gettext)),
                (".sdk-list.csv", to_csv(sdk_list).encode("utf-8")))
