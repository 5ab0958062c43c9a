"""Chinese break rules: lines and pages break only at word boundaries found by jieba (MIT, pinned), never
between two characters of one word; a number keeps its measure word or unit (28天, 8折, ¥199, 105块9);
particles and closing punctuation never start a line; prepositions and conjunctions are good places to break
before. Caption words arrive as single characters (how the aligner times Chinese) or as whole words (imports):
the segmentation runs on their concatenation, so both work."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

from .base import (AFTER_BINDING, BEFORE_CONJ, BEFORE_PREP, CONTENT, UNIT, Analysis, Rules, Unit, UnitKind, bare)

_DIGITS = re.compile(r"^[¥￥$€₹]?[\d零〇一二三四五六七八九十百千万两.,]+$")
# measure words and units that follow a number (a classifier or a unit: never split from the number)
_MEASURE = set("天元块毛角折个颗盒瓶包件支片次分秒克斤米倍岁年月日号周年寸升条袋杯盏套只台部双张本")
_MEASURE_WORDS = {"小时", "分钟", "公斤", "毫升", "厘米", "折扣", "周年", "星期"}


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    for w in AD_WORDS:  # ad vocabulary jieba's dictionary splits ("优惠|码")
        jieba.add_word(w)
    return jieba


AD_WORDS = ("优惠码", "优惠券", "券码", "包邮", "下单", "首单", "立减", "限时", "原价", "特价", "到手价",
            # a price's lead-in ("三盒装仅 | 需¥59.9": DEV ad-zh-02 drew "仅" and "需" on two pages)
            "仅需", "只需", "仅售", "只售", "低至", "立省", "直降", "满减", "券后", "折后")


def _w(s: str) -> frozenset[str]:
    return frozenset(s.split())


class Chinese(Rules):
    code = "zh"
    cased = False
    prepositions = _w("在 给 对 从 把 被 向 跟 和 为 于 比 让 到 离 按 用")
    conjunctions = _w("和 或 或者 但 但是 而 而且 所以 因为 如果 还 再 并 并且 就 也")
    glue_back_words = _w("的 了 吗 吧 呢 啊 呀 哦 嘛 着 过 得 地")
    code_words = _w("码 优惠码 券码 口令")

    def words_of(self, texts: Sequence[str]) -> list[str]:
        """The jieba words of the concatenated caption words (search off, HMM on for unknown brand names)."""
        return [w for w in _jieba().lcut("".join(texts), HMM=True) if w]

    def segments(self, texts: Sequence[str]) -> list[bool]:
        words = self.words_of(texts)
        cuts, pos = set(), 0
        for w in words:
            cuts.add(pos)
            pos += len(w)
        starts, pos = [], 0
        for t in texts:
            starts.append(pos in cuts or not t)
            pos += len(t)
        # a number keeps its measure word/unit; a price its tail ("105块9")
        for k in range(1, len(texts)):
            prev, cur = texts[k - 1].strip(), texts[k].strip()
            if prev and _DIGITS.match(prev) and (cur[:1] in _MEASURE or cur in _MEASURE_WORDS or _DIGITS.match(cur)):
                starts[k] = False
            if prev[-1:] in "块元" and _DIGITS.match(cur) and k >= 2 and _DIGITS.match(texts[k - 2].strip()):
                starts[k] = False
        return starts

    def analyse(self, texts: Sequence[str], terms: Sequence[str] = ()) -> Analysis:
        a = super().analyse(texts, terms)
        # caption words are characters: the function-word costs come from the jieba word that ends/starts at a joint
        n = len(texts)
        words = self.words_of(texts)
        ends, starts, pos = {}, {}, 0
        for w in words:
            starts[pos] = w
            pos += len(w)
            ends[pos] = w
        pos = 0
        for k in range(n - 1):
            pos += len(texts[k])
            j = a.joints[k]
            if j.cost >= UNIT or j.sentence_end or j.clause_end:
                continue
            j.cost, j.binding, j.unit = CONTENT, False, None  # the shared pass looked at single characters
            left, right = ends.get(pos, ""), starts.get(pos, "")
            if right in self.conjunctions:
                j.cost = min(j.cost, BEFORE_CONJ)
            elif right in self.prepositions:
                j.cost = min(j.cost, BEFORE_PREP)
            if left in self.prepositions or left in self.conjunctions:
                j.cost, j.binding = max(j.cost, AFTER_BINDING), True
            if right in self.glue_back_words:
                j.cost, j.unit = max(j.cost, 1_000.0), j.unit or UnitKind.phrase
        # units the shared pass cannot see in single characters: numbers with units, brand terms in the script
        spans = []
        joined = "".join(texts)
        offsets, pos = [], 0
        for t in texts:
            offsets.append(pos)
            pos += len(t)
        for term in terms:
            for m in re.finditer(re.escape(term), joined):
                spans.append((UnitKind.brand, m.start(), m.end()))
        for m in re.finditer(r"(?:优惠码|优惠券|券码|口令|码)\s*[A-Za-z0-9]*[A-Z0-9]{3,}", joined):
            spans.append((UnitKind.promo_code, m.start(), m.end()))
        for m in re.finditer(r"[¥￥$€₹]?[\d零〇一二三四五六七八九十百千万两]+(?:[.,]\d+)?(?:块[\d零一二三四五六七八九]?|元|折|%|％)?", joined):
            tail = joined[m.end():m.end() + 2]
            end = m.end() + (2 if tail in _MEASURE_WORDS else 1 if tail[:1] in _MEASURE else 0)
            kind = UnitKind.price if re.search(r"[¥￥$€₹块元]", joined[m.start():end]) else (
                UnitKind.percent if re.search(r"[%％折]", joined[m.start():end]) else UnitKind.number_unit)
            spans.append((kind, m.start(), end))
        for kind, s, e in spans:
            wa = max((i for i, o in enumerate(offsets) if o <= s), default=0)
            wb = max((i for i, o in enumerate(offsets) if o < e), default=0) + 1
            if wb - wa >= 2:
                a.units.append(Unit(kind, wa, wb))
                for k in range(wa, wb - 1):
                    if a.joints[k].cost < UNIT:
                        a.joints[k].cost, a.joints[k].unit = UNIT, kind
        return a

    def ends_on_function_word(self, text: str) -> bool:
        return bare(text) in self.prepositions or bare(text) in self.conjunctions

    def term_parts(self, term: str) -> list[str]:
        return list(term)


RULES = Chinese()
