"""Resolve clause source (data with jinja2 expressions) into a plain `Document` tree.

Source schema (one mapping; the chapters usually come from one file each):

    kind, title, chapter_label ("第{cn}章"), clause_number ("{chapter}.{n}"), toc (bool)
    cover:     {title, lines: [text], mark}
    preamble:  [block]
    chapters:  [{id?, when?, title, blocks: [block], clauses: [{id?, when?, title, blocks}]}]
    signature: {heading, blocks: [block], parties: [{when?, heading, lines: [{label, value}]}]}
    annexes:   [{id?, when?, title, blocks}]

A block is a string (a paragraph), {text, when?, attention?, style?}, {items: [text | {text,
when?, attention?}], when?, label?, attention?} or {table: {header: [text], rows: expression |
[[text]]}, when?}. Text holds jinja2 expressions; `ref('id')` gives a chapter's or clause's
computed number, so cross-references follow the numbering. List labels and all numbers are
computed here, never written by hand.

`attention: reason` (or a list of reasons, see `Attention`) marks a standard term that must be
drawn to the customer's attention; the renderers print exactly that text in bold. Where the
text holds `**…**` spans, only the spans carry the attention, else the whole paragraph does
(an items node's attention applies to each of its items); `attention_when: expression` limits
the marking to the contracts where the expression holds (a consumer's key terms). `**` without
`attention` is an error: bold is never a matter of taste in an agreement.
"""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

import cn2an
import jinja2
import jinja2.meta

from .document import (
    Annex,
    Attention,
    Block,
    Chapter,
    Clause,
    Cover,
    Document,
    Paragraph,
    Run,
    Signature,
    SignatureLine,
    SignatureParty,
    Table,
)
from .errors import ContractError
from .profile import SAMPLE_MARK, sample_number

GLOBALS = ("ref", "cn_number")


class TemplateError(ContractError):
    """The clause source itself is wrong (a developer's error, not the clerk's)."""


def make_environment() -> jinja2.Environment:
    # The tree holds plain text; each renderer escapes for its own format.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.globals["cn_number"] = cn_number
    return env


def cn_number(n: int) -> str:
    return cn2an.an2cn(n)


# Clause sources are fixed text: compile each template and expression once per process.
_ENV = make_environment()


@functools.cache
def _template(text: str) -> jinja2.Template:
    return _ENV.from_string(text)


@functools.cache
def _expression(text: str) -> Any:
    return _ENV.compile_expression(text)


class _Resolver:
    def __init__(self, source: Mapping[str, Any], context: Mapping[str, Any]):
        self.source = source
        self.context = dict(context)
        self.refs: dict[str, str] = {}
        self.context["ref"] = self._ref

    def _ref(self, ident: str) -> str:
        try:
            return self.refs[ident]
        except KeyError:
            raise TemplateError(f"ref('{ident}') names no chapter or clause") from None

    def text(self, template: str) -> str:
        try:
            rendered = _template(template).render(self.context)
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{exc} in: {template[:60]}") from exc
        return rendered.replace("\n", "")

    def included(self, node: Any) -> bool:
        if not isinstance(node, Mapping) or "when" not in node:
            return True
        try:
            return bool(_expression(node["when"])(**self.context))
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{exc} in when: {node['when']}") from exc

    def attention(self, node: Mapping[str, Any]) -> tuple[Attention, ...]:
        reasons = _attention(node)
        if reasons and "attention_when" in node and not self.included({"when": node["attention_when"]}):
            return ()
        return reasons

    def runs(self, template: str, attention: tuple[Attention, ...] = (), declared: bool = False) -> tuple[Run, ...]:
        """DECLARED: the source gives a reason, even if `attention_when` turned it off here."""
        # Split on ** before rendering so that a customer's name can never toggle bold.
        parts = template.split("**")
        if len(parts) % 2 == 0:
            raise TemplateError(f"unbalanced ** in: {template[:60]}")
        if len(parts) > 1 and not (attention or declared):
            raise TemplateError(f"** needs an attention reason in: {template[:60]}")
        runs = []
        for i, part in enumerate(parts):
            text = self.text(part)
            if text:
                marked = len(parts) == 1 or i % 2 == 1
                runs.append(Run(text, attention if marked else ()))
        return tuple(runs)

    def blocks(self, nodes: list[Any] | None) -> tuple[Block, ...]:
        out: list[Block] = []
        for node in nodes or ():
            if not self.included(node):
                continue
            if isinstance(node, str):
                out.append(Paragraph(self.runs(node)))
            elif "items" in node:
                out.extend(self.items(node))
            elif "table" in node:
                out.append(self.table(node["table"]))
            else:
                style = node.get("style", "body")
                runs = self.runs(node["text"], self.attention(node), bool(_attention(node)))
                out.append(Paragraph(runs, style=style))
        return tuple(out)

    def items(self, node: Mapping[str, Any]) -> list[Paragraph]:
        label = node.get("label", "（{n}）")
        common = self.attention(node)
        kept = [i for i in node["items"] if self.included(i)]
        declared = bool(_attention(node))
        result = []
        for n, item in enumerate(kept, start=1):
            if isinstance(item, str):
                text, attention, own = item, common, False
            else:
                text, attention, own = item["text"], self.attention(item) or common, bool(_attention(item))
            runs = self.runs(text, attention, declared or own)
            result.append(Paragraph(runs, label.format(n=n), "item"))
        return result

    def table(self, node: Mapping[str, Any]) -> Table:
        header = tuple(self.text(h) for h in node["header"])
        rows = node["rows"]
        if isinstance(rows, str):
            rows = _expression(rows)(**self.context)
        else:
            rows = [[self.text(str(cell)) for cell in row] for row in rows]
        return Table(header, tuple(tuple(str(c) for c in row) for row in rows))

    def number(self) -> list[tuple[Mapping, str, list[tuple[Mapping, str]]]]:
        """First pass: which chapters and clauses are in, and their numbers, for ref()."""
        label_fmt = self.source.get("chapter_label", "第{cn}章")
        clause_fmt = self.source.get("clause_number", "{chapter}.{n}")
        plan = []
        chapters = [c for c in self.source.get("chapters", []) if self.included(c)]
        for n, chapter in enumerate(chapters, start=1):
            label = label_fmt.format(n=n, cn=cn_number(n))
            if "id" in chapter:
                self.refs[chapter["id"]] = label
            clauses = []
            for k, clause in enumerate((c for c in chapter.get("clauses", []) if self.included(c)), 1):
                number = clause_fmt.format(chapter=n, n=k)
                if "id" in clause:
                    self.refs[clause["id"]] = number
                clauses.append((clause, number))
            plan.append((chapter, label, clauses))
        annexes = [a for a in self.source.get("annexes", []) if self.included(a)]
        for n, annex in enumerate(annexes, start=1):
            if "id" in annex:
                self.refs[annex["id"]] = f"附件{cn_number(n)}"
        return plan

    def document(self, kind: str, contract_no: str, doc_no: str) -> Document:
        plan = self.number()
        src = self.source
        chapters = tuple(
            Chapter(
                number=n,
                label=label,
                title=self.text(ch.get("title", "")),
                blocks=self.blocks(ch.get("blocks")),
                clauses=tuple(
                    Clause(number, self.text(cl["title"]), self.blocks(cl.get("blocks")))
                    for cl, number in clauses
                ),
            )
            for n, (ch, label, clauses) in enumerate(plan, start=1)
        )
        annexes = tuple(
            Annex(f"附件{cn_number(n)}　{self.text(a['title'])}", self.blocks(a.get("blocks")))
            for n, a in enumerate((a for a in src.get("annexes", []) if self.included(a)), 1)
        )
        return Document(
            kind=kind,
            contract_no=contract_no,
            doc_no=doc_no,
            title=self.text(src["title"]),
            cover=self.cover(src.get("cover")),
            preamble=self.blocks(src.get("preamble")),
            chapters=chapters,
            signature=self.signature(src.get("signature")),
            annexes=annexes,
            watermark=self.text(src.get("watermark", "")),
            toc=bool(src.get("toc", True)),
        )

    def cover(self, node: Mapping[str, Any] | None) -> Cover | None:
        if not node:
            return None
        lines = tuple(self.text(line) for line in node.get("lines", []) if self.included(line))
        return Cover(self.text(node["title"]), lines, self.text(node.get("mark", "CONTRACT")))

    def signature(self, node: Mapping[str, Any] | None) -> Signature | None:
        if not node:
            return None
        parties = tuple(
            SignatureParty(
                self.text(p["heading"]),
                tuple(
                    SignatureLine(self.text(ln["label"]), self.text(ln.get("value", "")))
                    for ln in p["lines"]
                    if self.included(ln)
                ),
            )
            for p in node["parties"]
            if self.included(p)
        )
        return Signature(self.text(node["heading"]), self.blocks(node.get("blocks")), parties)


