"""Untrusted text made safe once: strip caption markup from scripts, drop invisible controls, normalise to NFC.

A script is written by a marketer and may have been copied out of a subtitle editor, a word processor or a web
page. Two kinds of debris follow it, and both must be handled the same way for every consumer (the recogniser's
prompt, the correction stage, the captions, the sidecars):

- Markup: ASS override blocks (``{\\b1}``, ``{\\pos(10,20)}``) and escapes (``\\N`` line break, ``\\n``,
  ``\\h`` hard space), and the HTML-like tags subtitle files use (``<b>``, ``<i>``, ``<font color=…>``). They are
  removed and leave a space where they could separate words (``\\N``, ``\\h``) — the words around them are the
  spoken words and must reach both the prompt and the captions. Braces *without* a backslash are not markup
  a marketer meant; the braces go, the words inside stay.
- Invisible characters: bidirectional controls (U+202A–202E embeddings/overrides, U+2066–2069 isolates,
  U+200E/200F/061C marks) reorder the text that follows them in players (``off.\\u202e`` shows the next words
  reversed); zero-width spaces (U+200B), word joiners (U+2060), BOMs (U+FEFF), soft hyphens, tag characters
  (hidden "ASCII smuggling" text) and C0/C1 controls are invisible on screen and corrupt matching. All are
  removed, with two exceptions where a writing system needs them: ZWJ/ZWNJ (U+200D/200C) between two letters
  of a script that shapes with them (Devanagari and the other Indic scripts, Arabic, Syriac, Myanmar, Khmer,
  Sinhala…) and ZWJ inside an emoji sequence (👩‍💻), and tag characters inside an emoji flag sequence (🏴 +
  tags + cancel tag).

Everything is normalised to NFC (composed accents), so "é" typed two ways is one word to every stage.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

__all__ = ["clean_text", "clean_script", "CleanScript", "INVISIBLE", "has_invisible"]

ZWNJ, ZWJ = "\u200c", "\u200d"
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ZERO_WIDTH = frozenset("\u200b\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e\u034f")
INVISIBLE = BIDI | ZERO_WIDTH | {ZWJ, ZWNJ}
# scripts that shape with ZWJ/ZWNJ (Unicode ranges; Arabic and Indic blocks, their extensions and presentation forms)
_JOINING = ((0x0600, 0x08FF), (0x0900, 0x0DFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x1800, 0x18AF),
            (0xA8E0, 0xA8FF), (0xA980, 0xA9DF), (0xAA60, 0xAA7F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),
            (0x11000, 0x111FF), (0x10E60, 0x10E7F))
_TAGS = (0xE0020, 0xE007F)
_BLACK_FLAG = "\U0001F3F4"

_ASS_BLOCK = re.compile(r"\{[^{}]*\\[^{}]*\}")  # an override block: braces holding at least one backslash tag
_ASS_ESCAPE = re.compile(r"\\[Nnh]")
_HTML_TAG = re.compile(r"</?(?:b|i|u|s|font|span|br)\b[^<>]*/?>", re.IGNORECASE)


def _joining(ch: str) -> bool:
    o = ord(ch)
    return any(a <= o <= b for a, b in _JOINING) and unicodedata.category(ch)[0] in "LM"


def _emoji_side(ch: str) -> bool:
    o = ord(ch)
    return unicodedata.category(ch) in ("So", "Sk") or o == 0xFE0F or 0x1F3FB <= o <= 0x1F3FF


def _keep_joiner(prev: str, nxt: str, ch: str) -> bool:
    if not prev or not nxt:
        return False
    if _joining(prev) and _joining(nxt):
        return True
    return ch == ZWJ and _emoji_side(prev) and unicodedata.category(nxt) == "So"


def clean_text(text: str) -> str:
    """`text` in NFC without bidi controls, zero-width and control characters (except where a script needs them).

    Line feeds and tabs stay (tabs as spaces); other controls and U+2028/2029 become a space or vanish."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    n = len(text)
    in_flag = False
    for i, ch in enumerate(text):
        o = ord(ch)
        if _TAGS[0] <= o <= _TAGS[1]:
            if in_flag:
                out.append(ch)
                in_flag = o != 0xE007F
            continue
        in_flag = ch == _BLACK_FLAG
        if ch in (ZWJ, ZWNJ):
            prev = out[-1] if out else ""
            nxt = text[i + 1] if i + 1 < n else ""
            if _keep_joiner(prev, nxt, ch):
                out.append(ch)
            continue
        if ch in BIDI or ch in ZERO_WIDTH:
            continue
        if ch == "\t" or ch in "\u2028\u2029\x85":
            out.append(" " if ch == "\t" else "\n")
            continue
        if ch != "\n" and unicodedata.category(ch) == "Cc":
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def has_invisible(text: str) -> bool:
    """True when `text` holds a character `clean_text` would drop or change."""
    return clean_text(text) != text


@dataclass
class CleanScript:
    """A script with its markup removed (`markup`: what was removed, for a finding) and its text cleaned."""

    text: str
    markup: list[str] = field(default_factory=list)
    invisible: int = 0  # number of invisible/control characters dropped
    markdown: list[str] = field(default_factory=list)  # Markdown formatting removed ("**", "# ", "- ")


# Markdown a script picks up from a document or a chat tool: emphasis pairs, headings, list markers. Formatting, never
# captions (a lone "*" after a price is a footnote mark and stays)
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])"
                          r"|(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])")
_MD_LINE = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+|>[ \t]*)", re.M)


def _strip_markdown(text: str) -> tuple[str, list[str]]:
    found: list[str] = []

    def emph(m: re.Match) -> str:
        found.append(m.group(1) or ("*" if m.group(3) is not None else "_"))
        return m.group(2) if m.group(2) is not None else (m.group(3) if m.group(3) is not None else m.group(4))

    text = _MD_EMPHASIS.sub(emph, text)
    found += [m.group(0).strip() for m in _MD_LINE.finditer(text)]
    return _MD_LINE.sub("", text), found


def clean_script(script: str) -> CleanScript:
    """Strip ASS/HTML caption markup (leaving a space where it separated words), then `clean_text`."""
    if not script:
        return CleanScript("")
    markup = _ASS_BLOCK.findall(script) + _ASS_ESCAPE.findall(script) + _HTML_TAG.findall(script)
    text = _ASS_BLOCK.sub(" ", script)
    text = _ASS_ESCAPE.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    if "{" in text or "}" in text:
        markup += [c for c in text if c in "{}"]
        text = text.replace("{", "").replace("}", "")
    text, markdown = _strip_markdown(text)
    cleaned = clean_text(text)
    dropped = max(0, len(unicodedata.normalize("NFC", text)) - len(cleaned))
    # collapse the runs of spaces the removals left (never line breaks: they shape the script's pauses)
    cleaned = "\n".join(re.sub(r"[ \u00a0]{2,}", " ", ln).strip() for ln in cleaned.split("\n"))
    return CleanScript(cleaned.strip(), markup, dropped, markdown)