def _attention(node: Mapping[str, Any]) -> tuple[Attention, ...]:
    if "bold" in node:
        raise TemplateError(f"bold is not a source key; mark attention with a reason: {node}")
    value = node.get("attention") or ()
    names = [value] if isinstance(value, str) else list(value)
    try:
        return tuple(Attention(name) for name in names)
    except ValueError:
        raise TemplateError(f"attention: {value} is not one of {[a.value for a in Attention]}") from None


def resolve(
    source: Mapping[str, Any], context: Mapping[str, Any], *, contract_no: str, doc_no: str = ""
) -> Document:
    """Resolve `source` with `context` into a Document. Customer text is cleaned by the caller
    (contracts.validation.as_typed: kept as typed, look-alike hanzi mapped)."""
    kind = source.get("kind", "agreement")
    doc = _Resolver(source, context).document(kind, contract_no, doc_no or contract_no)
    return _marked_as_sample(doc) if context.get("sample") else doc


def _marked_as_sample(doc: Document) -> Document:
    """Sample provider data: every page's header, the cover and the numbers (hence the file
    names) say 样本, so that such a document can never pass for a contract."""
    cover = doc.cover and dataclasses.replace(
        doc.cover, lines=(*doc.cover.lines, f"{SAMPLE_MARK}：甲方信息为内置示例数据，不得用于签约"))
    watermark = "　".join(w for w in (SAMPLE_MARK, doc.watermark) if w)
    return dataclasses.replace(doc, contract_no=sample_number(doc.contract_no), doc_no=sample_number(doc.doc_no),
                               cover=cover, watermark=watermark)


def template_strings(node: Any) -> Iterator[str]:
    """Every text template and `when`/rows expression in a source, for static checks."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("when", "attention_when") or (key == "rows" and isinstance(value, str)):
                yield "{{ " + value + " }}"
            elif key not in ("kind", "id", "chapter_label", "clause_number", "label", "style", "attention"):
                yield from template_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from template_strings(item)


def undeclared_variables(source: Mapping[str, Any]) -> set[str]:
    env = make_environment()
    names: set[str] = set()
    for template in template_strings(source):
        names |= jinja2.meta.find_undeclared_variables(env.parse(template))
    return names - set(GLOBALS)


def nfkc(text: str) -> str:
    """For keywords the program reads (a customer type such as ｉｎｄｉｖｉｄｕａｌ), never for
    customer text: Kangxi radicals and full-width forms look like ordinary text but are other
    code points."""
    return unicodedata.normalize("NFKC", text).strip()
