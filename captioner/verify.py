"""Price judge: which value did the voice say? Independent witnesses, one calibrated verdict per number.

The correction stage (`hint.correct`) compares numbers by what the recogniser heard. The recogniser is a
language-model-heavy witness: prompted with the script it can parrot the script's price, unprompted it
misreads ("98,20 €,99 €" for "hundertachtundzwanzig Euro neunundneunzig"), and on some voices it hears
nothing usable. A caption must never show a price the voice did not say, so every claim (price,
percentage, discount, promo code; every number the correction stage disputed; every number of a script
fallback) is judged here from independent evidence:

- **prompted pass** (P): the value the script-prompted recogniser heard at that place (via `hint.correct`);
- **unprompted pass** (U): the value the script-free witness transcript has there (`pipeline.recognise`),
  each spoken number phrase read whole;
- **Whisper decoder** (W; the shipped Whisper base weights in float32, `whisper.load_judge_model`, so that its
  scores are the same on every CPU — CTranslate2's int8 kernels are not; run by `asr.whisper_scorer`, which scores
  all of a window's readings in one batch): each competing reading is written into a *local window* of the caption text
  (`window_words` words each side, spoken forms) and scored teacher-forced against the audio of that window
  only, as pointwise mutual information log p(text | audio) − log p(text | silence) (the plain likelihood
  prefers short, common numbers). A local window keeps long ads far from Whisper's 448 decoder positions and
  costs the same on a 60 s ad as on a 10 s one. 12 words each side: on seed-101 ads the best wrong one-digit
  change of an honest price beat it by 4.7 nats on average with 6 words, 3.1 with 12 and 3.1 with the whole
  text, while changed prices kept their lead (+9 … +41 nats);
- **phone model** (H): hama's phone CTC model (`captioner.phones`, a second acoustic model, not Whisper)
  scores the same readings over the number's time span (forced alignment of the caption; the reading between
  its two neighbouring words) as CTC log-likelihood plus `phone_bonus` nats per phone. It also *proposes*
  readings: every value of the script value's shape (1–999, or 1–9999 from 1,000 up; for prices with cents
  every major part with the script's cents, then every cents part for the best majors) is scored over the
  number's own frames in one forward pass over the readings' prefix tree (`ctc_trie`: 10,000 readings cost
  about as much as their distinct prefixes), and the best `proposals` readings under each of the search
  bonuses (`proposal_bonuses`; 1.5 found 8 of 13 changed seed-101 prices among its first 8, 3.0 found 9,
  the two together 11) go to the Whisper decoder. A value a recogniser heard is scored in every common
  wording (`numbers.spoken_variants`: "nineteen dollars and ninety nine cents", "veinticinco euros noventa").

A re-recognition of just the number's span was measured and dropped: on the DEV voices Whisper cannot
follow, free decoding of a 3–5 s window (with or without the script's preceding words as a prefix) gave no
number at all ("m'a offert au catamanis"), and on the others nothing the unprompted pass had not.

**The combination** (`rule="posterior"`, the default since 2026-11-29) is a calibrated posterior over the
case's candidate readings: a conditional logit, P(x) = softmax over readings of w · f(x), with f = (Whisper
PMI and phone-model CTC, each taken against the case's best reading and clipped to −`post_clip` nats; Whisper
tokens and phones against the script's reading; heard by the prompted / unprompted pass; is the script's
reading; the script's reading heard by the prompted / unprompted pass — a recogniser that hears the script's
value may be parroting its prompt, and the fit weighs that apart; and, since 2026-12-01, the Whisper decoder's
plain log-likelihood log p(text | audio), against the case's best reading and clipped like the PMI: the silence
baseline over-corrects some readings — on a generated German ad both recognisers and the phone model said
61,90 €, the plain likelihood agreed, and the PMI preferred 81,90 € by 11.7 nats. With it, the 2-fold
cross-validated log-likelihood on seed 101 went from −66.5 to −52.7 and the truth came first for 30 of 41
changed prices instead of 23). A witness that cannot follow the voice
does not vote (its features are 0: Whisper below `min_hearing` nats of PMI per token of the window; the phone
model below `min_phone_fit` nats per frame of the number's neighbourhood). Fitted by maximum likelihood on the
generated TUNING ads (seed 101: 8 clean + 8 music-bed ads per language and 8 more clean, 318 claims, 240 with
the truth among the readings; refitted 2026-12-01 with the plain likelihood on the same ads, gathered again on
the AMD machine: 323 claims, 244; `post_clip` by 2-fold cross-validation) with
`benchmarks/bench_numbers_judge.py`; never on DEV; reported on seed 303 (docs/BENCHMARKS.md, "Price judge").
An acoustic witness *stands for* a reading against the script's only when it prefers it by more than its
margin — the size of the lead its favourite wrong reading has over the truth on the tuning ads
(`margin_whisper` 3.03 nats = the 90th percentile, `margin_phones` 3.66 = the 75th, chosen with the
thresholds).

**Policy** (README, "Numbers and prices"):
- `claim_verified` (info): both recogniser passes heard the script's value, or the script's reading has
  posterior ≥ `post_verify`, an acoustic witness votes, and no one-digit neighbour of the script's value
  (`verify_neighbours`: added and scored by `gather` before such a verdict, kept out of the posterior) is
  preferred to it by the Whisper decoder past its margin, or by the phone model past its margin where the
  Whisper decoder does not rule it out, and the script's reading wins against each neighbour with posterior ≥
  `post_verify` taken over just the two (`head_to_head`: a tie of the witnesses is not a margin) (`_neighbour_rival`;
  one veto is enough, so the Whisper decoder scores them `veto_chunk` at a time, the phone model's likeliest first,
  and stops at the first); before a `price_mismatch` the neighbours are added
  too, and the value to be shown must keep posterior ≥ `post_flag` with them among the readings, and then stay the
  likeliest reading when its own one-digit neighbours are added (`shown_neighbours`);
- `price_mismatch` / `number_mismatch` (error; the caption shows the spoken value): the most probable reading
  is another value with posterior ≥ `post_flag`, at least two witnesses stand for it against the script's
  reading (one of them acoustic, past its margin) and no voting acoustic witness prefers the script's past
  its margin; or, where the script's value is ruled out (the "rejected" case below), **both recogniser passes
  wrote the same other value in full** — the prompted pass against its own prompt — and it leads the posterior,
  also with the script value's and its own one-digit neighbours among the readings, and no voting acoustic
  witness prefers the script's reading to it past its margin (`both_heard_shows`, `_heard_by_both`);
- anything else is `number_disputed` (both readings named, the caption keeps the script's value;
  `--on-mismatch fail` fails on it too): an **error** (verdict "rejected") when the script's reading has
  posterior ≤ `post_reject` (0.05, a level set in advance on the calibrated posterior, not fitted) and no
  voting acoustic witness prefers it to every other reading past its margin — the voice does not say the
  script's value, but which value it says is not certain (near readings such as 435 / 436 split the
  probability); an error too when a value of the script reported skipped right beside the number
  (`Case.skipped_values`, a reading of the case) is preferred to the script's reading by both voting acoustic witnesses
  past their margins (`_misplaced`: the recogniser with the script wrote the script's other price at this place); a
  warning otherwise. On seed 101 every level up to 0.3 raised no error on an honest price.
`post_verify` 0.99 was chosen on seed 101 as the setting with the fewest wrong values shown (silent wrong prices
+ honest prices shown wrong + changed prices shown with another value), then the most changed prices caught.
`post_flag` — how sure the calibrated posterior must be of another value to put it on screen — is 0.8, chosen on a
pool of generated seeds (101, 707, 808; `bench_numbers_judge.py --choose-flag`, evidence gathered with the level in
place, since `gather` adds the neighbours only before a verdict that shows or verifies): the lowest level at which
values shown that the voice did not say stay within the issue's 1 % (changed prices shown with another value ≤ 1 %
of the changed ones, honest prices shown wrong ≤ 1 % of the honest ones) and no price goes silent. The posterior is
calibrated: across seven evidence sets the first reading at 0.8–0.95 was the truth 33 times in 34. The script's value
is itself a value the voice did not say once it is ruled out; 0.95 kept it on screen for readings the evidence
already favoured (pool: 18 of 102 changed prices caught at 0.95, 30 at 0.8, 0 other values at either; 0.78
shows 2 other values). Never a value that no witness stands for;
never a dropped price: numbers the recogniser wrote as fragments stay paired with the script's price and come
here.

`rule="pairwise"` keeps the first judge of issue 13 for comparison in the benchmarks: pairwise probabilities
p(x, y) = σ(w · (f(x) − f(y))) over `FEATURES` (clipped to ±`clip`), `p_flag` / `p_separate` / `p_verify`,
fitted on an earlier seed-101 dump by `bench_numbers_fit.py`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Optional, Sequence

import numpy as np

from . import numbers as num
from .types import Finding, Severity, Transcript, Word

__all__ = ["VerifyOptions", "WhisperWitness", "PhoneWitness", "Case", "Reading", "verify_numbers", "gather",
           "decide", "posterior", "regroupings", "one_digit_changes", "FEATURES"]

SAMPLE_RATE = 16000
CLAIMS = ("price", "percent", "discount", "code")
MISMATCH = ("price_mismatch", "number_mismatch")
_PUNCT = "\"'“”‘’«»„.,!?;:…()[]{}¡¿、，。！？；：（）—–-।"
# witness features of a reading X against the script's reading S, in this order (see `Case.features`)
FEATURES = ("d_pmi", "d_tokens", "d_ctc", "d_phones", "d_prompted", "d_unprompted")
# features of a reading in the posterior rule (see `posterior_features`)
POST_FEATURES = ("pmi", "d_tokens", "ctc", "d_phones", "heard_p", "heard_u", "is_script", "script_heard_p", "script_heard_u", "lp")


@dataclass
class VerifyOptions:
    """Settings of the judge. Weights and thresholds come from the generated TUNING ads (seed 101); see
    docs/BENCHMARKS.md ("Price judge") for the fit and the measurements behind each value."""

    window_words: int = 12  # caption words each side of the number in the Whisper window
    phone_bonus: float = 1.5  # nats per phone added to a reading's CTC score (fitted, see weights)
    proposals: int = 8  # phone-model proposals per search bonus passed to the Whisper decoder
    proposal_bonuses: tuple = (1.5, 3.0)  # the phone model's searches (nats per phone; see the module docstring)
    one_digit: bool = False  # also judge every one-digit change of the script's value where nobody heard another
    min_hearing: float = 0.5  # mean PMI per token of the window below which the Whisper decoder does not vote
    min_phone_fit: float = -3.0  # mean per-frame log-ratio of the number's neighbourhood below which the phone model does not vote
    clip: float = 10.0  # witness score differences are clipped to +-clip nats before they are weighed
    weights: tuple = (0.633, 0.196, 0.133, -0.119, 2.534, 1.326)  # logistic weights of FEATURES
    p_flag: float = 0.8  # a reading other than the script's needs this probability (and two witnesses) to be shown
    p_separate: float = 0.95  # ... and beat every other candidate reading with this probability
    p_verify: float = 0.1  # every other reading below this, no recogniser pass heard another value: verified
    agree_verifies: bool = True  # prompted and unprompted passes both heard the script's value: verified
    # the decision rule: "posterior" (a conditional logit over every candidate reading, see `posterior`) or
    # "pairwise" (the first judge's pairwise probabilities against the script, kept to compare in benchmarks)
    rule: str = "posterior"
    # POST_FEATURES, fitted on seed 101's evidence (144 ads, 2026-12-01, with the plain likelihood `lp`)
    post_weights: tuple = (0.2677, 0.6966, 0.1663, 0.3813, 1.0474, -0.1571, 3.7506, -0.3661, 0.0063, 0.3)
    post_clip: float = 20.0  # PMI / CTC clipped this far below the case's best reading (cross-validated on seed 101)
    post_flag: float = 0.8  # posterior of another reading needed to show it (with two witnesses past their margins; chosen on a pool of generated seeds by `bench_numbers_judge.py --choose-flag`)
    post_verify: float = 0.99  # posterior of the script's reading that verifies it (an acoustic witness voting)
    margin_whisper: float = 3.03  # nats of PMI by which the Whisper decoder must prefer a reading to count as its witness
    margin_phones: float = 3.66  # nats of CTC by which the phone model must prefer a reading to count as its witness
    need_heard: bool = False  # posterior rule: a value is shown only if a recogniser pass heard it (see module docstring)
    # posterior of the script's reading at or below which the voice is taken not to say it: the dispute becomes an
    # error (the caption still keeps the script's value: no single other reading is sure enough to show)
    post_reject: float = 0.05
    # a reading about to be verified, or another value about to be shown, must also beat the script value's one-digit
    # neighbours ("9.499 €" said for "1.499 €"): they are added as readings and scored before the verdict (see `gather`)
    verify_neighbours: bool = True
    # ... scored by the Whisper decoder this many at a time before a verification, stopping at the first veto (0: all
    # at once). Speed only: the verdict does not depend on it, only which vetoing neighbour a dispute names
    veto_chunk: int = 8
    # ... and a value about to be shown must also beat its own one-digit neighbours (they join the readings)
    shown_neighbours: bool = True
    # where the script's value is ruled out (the "rejected" case), a value both recogniser passes wrote in full — the
    # prompted one against its own prompt — is shown when it leads the posterior (see `_heard_by_both`)
    both_heard_shows: bool = True
    # how the second witness for a value about to be shown counts: "margin" (past its margin, like the first) or
    # "direction" (an acoustic witness that prefers it to the script's reading at all, the first one past its margin)
    second_witness: str = "margin"
    # a value about to be shown must be told apart from each of its own one-digit neighbours that were scored by an
    # acoustic witness preferring it by more than this fraction of its margin (0: off, as shipped). Tried 2026-12-02: on
    # seed 101 (TUNING) 0.5 removed its one value nobody said (g101-hi-11, ₹999 for ₹299) and 2 of 17 catches; on the
    # report seeds 2323 / 2424 it removed no value nobody said and 0 / 1 catch (docs/BENCHMARKS.md): not shipped
    separate_shown: float = 0.0


def regroupings(heard: Optional[Decimal], script: Decimal) -> list[Decimal]:
    """A heard value written with the other grouping of the same spoken words, in the script value's shape: a
    recogniser writes "seven fifty six" as 756 where the script has $7.50, "one eighteen" as 1.18 where it has
    $59 (the voice said 118)."""
    if heard is None or heard <= 0:
        return []
    if script != int(script) and heard == int(heard) and heard >= 100:
        return [(heard / 100).quantize(Decimal("0.01"))]
    if script == int(script) and heard != int(heard) and (heard * 100) == int(heard * 100):
        return [Decimal(int(heard * 100))]
    return []


def one_digit_changes(value: Decimal) -> list[Decimal]:
    """Every value that differs from `value` in exactly one digit (no new leading zero)."""
    s = format(value, "f")
    whole = s.split(".")[0]
    out: set[Decimal] = set()
    for i, ch in enumerate(s):
        if not ch.isdigit():
            continue
        for d in "0123456789":
            if d == ch or (i == 0 and d == "0" and len(whole) > 1):
                continue
            out.add(Decimal(s[:i] + d + s[i + 1:]))
    return sorted(out)


def _amount(text: str, language: str) -> Optional[num.Amount]:
    a = num.parse_written(text.strip(_PUNCT + " \u00a0"), language)
    if a is None and " " in text.strip():
        a = num.amount_in_words(text, language)  # "forty-nine dollars" as the script wrote it
    if a is None and language == "zh":
        from .hint import _amount_of

        a = _amount_of(text.strip(_PUNCT + " \u00a0"), language)  # "一百九十九元": a price in Chinese numerals
    if a is None or a.value is None or a.kind == "date":
        return None
    return a


def _with(a: num.Amount, value: Decimal) -> num.Amount:
    return num.Amount(a.kind, value, a.currency, a.prefix, a.date)


def _say(c: "Case", v: Optional[Decimal], language: str) -> str:
    """How a voice says value `v` in the place of case `c`'s number: its spoken form with the words for the script's
    signs ("-20 %" -> "minus dreißig Prozent" for 30)."""
    return num.with_affix_words(num.spoken_form(_with(c.script, v if v is not None else c.script.value), language),
                                c.script_text, language)


def _spoken(w: Word, language: str) -> str:
    a = _amount(w.text, language)
    if a is None:
        return w.text
    return w.spoken or num.with_affix_words(num.spoken_form(a, language), w.text, language)


def _join(parts: Sequence[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(p for p in parts if p)


def _trail(text: str) -> str:
    return text[len(text.rstrip(_PUNCT + " \u00a0")):]


# ------------------------------------------------------------------------------------------------
# witness: the Whisper decoder


def _score_pair(wa, wb, start, seqs) -> tuple[list[float], list[float]]:
    """The texts scored against the audio's window and against silence's (the PMI's two terms): side by side on two
    threads of one BLAS thread each where this process has two cores or more, one after the other on one BLAS thread
    where it has one. The decoder's matrices are small: one BLAS thread each uses a core better than two threads on
    one scoring, and OpenBLAS threads that spin on cores other processes need waste them (measured on 2 cores, the
    judge of g1717-hi-04: 15.8 s with two BLAS threads, 12.8 s side by side; two such processes at once 65 s each,
    28.6 s side by side; docs/BENCHMARKS.md "The price judge on shared cores")."""
    from .cpu import blas, share

    with blas(1):
        if share() < 2 or len(seqs) < 2:
            return wa.score(start, seqs), wb.score(start, seqs)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="judge-null") as ex:
            fb = ex.submit(wb.score, start, seqs)
            a = wa.score(start, seqs)
            return a, fb.result()


class WhisperWitness:
    """Teacher-forced PMI of texts against short windows of audio (the shipped Whisper base decoder).

    With the judge's own float32 model (`whisper_scorer.JudgeModel`, the default) every text of a window is scored in
    one batch that shares the window's cross-attention and the texts' common words; with a CTranslate2 model (the
    benchmarks' `--judge-engine ctranslate2`, or int8) one `Whisper.align` request per text and per audio."""

    def __init__(self, model, language: str):
        from faster_whisper.tokenizer import Tokenizer

        self.model = model
        self.language = language
        self.tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=language)
        # (clip, text) -> (PMI, tokens, log p(text | audio): the PMI's first term)
        self._memo: dict[tuple, tuple[float, int, float]] = {}
        self._null: dict[int, object] = {}
        self._windows: dict[object, object] = {}  # scoring windows (numpy judge): the last clip's and silence's

    def _encode(self, clip: np.ndarray):
        from faster_whisper.transcribe import pad_or_trim

        from .align import encode_window
        from .cpu import blas, share

        with blas(share()):  # the judge's numpy encoder: this process's cores, never the whole machine's
            enc, n_frames = encode_window(self.model, clip)
            width = int(enc.shape[1]) * 2
            if width not in self._null:
                zf = self.model.feature_extractor(np.zeros(max(len(clip), SAMPLE_RATE), np.float32))
                self._null[width] = self.model.encode(np.ascontiguousarray(pad_or_trim(zf, width), dtype=np.float32))
        return enc, self._null[width], n_frames

    def tokens(self, text: str) -> list[int]:
        return self.tokenizer.encode(text if self.language == "zh" else " " + text)

    def _logp(self, enc, toks: list[int], n_frames: int) -> float:
        res = self.model.model.align(enc, self.tokenizer.sot_sequence, [toks], n_frames, median_filter_width=1)[0]
        p = np.asarray(res.text_token_probs, dtype=np.float64)
        return float(np.sum(np.log(np.maximum(p, 1e-12))))

    def _window(self, key, enc):
        w = self._windows.get(key)
        if w is None:
            if len(self._windows) >= 4:
                self._windows.pop(next(iter(self._windows)))
            w = self._windows[key] = self.model.window(enc)
        return w

    def pmi(self, clip_key: tuple, clip: np.ndarray, texts: Sequence[str]) -> list[tuple[float, int]]:
        """(PMI summed over tokens, number of tokens) of each text against `clip` (memoised per clip and text)."""
        todo = list(dict.fromkeys(t for t in texts if (clip_key, t) not in self._memo))
        if todo:
            enc, null, n_frames = self._encode(clip)
            toks = {t: self.tokens(t) for t in todo}
            for t in todo:
                if not toks[t] or len(toks[t]) > 400:
                    self._memo[(clip_key, t)] = (float("nan"), len(toks[t]), float("nan"))
            todo = [t for t in todo if (clip_key, t) not in self._memo]
            if hasattr(self.model, "window"):
                # the judge's own model: each window's texts in one batch (`whisper_scorer`); like `Whisper.align`, a
                # text is scored after the no-timestamps token
                start = list(self.tokenizer.sot_sequence) + [self.tokenizer.no_timestamps]
                seqs = [toks[t] for t in todo]
                wa, wb = self._window(("clip", clip_key), enc), self._window(("null", int(null.shape[1])), null)
                a, b = _score_pair(wa, wb, start, seqs)
                for t, x, y in zip(todo, a, b):
                    self._memo[(clip_key, t)] = (x - y, len(toks[t]), float(x))
            else:
                jobs = [(e, t) for t in todo for e in (enc, null)]
                # the model serves `workers` requests at once: one short decoder pass per request, side by side
                from .asr.whisper import workers_of

                n = min(workers_of(self.model), len(jobs))
                if n > 1:
                    from concurrent.futures import ThreadPoolExecutor

                    with ThreadPoolExecutor(n) as ex:
                        lps = list(ex.map(lambda j: self._logp(j[0], toks[j[1]], n_frames), jobs))
                else:
                    lps = [self._logp(e, toks[t], n_frames) for e, t in jobs]
                for k in range(0, len(jobs), 2):
                    t = jobs[k][1]
                    self._memo[(clip_key, t)] = (lps[k] - lps[k + 1], len(toks[t]), float(lps[k]))
        return [self._memo[(clip_key, t)][:2] for t in texts]

    def loglik(self, clip_key: tuple, texts: Sequence[str]) -> list[float]:
        """log p(text | audio) of texts already scored by `pmi` on this clip (NaN for a text it could not score)."""
        return [self._memo.get((clip_key, t), (0.0, 0, float("nan")))[2] for t in texts]


# ------------------------------------------------------------------------------------------------
# witness: the phone model


class PhoneWitness:
    """hama's phone CTC model over one ad: emissions once, forced alignment of the caption, reading scores."""

    def __init__(self, audio: np.ndarray, language: str, model=None):
        from . import phones

        self.pm = model or phones.load()
        self.language = language
        self.frame_s = phones.FRAME_S
        self.logp = self.pm.emissions(audio).astype(np.float32)
        self._ids: dict[str, list[int]] = {}

    def _unit_ids(self, unit: str) -> list[int]:
        ids = self._ids.get(unit)
        if ids is None:
            from . import g2p

            ph = g2p.phonemize([unit], self.language)[0]
            ids = self._ids[unit] = self.pm.tokenize(ph)
        return ids

    def _units(self, spoken: str) -> list[str]:
        from .align import _units_of

        out = []
        for u in _units_of(spoken, self.language):
            u = u.lower()
            out += (_de_morphemes(u) if self.language == "de" else None) or [u]
        return out

    def prefetch(self, spokens: Sequence[str]) -> None:
        """Phonemize every unit not seen yet in one G2P call (a call costs far more than a word)."""
        from . import g2p

        todo = list(dict.fromkeys(u for s in spokens for u in self._units(s) if u not in self._ids))
        if todo:
            for u, ph in zip(todo, g2p.phonemize(todo, self.language)):
                self._ids[u] = self.pm.tokenize(ph)

    def ids(self, spoken: str) -> list[int]:
        """Token ids of a spoken form, unit by unit (words; Han characters one by one; German number compounds
        morpheme by morpheme, so that 10,000 readings need ~40 G2P units, not 10,000), cached per unit."""
        out: list[int] = []
        for u in self._units(spoken):
            out += self._unit_ids(u)
        return out

    def align(self, spoken_words: Sequence[str]):
        """Forced alignment of the caption (spoken forms) over the whole ad; fillers absorb unscripted speech, and a run
        of words with no audio is left unplaced the way the aligner leaves it (`align._two_pass`). Forced to place
        every word, a script longer than its audio (a 5 s cut-down of the example ad) squeezed "$49" into 0.4 s, where
        "four dollars" fits better than the "forty dollars" the voice says."""
        from .align import PhoneOptions, _two_pass

        self.prefetch(spoken_words)
        return _two_pass(self.pm, self.logp, [self.ids(s) for s in spoken_words], PhoneOptions(filler_penalty=4.0))

    def fit(self, f0: int, f1: int, ids: Sequence[int]) -> float:
        """Per-frame log-ratio of the reading's CTC likelihood to free decoding over [f0, f1) (0 = perfect)."""
        ll = float(self.loglik(f0, f1, [ids])[0])
        return (ll - float(self.logp[f0:f1].max(axis=1).sum())) / max(1, f1 - f0)

    def loglik(self, f0: int, f1: int, seqs: Sequence[Sequence[int]]) -> np.ndarray:
        """CTC log-likelihood of every token sequence over frames [f0, f1) (many: over their prefix tree)."""
        if len(seqs) > 32:
            return ctc_trie(self.logp[f0:f1], [list(s) for s in seqs], self.pm.blank)
        return ctc_batch(self.logp[f0:f1], [list(s) for s in seqs], self.pm.blank)


_DE_MORPHEMES = sorted(("ein eins eine zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn "
                        "sechzehn siebzehn achtzehn neunzehn zwanzig dreißig vierzig fünfzig sechzig siebzig achtzig "
                        "neunzig hundert tausend und").split(), key=len, reverse=True)


def _de_morphemes(word: str) -> Optional[list[str]]:
    """'neunhundertneunundneunzig' -> ['neun', 'hundert', 'neun', 'und', 'neunzig']; None if not a number compound."""
    if not word:
        return []
    for m in _DE_MORPHEMES:
        if word.startswith(m):
            rest = _de_morphemes(word[len(m):])
            if rest is not None:
                return [m] + rest
    return None


def ctc_trie(lp: np.ndarray, seqs: Sequence[Sequence[int]], blank: int) -> np.ndarray:
    """log P(seq | lp) under CTC for many token sequences that share prefixes (number readings): the forward
    algorithm runs once over their prefix tree, so 10,000 readings cost about as much as their distinct
    prefixes. Same result as `ctc_batch`."""
    T = lp.shape[0]
    if T == 0:
        return np.full(len(seqs), -np.inf)
    parent, tok, index = [-1], [blank], {}
    ends = []
    for s in seqs:
        node = 0
        for k in s:
            key = (node, int(k))
            nxt = index.get(key)
            if nxt is None:
                nxt = index[key] = len(tok)
                parent.append(node)
                tok.append(int(k))
            node = nxt
        ends.append(node)
    parent = np.array(parent)
    tok = np.array(tok)
    N = len(tok)
    NEG = np.float32(-1e30)
    lp = np.asarray(lp, dtype=np.float32)
    # node 0 is the root: only its blank state is used (the path before the first token)
    a_tok = np.full(N, NEG, dtype=np.float32)
    a_blk = np.full(N, NEG, dtype=np.float32)
    a_blk[0] = lp[0, blank]
    first = parent == 0
    first[0] = False
    a_tok[first] = lp[0, tok[first]]
    p = np.maximum(parent, 0)
    same = (tok == tok[p]) & (parent > 0)
    for t in range(1, T):
        from_parent = np.where(same, a_blk[p], np.logaddexp(a_blk[p], a_tok[p]))
        from_parent[0] = NEG
        new_tok = np.logaddexp(a_tok, from_parent) + lp[t, tok]
        new_tok[0] = NEG
        new_blk = np.logaddexp(a_blk, a_tok) + lp[t, blank]
        a_tok, a_blk = new_tok, new_blk
    e = np.array(ends)
    res = np.logaddexp(a_tok[e], a_blk[e]).astype(np.float64)
    return np.where(res < -1e29, -np.inf, res)


def ctc_batch(lp: np.ndarray, seqs: Sequence[Sequence[int]], blank: int, chunk: int = 2048) -> np.ndarray:
    """log P(seq | lp) under CTC for many token sequences at once (forward algorithm on a padded batch)."""
    out = np.empty(len(seqs))
    for c0 in range(0, len(seqs), chunk):
        out[c0:c0 + chunk] = _ctc_chunk(lp, seqs[c0:c0 + chunk], blank)
    return out


def _ctc_chunk(lp: np.ndarray, seqs: Sequence[Sequence[int]], blank: int) -> np.ndarray:
    T, N = lp.shape[0], len(seqs)
    if T == 0:
        return np.full(N, -np.inf)
    L = max(1, max(len(s) for s in seqs))
    S = 2 * L + 1
    ext = np.full((N, S), blank, dtype=np.int64)
    for n, s in enumerate(seqs):
        if len(s):
            ext[n, 1:2 * len(s):2] = s
    lens = np.array([2 * len(s) + 1 for s in seqs])
    skip = np.zeros((N, S), bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    valid = np.arange(S)[None, :] < lens[:, None]
    NEG = np.float32(-1e30)
    alpha = np.full((N, S), NEG, dtype=np.float32)
    alpha[:, 0] = lp[0, blank]
    alpha[:, 1] = np.where(lens > 1, lp[0, ext[:, 1]], NEG)
    a1 = np.full((N, S), NEG, dtype=np.float32)
    a2 = np.full((N, S), NEG, dtype=np.float32)
    for t in range(1, T):
        a1[:, 1:] = alpha[:, :-1]
        a2[:, 2:] = np.where(skip[:, 2:], alpha[:, :-2], NEG)
        alpha = np.logaddexp(np.logaddexp(alpha, a1), a2) + lp[t][ext]
        alpha[~valid] = NEG
    idx = np.arange(N)
    last = alpha[idx, lens - 1]
    prev = np.where(lens > 1, alpha[idx, np.maximum(lens - 2, 0)], NEG)
    res = np.logaddexp(last, prev).astype(np.float64)
    return np.where(res < -1e29, -np.inf, res)


# ------------------------------------------------------------------------------------------------
# cases and evidence


@dataclass
class Reading:
    """One candidate value of a number, with what each witness says about it."""

    value: Decimal
    spoken: str  # the canonical spoken form (`numbers.spoken_form`)
    heard: set[str] = field(default_factory=set)  # "prompted" / "unprompted": passes that heard this value
    proposed: bool = False  # proposed by the phone model's search
    neighbour: bool = False  # a one-digit change of the script's value (or of a value about to be shown), added before verifying it
    of_shown: bool = False  # ... of the value about to be shown (`VerifyOptions.shown_neighbours`)
    pmi: float = float("nan")  # Whisper decoder PMI of the window text with this reading (nats)
    lp: float = float("nan")  # ... its plain log-likelihood log p(text | audio), without the silence baseline (nats)
    ctc: float = float("nan")  # phone CTC log-likelihood over the span, with the per-phone bonus (nats)
    phones: int = 0
    tokens: int = 0  # Whisper tokens of the canonical spoken form (PMI is a sum over tokens: longer readings gather more)
    alts: list[str] = field(default_factory=list)  # other ways to say it (scored too; a reading scores its best way)
    best_form: Optional[str] = None  # the wording the phone model heard best (the aligner times the word by it)

    def forms(self) -> list[str]:
        return [self.spoken] + [a for a in self.alts if a != self.spoken]


@dataclass
class Case:
    """One number of the captions under judgement."""

    index: int
    script: num.Amount
    script_text: str
    finding: Optional[Finding] = None  # what the correction stage said about it (mismatch / unverified)
    prompted: Optional[Decimal] = None  # value the prompted pass heard (None: no number / not recognised)
    prompted_text: Optional[str] = None
    unprompted: Optional[Decimal] = None
    unprompted_text: Optional[str] = None
    fallback: bool = False  # captions follow the script: nobody heard this number
    # values of the same kind in script words the correction stage reported skipped right before or after the number:
    # the recogniser with the script may have written the script's *other* price for the one said ("Now only $109.95"
    # for "now only eighty ninety five", skipping the script's "$80.95, down from"); each is a reading of the case
    skipped_values: list[Decimal] = field(default_factory=list)
    written_by: str = "the script"  # whose writing the number is (an imported caption file's name)
    span: Optional[tuple[float, float]] = None  # seconds
    readings: list[Reading] = field(default_factory=list)
    hearing: float = float("nan")  # Whisper: mean PMI per token of the window with the script's reading
    phone_fit: float = float("nan")  # phones: mean per-frame log-ratio of the number's neighbourhood
    seconds: float = 0.0

    def reading(self, value: Decimal) -> Optional[Reading]:
        return next((r for r in self.readings if r.value == value), None)

    @property
    def whisper_votes(self) -> bool:
        return math.isfinite(self.hearing) and self.hearing >= self._opts.min_hearing

    @property
    def phone_votes(self) -> bool:
        return math.isfinite(self.phone_fit) and self.phone_fit >= self._opts.min_phone_fit

    _opts: VerifyOptions = field(default_factory=VerifyOptions, repr=False)

    def features(self, x: Reading, y: Optional[Reading] = None) -> list[float]:
        """Witness differences of reading x against reading y (default: the script's), FEATURES order; 0 where
        a witness does not vote (cannot follow this voice)."""
        s = y if y is not None else self.reading(self.script.value)
        w_ok = self.whisper_votes and math.isfinite(x.pmi) and math.isfinite(s.pmi)
        d_pmi = (x.pmi - s.pmi) if w_ok else 0.0
        d_tok = float(x.tokens - s.tokens) if w_ok else 0.0
        ok = self.phone_votes and math.isfinite(x.ctc) and math.isfinite(s.ctc)
        d_ctc = (x.ctc - s.ctc) if ok else 0.0
        d_ph = float(x.phones - s.phones) if ok else 0.0
        d_p = float("prompted" in x.heard) - float("prompted" in s.heard)
        d_u = float("unprompted" in x.heard) - float("unprompted" in s.heard)
        k = self._opts.clip  # one witness's landslide must not outvote the others (scores are sums over a span)
        return [max(-k, min(k, d_pmi)), d_tok, max(-k, min(k, d_ctc)), d_ph, d_p, d_u]

    def probability(self, x: Reading, y: Optional[Reading] = None) -> float:
        """Calibrated probability that the voice said x rather than y (default: the script's value), given that
        it said one of the two (a pairwise logistic model without intercept: p(x, y) = 1 − p(y, x))."""
        z = float(np.dot(self._opts.weights, self.features(x, y)))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _is_claim(a: num.Amount) -> bool:
    return a.kind in CLAIMS


def _heard_near(ref: Sequence[Word], t0: float, t1: float, like: num.Amount, language: str) -> tuple[Optional[Decimal], Optional[str]]:
    """The value the (unprompted) transcript has around [t0, t1]: each spoken number phrase read whole."""
    from .hint import _asr_units, _number_runs

    units = [u for u in _asr_units(list(ref), language) if min(u.end, t1 + 0.3) - max(u.start, t0 - 0.3) > 0]
    runs = _number_runs(units, language, like.kind == "code")
    heard_text = None
    for r in runs:
        texts = [u.text for u in r]
        for cand_texts in (texts, texts[1:] if like.kind == "code" else None):
            if not cand_texts:
                continue
            cands = num.parse_spoken(cand_texts, language)
            if num.same_value(like, cands):
                return like.value, " ".join(texts)
            said = num.primary_value(cands, like=like)
            if said is not None and said.kind == like.kind and said.value is not None and (
                    like.kind != "price" or said.currency in (None, like.currency)):
                return said.value, " ".join(texts)
        if any(u.amount is not None or num.number_role(u.text.strip(_PUNCT), language) == "value" for u in r):
            heard_text = heard_text or " ".join(texts)
    return None, heard_text


def _cases(words: list[Word], findings: list[Finding], language: str, reference: Optional[Transcript],
           opts: VerifyOptions, written_by: Optional[str] = None) -> list[Case]:
    # captions follow the script (no recogniser could follow the voice), or are a user's imported caption file
    # (`written_by`: no recogniser ran): every number is judged by the acoustic witnesses alone
    fallback = written_by is not None or (
        any(f.kind == "asr_unreliable" for f in findings) and bool(words) and all(w.source == "script" for w in words))
    by_index: dict[int, Finding] = {}
    # script words put back where the prompted pass wrote nothing (hint.correct): no recogniser pass with the prompt heard them
    restored = {i for f in findings if f.kind == "script_restored" for i in f.word_indices}
    for f in findings:
        if f.kind in MISMATCH + ("unverified_claim",) and len(f.word_indices) == 1 and 0 <= f.word_indices[0] < len(words):
            by_index[f.word_indices[0]] = f
    cases = []
    skips = [f for f in findings if f.kind == "script_skipped" and not f.word_indices and f.script_text
             and f.start is not None]
    for i, w in enumerate(words):
        f = by_index.get(i)
        a = _amount(w.text, language)
        if f is not None and f.kind in MISMATCH and f.script_text:
            s = _amount(f.script_text, language)
            if s is None:
                continue
            heard = a if a is not None and a.kind == s.kind else None
            c = Case(i, s, _bare(f.script_text), f, prompted=heard.value if heard else None,
                     prompted_text=f.spoken_text or w.text)
        elif a is not None and (w.spoken is not None or written_by is not None) and (
                _is_claim(a) or f is not None or (fallback and a.kind == "number")):
            # a number matched to the script (the correction stage set its spoken form); inserted words are not judged
            unheard = fallback or i in restored
            c = Case(i, a, _bare(w.text), f, prompted=None if unheard else a.value,
                     prompted_text=None if unheard else (w.spoken or w.text))
        else:
            continue
        c.fallback = fallback
        if written_by is not None:
            c.written_by = written_by
        c._opts = opts
        if reference is not None and reference.words and not fallback and i not in restored:
            c.unprompted, c.unprompted_text = _heard_near(reference.words, w.start, w.end, c.script, language)
        elif f is not None and f.kind == "unverified_claim" and f.spoken_text and not fallback:
            said = num.primary_value(num.parse_spoken(f.spoken_text, language), like=c.script)
            c.unprompted = said.value if said is not None and said.kind == c.script.kind else None
            c.unprompted_text = f.spoken_text
        elif f is not None and f.kind == "unverified_claim" and f.spoken_text and fallback and written_by is None:
            # captions that fell back to the script: another value the prompted pass wrote against its prompt
            # (`hint._prompted_other_values`) is that witness's reading
            said = num.primary_value(num.parse_spoken(f.spoken_text, language), like=c.script)
            if said is not None and said.kind == c.script.kind and said.value != c.script.value:
                c.prompted, c.prompted_text = said.value, f.spoken_text
        if skips and not fallback:
            c.skipped_values = _skipped_values(c, words, skips, language)
        # what a pass wrote stays in the messages; a value out of the number's shape is no reading of it
        if c.prompted is not None and not in_shape(c.prompted, c.script):
            c.prompted = None
        if c.unprompted is not None and not in_shape(c.unprompted, c.script):
            c.unprompted = None
        cases.append(c)
    return cases


def _skipped_values(c: Case, words: list[Word], skips: list[Finding], language: str) -> list[Decimal]:
    """`Case.skipped_values`: a skip sits right after the word whose end it starts at (`hint.correct`)."""
    from .hint import script_tokens

    ends = [words[c.index].end] + ([words[c.index - 1].end] if c.index > 0 else [])
    out: list[Decimal] = []
    for f in skips:
        if not any(abs(f.start - e) < 1e-6 for e in ends):
            continue
        for tok in script_tokens(f.script_text, language)[0]:
            a = _amount(tok, language)
            if a is not None and a.kind == c.script.kind and a.currency == c.script.currency and \
                    a.value != c.script.value and a.value not in out and in_shape(a.value, c.script):
                out.append(a.value)
    return out


def _agreed(c: Case) -> bool:
    return c.prompted == c.script.value and c.unprompted == c.script.value


def in_shape(value: Optional[Decimal], script: num.Amount) -> bool:
    """Whether a heard value can be a reading of the script's number at all: at most ten times the largest value of
    the script value's shape (`_grammar`: 999, or 9999 from 1,000 up), so one more digit than the script's is a
    reading. A recogniser that runs two prices into one number writes a value no voice says for one price: seed
    1212's unprompted pass wrote "4490179590" over "$44.90 instead of $75.90"; taken as a reading of both, it led
    the posterior for "$47.90" (p = 0.72, named first in the error) and turned the honest "$75.90" into a dispute."""
    if value is None:
        return False
    if script.kind == "time":
        return value <= 24 and (value - int(value)) * 100 < 60
    if script.kind in ("percent", "discount"):
        return value <= 1000
    return value < (100000 if script.value >= 1000 else 10000)


def _grammar(a: num.Amount) -> list[Decimal]:
    """Every value of the script value's shape (the phone model's search space)."""
    v = a.value
    if a.kind == "time":  # every time of day on the clock the script writes (00:00-23:59)
        return [Decimal(h) + Decimal(m) / 100 for h in range(0, 24) for m in range(0, 60)]
    if a.kind == "price" and v != int(v):
        cents = v - int(v)
        return [Decimal(m) + cents for m in range(0, 1000)]
    if a.kind in ("percent", "discount"):
        return [Decimal(k) for k in range(1, 101)]
    top = 9999 if v >= 1000 else 999
    return [Decimal(k) for k in range(1, top + 1)]


def _cents(a: num.Amount, majors: Sequence[Decimal]) -> list[Decimal]:
    if a.kind != "price" or a.value == int(a.value):
        return []
    return [Decimal(int(m)) + Decimal(c) / 100 for m in majors for c in range(100)]


class _AdContext:
    """Per-ad state shared by the cases: the phone witness, its caption alignment, the Whisper witness."""

    def __init__(self, audio, words, language, model, phone_model, opts):
        self.audio, self.words, self.language, self.opts = audio, words, language, opts
        self.duration = len(audio) / SAMPLE_RATE
        self.spoken = [_spoken(w, language) for w in words]
        self._model = model
        self._phone_model = phone_model
        self._phones = None
        self._alignment = None
        self._whisper = None

    @property
    def phones(self) -> Optional[PhoneWitness]:
        if self._phones is None:
            try:
                self._phones = PhoneWitness(self.audio, self.language, self._phone_model)
            except Exception:  # the phone model is missing or cannot run here: one witness fewer
                self._phones = False
        return self._phones or None

    @property
    def alignment(self):
        if self._alignment is None and self.phones is not None:
            self._alignment = self.phones.align(self.spoken)
        return self._alignment

    @property
    def whisper(self) -> WhisperWitness:
        if self._whisper is None:
            model = self._model
            if model is None:
                from .asr.whisper import load_judge_model

                model = load_judge_model()
            self._whisper = WhisperWitness(model, self.language)
        return self._whisper

    def span_frames(self, i: int) -> Optional[tuple[int, int]]:
        al = self.alignment
        if al is None or al.words[i].start is None:
            return None
        return al.words[i].start, al.words[i].end + 1

    def word_time(self, i: int) -> tuple[float, float]:
        """Best time of word i: the phone alignment (minus the model's lag) where it placed the word, else the word's own."""
        sp = self.span_frames(i) if self.phones is not None else None
        if sp is not None:
            f = self.phones.frame_s
            return max(0.0, sp[0] * f - 0.08), sp[1] * f
        return self.words[i].start, self.words[i].end


def _neighbour(words: list[Word], i: int, step: int) -> Optional[int]:
    k = i + step
    while 0 <= k < len(words):
        if words[k].text.strip(_PUNCT + " "):
            return k
        k += step
    return None


def _phone_scores(ctx: _AdContext, c: Case, opts: VerifyOptions) -> None:
    """CTC scores of the readings over the number's span with its neighbours; proposals where nobody heard."""
    ph = ctx.phones
    if ph is None:
        return
    i = c.index
    prev, nxt = _neighbour(ctx.words, i, -1), _neighbour(ctx.words, i, +1)
    spans = [ctx.span_frames(k) for k in (prev, i, nxt) if k is not None]
    spans = [s for s in spans if s is not None]
    if not spans:
        return
    T = ph.logp.shape[0]
    f0 = max(0, min(s[0] for s in spans) - 8)
    f1 = min(T, max(s[1] for s in spans) + 8)
    s_forms = c.reading(c.script.value).forms()
    ph.prefetch(s_forms + [ctx.spoken[k] for k in (prev, nxt) if k is not None])
    left = ph.ids(ctx.spoken[prev]) if prev is not None else []
    right = ph.ids(ctx.spoken[nxt]) if nxt is not None else []
    c.phone_fit = max(ph.fit(f0, f1, left + ph.ids(f) + right) for f in s_forms)

    def score(values: Sequence[Decimal], g0: int = f0, g1: int = f1, context: bool = True) -> np.ndarray:
        spk = [_say(c, v, ctx.language) for v in values]
        ph.prefetch(spk)
        lr = (left, right) if context else ([], [])
        seqs = [lr[0] + ph.ids(x) + lr[1] for x in spk]
        n = np.array([len(s) - len(lr[0]) - len(lr[1]) for s in seqs])
        return ph.loglik(g0, g1, seqs) + opts.phone_bonus * n, n

    if opts.proposals > 0:  # also where a recogniser heard another value: it may have misheard both
        # the search scores the number's own frames (its neighbours' phones cost every reading alike)
        own_span = ctx.span_frames(i) or (f0, f1)
        g0, g1 = max(0, own_span[0] - 6), min(T, own_span[1] + 6)
        grid = _grammar(c.script)
        ll, n = score(grid, g0, g1, False)
        ll = ll - opts.phone_bonus * n  # raw likelihoods; each search bonus ranks them its own way
        picks: list[Decimal] = []
        for b in opts.proposal_bonuses:
            sc = ll + b * n
            top = [grid[k] for k in np.argsort(-sc)[: opts.proposals]]
            fine = _cents(c.script, top[:4])
            if fine:
                ll2, n2 = score(fine, g0, g1, False)
                sc2 = ll2 - opts.phone_bonus * n2 + b * n2
                both = sorted(zip(list(sc) + list(sc2), grid + fine), key=lambda x: -x[0])
                top = list(dict.fromkeys(v for _, v in both))[: opts.proposals]
            picks += top
        seen = {r.value for r in c.readings}
        for v in dict.fromkeys(picks):
            if v > 0 and v not in seen:
                c.readings.append(Reading(v, _say(c, v, ctx.language), proposed=True))
                seen.add(v)
    forms = [(r, f) for r in c.readings for f in r.forms()]
    ph.prefetch([f for _, f in forms])
    seqs = [left + ph.ids(f) + right for _, f in forms]
    n = np.array([len(x) - len(left) - len(right) for x in seqs])
    sc = ph.loglik(f0, f1, seqs) + opts.phone_bonus * n
    for r in c.readings:
        r.ctc = float("-inf")
    for (r, f), s_, k in zip(forms, sc, n):
        if s_ > r.ctc:
            r.ctc, r.phones, r.best_form = float(s_), int(k), f


def _whisper_scores(ctx: _AdContext, c: Case, opts: VerifyOptions) -> None:
    """PMI of each reading written into a local window of the caption, against that window's audio."""
    i, words = c.index, ctx.words
    k0, k1 = max(0, i - opts.window_words), min(len(words), i + opts.window_words + 1)
    t0 = max(0.0, ctx.word_time(k0)[0] - 0.25)
    t1 = min(ctx.duration, ctx.word_time(k1 - 1)[1] + 0.35)
    if t1 - t0 > 29.0:  # a very slow voice: keep the window inside one Whisper context
        t0 = max(0.0, ctx.word_time(i)[0] - 14.5)
        t1 = min(ctx.duration, t0 + 29.0)
    clip = ctx.audio[int(t0 * SAMPLE_RATE): int(t1 * SAMPLE_RATE)]
    key = (round(t0, 3), round(t1, 3))
    before, after = ctx.spoken[k0:i], ctx.spoken[i + 1:k1]
    forms = [(r, f) for r in c.readings for f in r.forms()]
    texts = [_join(before + [f] + after, ctx.language) for _, f in forms]
    res = ctx.whisper.pmi(key, clip, texts)
    raw = ctx.whisper.loglik(key, texts)
    for r in c.readings:
        r.tokens = len(ctx.whisper.tokens(r.spoken))
    for r in c.readings:
        r.pmi = r.lp = float("-inf")
    for (r, _), (p, n), lp in zip(forms, res, raw):
        if math.isfinite(lp) and lp > r.lp:
            r.lp = lp
        if math.isfinite(p) and p > r.pmi:
            r.pmi = p
            if r.value == c.script.value:
                c.hearing = p / max(1, n)


def gather(audio: np.ndarray, words: list[Word], findings: list[Finding], language: str, *,
           reference: Optional[Transcript] = None, model=None, phone_model=None,
           options: Optional[VerifyOptions] = None, extra_values: Optional[dict[int, Sequence[Decimal]]] = None,
           acoustic_for_all: bool = False, written_by: Optional[str] = None) -> list[Case]:
    """Collect every witness's evidence for every number under judgement (see the module docstring).

    written_by: the words are a user's caption file of that name, not a recogniser's (every number is judged, by
    the acoustic witnesses alone). extra_values / acoustic_for_all serve the calibration benchmark (score given
    readings too; score cases the passes agreed on); the product leaves them unset."""
    import time

    opts = options or VerifyOptions()
    cases = _cases(words, findings, language, reference, opts, written_by)
    ctx = _AdContext(audio, words, language, model, phone_model, opts)
    for c in cases:  # the caption is aligned with the script's reading of each number (its neighbours anchor it)
        ctx.spoken[c.index] = _say(c, c.script.value, language)
    for c in cases:
        t = time.perf_counter()
        values: dict[Decimal, Reading] = {}

        def add(v: Optional[Decimal], who: Optional[str] = None):
            if v is None or v < 0:
                return
            r = values.get(v)
            if r is None:
                a = _with(c.script, v)
                r = values[v] = Reading(v, _say(c, v, language))
            if who:
                r.heard.add(who)
                if not r.alts:  # a value a witness stands for is scored in every common wording
                    r.alts = [num.with_affix_words(x, c.script_text, language)
                              for x in num.spoken_variants(_with(c.script, v), language)[1:]]

        add(c.script.value, "script")
        s = values[c.script.value]
        if c.finding is None or c.finding.kind not in MISMATCH:
            sp = words[c.index].spoken
            if sp and c.prompted == c.script.value and not any(ch.isdigit() for ch in sp):
                s.alts.append(sp)  # the words the recogniser heard ("veinticinco euros noventa")
        add(c.prompted, "prompted" if c.prompted is not None else None)
        add(c.unprompted, "unprompted" if c.unprompted is not None else None)
        for who, v in (("prompted", c.prompted), ("unprompted", c.unprompted)):
            for g in regroupings(v, c.script.value):
                add(g, who)  # the same words written with another grouping ("seven fifty six": 756 or 7.56)
        for v in c.skipped_values:
            add(v)
        for v in (extra_values or {}).get(c.index, []):
            add(v)
        if opts.one_digit and not any(v != c.script.value for v in (c.prompted, c.unprompted) if v is not None):
            for v in one_digit_changes(c.script.value):
                add(v)
        c.readings = list(values.values())
        if _agreed(c) and opts.agree_verifies and not acoustic_for_all:
            c.seconds = time.perf_counter() - t
            continue
        _phone_scores(ctx, c, opts)
        _whisper_scores(ctx, c, opts)
        first = decide(c, opts).kind if opts.verify_neighbours else None
        if first in ("verified", "mismatch"):
            # a verdict that lets a price through without a word, or shows another value, must have weighed the
            # script value's nearest rivals: the posterior is over the case's readings only. Seed 505 (a report
            # set) verified "1.499 €" said "neuntausendvierhundertneunundneunzig" under a music bed (nobody
            # heard 9499, the phone model's search did not propose it); seed 606 showed 13,90 € for "31,90 €"
            # said "dreißig Euro neunzig" (30.90, one digit from the script's value, was never a reading).
            near = [Reading(v, _say(c, v, language), neighbour=True)
                    for v in one_digit_changes(c.script.value) if v > 0 and c.reading(v) is None and in_shape(v, c.script)]
            c.readings += near
            _phone_scores(ctx, c, replace(opts, proposals=0))
            if first == "verified" and opts.veto_chunk > 0:
                # one neighbour's veto is enough (`_neighbour_rival`): the Whisper decoder, most of the cost, scores
                # them a few at a time, the phone model's likeliest first, and stops at the first veto. The verdict
                # is the same dispute as with all of them scored; the rival it names is the likeliest so far.
                c.readings = [r for r in c.readings if not r.neighbour]
                near.sort(key=lambda r: -r.ctc)
                for k in range(0, len(near), opts.veto_chunk):
                    c.readings += near[k:k + opts.veto_chunk]
                    _whisper_scores(ctx, c, opts)
                    if _neighbour_rival(c, opts)[0] is not None:
                        break
            else:
                _whisper_scores(ctx, c, opts)
            v = decide(c, opts)
            if v.kind == "mismatch" and opts.shown_neighbours:
                # a value about to be shown must also beat its own one-digit neighbours (seed 808: "32,99 €" shown at
                # 0.99 for "30,95 €" said "zweiunddreißig Euro neunundvierzig"; 32,49 €, one digit from the shown
                # value and two from the script's, was never a reading)
                for x in one_digit_changes(v.value):
                    if x > 0 and c.reading(x) is None and in_shape(x, c.script):
                        c.readings.append(Reading(x, _say(c, x, language), neighbour=True, of_shown=True))
                _phone_scores(ctx, c, replace(opts, proposals=0))
                _whisper_scores(ctx, c, opts)
        c.span = ctx.word_time(c.index)
        c.seconds = time.perf_counter() - t
    return cases


# ------------------------------------------------------------------------------------------------
# verdicts


@dataclass
class Verdict:
    kind: str  # "verified" | "mismatch" | "rejected" (the script's value is not what was said; the said one unsure) | "disputed"
    value: Decimal  # the value the caption shows
    other: Optional[Reading] = None  # the strongest other reading
    probability: float = 0.0  # of `other` against the script's value
    witnesses: list[str] = field(default_factory=list)  # who supports the shown value (mismatch) / the script's (verified)
    p_script: float = float("nan")  # posterior of the script's reading (posterior rule)
    misplaced: bool = False  # "rejected" because the script's other value, reported skipped beside it, fits better


def _misplaced(c: Case, opts: VerifyOptions) -> Optional[Reading]:
    """A value of `Case.skipped_values` that both acoustic witnesses, each voting, prefer to the script's reading past
    their margins: the recogniser with the script wrote the script's other price at this place (g3201-en-02, a cut
    at 3.79 s: "Now only $109.95" for "now only eighty ninety five", "$80.95, down from" reported skipped; the Whisper
    decoder prefers 80.95 by 5.5 nats, the phone model by 34). Independent of the posterior, which the prompted pass's
    exact script value keeps near 0.5 there."""
    s = c.reading(c.script.value)
    if s is None or not c.skipped_values or not (c.whisper_votes and c.phone_votes):
        return None
    best = None
    for v in c.skipped_values:
        r = c.reading(v)
        if r is None or not (math.isfinite(r.pmi) and math.isfinite(s.pmi) and math.isfinite(r.ctc) and math.isfinite(s.ctc)):
            continue
        if r.pmi - s.pmi > opts.margin_whisper and r.ctc - s.ctc > opts.margin_phones and (best is None or r.pmi > best.pmi):
            best = r
    return best


def _supporters(c: Case, x: Reading) -> list[str]:
    """Independent witnesses that prefer reading x over every other reading."""
    out = [w for w in ("prompted", "unprompted") if w in x.heard]
    others = [r for r in c.readings if r is not x]
    if c.whisper_votes and math.isfinite(x.pmi) and all(not math.isfinite(r.pmi) or x.pmi > r.pmi for r in others):
        out.append("whisper")
    if c.phone_votes and math.isfinite(x.ctc) and all(not math.isfinite(r.ctc) or x.ctc > r.ctc for r in others):
        out.append("phones")
    return out


def _against_script(c: Case, x: Reading) -> tuple[list[str], list[str]]:
    """(witnesses that prefer x over the script's reading, voting acoustic witnesses that do not)."""
    s = c.reading(c.script.value)
    pro = [w for w in ("prompted", "unprompted") if w in x.heard]
    con = []
    for name, votes, a, b in (("whisper", c.whisper_votes, x.pmi, s.pmi), ("phones", c.phone_votes, x.ctc, s.ctc)):
        if not votes or not (math.isfinite(a) and math.isfinite(b)):
            continue
        (pro if a > b else con).append(name)
    return pro, con


def posterior(c: Case, opts: Optional[VerifyOptions] = None, neighbours: bool = False,
              readings: Optional[list[Reading]] = None) -> list[tuple[Reading, float]]:
    """P(the voice said x | the evidence, it said one of the candidate readings), for every reading: a
    conditional logit, softmax of w · f(x) with f = (FEATURES of x against the script's reading, 1 for the
    script's own reading); fitted by maximum likelihood on the TUNING ads (`bench_numbers_judge.py`)."""
    opts = opts or c._opts
    c._opts = opts
    w = np.asarray(opts.post_weights, dtype=float)
    if readings is None:
        readings = c.readings if neighbours else _judged(c)
    z = np.array([float(np.dot(w, f)) for f in posterior_features(c, opts, readings)])
    p = np.exp(z - z.max())
    p /= p.sum()
    return sorted(zip(readings, (float(x) for x in p)), key=lambda t: -t[1])


def _judged(c: Case) -> list[Reading]:
    """The readings the posterior is over: all but the one-digit neighbours added to check a verification (they
    veto it instead, see `_neighbour_rival`; the calibrated model was fitted without them)."""
    return [r for r in c.readings if not r.neighbour]


def _neighbour_rival(c: Case, opts: VerifyOptions) -> tuple[Optional[Reading], list[str]]:
    """A one-digit neighbour of the script's value that vetoes its verification (the one with the largest lead) and
    the witness that vetoes; else (None, []). The Whisper decoder vetoes by standing for a neighbour past its margin (seed 505: "9.499 €" said for
    "1.499 €" under a music bed, +9.8 nats, while the phone model preferred the script's by 17); the phone model
    vetoes only where the Whisper decoder does not rule the neighbour out past its margin (it prefers a dozen
    wrong neighbours of an honest "39,99 €" that Whisper rules out by 14–28 nats). Whisper is the stronger
    witness: on the TUNING ads it put the truth first in 22 of 30 changed prices, the two together in 24."""
    s = c.reading(c.script.value)
    best, lead, who = None, 0.0, []
    for r in c.readings:
        if not r.neighbour:
            continue
        d_w = r.pmi - s.pmi if c.whisper_votes and math.isfinite(r.pmi) and math.isfinite(s.pmi) else None
        d_p = r.ctc - s.ctc if c.phone_votes and math.isfinite(r.ctc) and math.isfinite(s.ctc) else None
        by_whisper = d_w is not None and d_w > opts.margin_whisper
        by_phones = d_p is not None and d_p > opts.margin_phones and not (d_w is not None and -d_w > opts.margin_whisper)
        if by_whisper or by_phones:
            d = max(d_w - opts.margin_whisper if by_whisper else -math.inf, d_p - opts.margin_phones if by_phones else -math.inf)
            if best is None or d > lead:
                best, lead, who = r, d, ["whisper" if by_whisper else "phones"]
    if best is not None:
        return best, who
    # no witness prefers a neighbour past its margin; the script's reading must still win against each neighbour with the
    # verifying level of the calibrated posterior taken over just the two (seed 606: "81,99 €" said "quarante et un euros
    # quatre-vingt-dix-neuf", the Whisper decoder and the phone model both within 0.1 nats of the two: a tie, not a margin)
    p, r = min(((head_to_head(c, s, r, opts), r) for r in c.readings if r.neighbour), default=(1.0, None), key=lambda t: t[0])
    if r is not None and p < opts.post_verify:
        return r, ["a tie of the witnesses"]
    return None, []


def head_to_head(c: Case, x: Reading, y: Reading, opts: VerifyOptions) -> float:
    """P(the voice said x | it said x or y): the calibrated posterior (`posterior`) over just these two readings —
    unlike the posterior over all of them, it does not sink because many unlikely readings each take a little."""
    w = np.asarray(opts.post_weights, dtype=float)
    zx, zy = (float(np.dot(w, f)) for f in posterior_features(c, opts, [x, y]))
    return 1.0 / (1.0 + math.exp(min(700.0, zy - zx)))


def posterior_features(c: Case, opts: VerifyOptions, readings: Optional[list[Reading]] = None) -> list[list[float]]:
    """Per reading: (PMI, Whisper tokens, CTC, phones, heard by P, heard by U, is the script's, the script's and
    heard by P, the script's and heard by U) — a recogniser hearing the script's value (it may parrot the
    prompt) weighs differently from one hearing another value. PMI and CTC are
    taken against the best reading of the case and clipped to -`post_clip` nats (a reading far behind is simply
    behind; the readings near the top keep their differences); tokens and phones against the script's reading;
    0 where the witness does not vote."""
    s = c.reading(c.script.value)
    k = opts.post_clip
    w_ok = c.whisper_votes and math.isfinite(s.pmi)
    p_ok = c.phone_votes and math.isfinite(s.ctc)
    readings = _judged(c) if readings is None else readings
    top_pmi = max((r.pmi for r in readings if math.isfinite(r.pmi)), default=0.0)
    top_ctc = max((r.ctc for r in readings if math.isfinite(r.ctc)), default=0.0)
    top_lp = max((r.lp for r in readings if math.isfinite(r.lp)), default=0.0)
    lp_ok = w_ok and math.isfinite(s.lp)  # (evidence gathered before 2026-12-01 has no plain likelihood: 0)
    out = []
    for r in readings:
        a = max(-k, r.pmi - top_pmi) if w_ok and math.isfinite(r.pmi) else (-k if w_ok else 0.0)
        lp = max(-k, r.lp - top_lp) if lp_ok and math.isfinite(r.lp) else (-k if lp_ok else 0.0)
        b = max(-k, r.ctc - top_ctc) if p_ok and math.isfinite(r.ctc) else (-k if p_ok else 0.0)
        me = r is s
        out.append([a, float(r.tokens - s.tokens) if w_ok else 0.0, b, float(r.phones - s.phones) if p_ok else 0.0,
                    float("prompted" in r.heard and not me), float("unprompted" in r.heard and not me), 1.0 if me else 0.0,
                    float("prompted" in r.heard and me), float("unprompted" in r.heard and me), lp])
    return out


def _witnesses(c: Case, x: Reading, opts: VerifyOptions) -> tuple[list[str], list[str]]:
    """(witnesses for x against the script's reading, voting acoustic witnesses for the script's): a recogniser
    pass for x when it heard x; an acoustic witness when its score difference passes its margin — the size of
    the differences it produces between wrong readings and the truth on the TUNING ads."""
    s = c.reading(c.script.value)
    pro = [w for w in ("prompted", "unprompted") if w in x.heard]
    con = []
    for name, votes, a, b, m in (("whisper", c.whisper_votes, x.pmi, s.pmi, opts.margin_whisper),
                                 ("phones", c.phone_votes, x.ctc, s.ctc, opts.margin_phones)):
        if not votes or not (math.isfinite(a) and math.isfinite(b)):
            continue
        if a - b > m:
            pro.append(name)
        elif b - a > m:
            con.append(name)
    return pro, con


def _stands_for_script(c: Case, opts: VerifyOptions) -> bool:
    """A voting acoustic witness prefers the script's reading to every other reading by more than its margin."""
    s = c.reading(c.script.value)
    for votes, attr, m in ((c.whisper_votes, "pmi", opts.margin_whisper), (c.phone_votes, "ctc", opts.margin_phones)):
        mine = getattr(s, attr)
        others = [getattr(r, attr) for r in c.readings if r is not s and math.isfinite(getattr(r, attr))]
        if votes and math.isfinite(mine) and others and mine - max(others) > m:
            return True
    return False


def _without_shown_neighbours(c: Case) -> list[Reading]:
    """The case's readings without the one-digit neighbours of a value about to be shown."""
    return [r for r in c.readings if not r.of_shown]


def _told_apart(c: Case, opts: VerifyOptions, top: Reading) -> bool:
    """Each one-digit neighbour of a value about to be shown, where it is a reading, is ruled out by some voting acoustic
    witness: it prefers the shown value by more than `separate_shown` × its margin (`VerifyOptions.separate_shown`).
    Seed 2424 showed 28 € for a fast "treinta y ocho" (38) that every witness leaned towards 28; the one such value on
    the TUNING seed 101 leaned on a 0.3-nat tie of the Whisper decoder's PMI."""
    if opts.separate_shown <= 0:
        return True
    near = set(one_digit_changes(top.value))
    for r in c.readings:
        if r is top or r.value not in near:
            continue
        ok = False
        for votes, attr, m in ((c.whisper_votes, "pmi", opts.margin_whisper), (c.phone_votes, "ctc", opts.margin_phones)):
            a, b = getattr(top, attr), getattr(r, attr)
            if votes and math.isfinite(a) and (not math.isfinite(b) or a - b > opts.separate_shown * m):
                ok = True
                break
        if not ok:
            return False
    return True


def _leads_own_neighbours(c: Case, opts: VerifyOptions, top: Reading) -> bool:
    """A value about to be shown stays the likeliest reading once its own one-digit neighbours are among the readings
    (true when they were not added). Seed 808: "32,99 €" shown for 32,49 € said; with its neighbours 32,79 € led. Only
    the lead is asked, not post_flag: Whisper base rarely tells a hundreds digit apart — g101-de-01's true 128,99 €
    keeps the lead at 0.42 over 828,99 €."""
    return not any(r.of_shown for r in c.readings) or posterior(c, opts, neighbours=True)[0][0] is top


def _heard_by_both(c: Case, opts: VerifyOptions, post: list[tuple[Reading, float]]) -> Optional[Reading]:
    """In a case whose script value is ruled out: the value both recogniser passes wrote, in full, when it leads the
    posterior — among the case's readings, with the script value's one-digit neighbours, and with its own — and no
    voting acoustic witness prefers the script's reading to it past its margin; else None.

    The prompted pass writes another value than its prompt only against its own bias, and the unprompted pass wrote
    the same one: seed 707 "$338" for the script's "$179" and "$61.99" for "$68.99", both passes agreeing, were errors
    that kept the script's value because the acoustic witnesses spread the rest of the probability over one-digit
    neighbours nobody heard ($328, $313: posterior 0.90 for $338, under `post_flag`)."""
    s = c.reading(c.script.value)
    top = post[0][0]
    if top is s or not {"prompted", "unprompted"} <= top.heard or _witnesses(c, top, opts)[1]:
        return None
    near = _without_shown_neighbours(c)
    if any(r.neighbour for r in near) and posterior(c, opts, readings=near)[0][0] is not top:
        return None
    return top if _leads_own_neighbours(c, opts, top) and _told_apart(c, opts, top) else None


def decide(c: Case, opts: Optional[VerifyOptions] = None) -> Verdict:
    """The policy of the module docstring applied to one case's evidence."""
    opts = opts or c._opts
    c._opts = opts
    s = c.reading(c.script.value)
    if _agreed(c) and opts.agree_verifies:
        return Verdict("verified", c.script.value, witnesses=["prompted", "unprompted"])
    if opts.rule == "posterior":
        post = posterior(c, opts)
        top, p_top = post[0]
        best, p_best = next(((r, p) for r, p in post if r is not s), (None, 0.0))
        if top is not s and p_top >= opts.post_flag:
            pro, con = _witnesses(c, top, opts)
            if opts.second_witness == "direction" and {"whisper", "phones"} & set(pro):
                pro = pro + [w for w in _against_script(c, top)[0] if w not in pro]
            heard = not opts.need_heard or bool({"prompted", "unprompted"} & top.heard)
            # a value about to be shown must also hold its posterior with the script value's one-digit neighbours
            # among the readings (seed 606: 13,90 € at 0.97 for "31,90 €" said 30,90 €, which was not a reading;
            # with it, the two split the probability). More readings can only lower it: the safe direction.
            near = _without_shown_neighbours(c)
            sure = (not any(r.neighbour for r in near)
                    or next(p for r, p in posterior(c, opts, readings=near) if r is top) >= opts.post_flag)
            sure = sure and _leads_own_neighbours(c, opts, top) and _told_apart(c, opts, top)
            if len(pro) >= 2 and ({"whisper", "phones"} & set(pro)) and not con and heard and sure:
                return Verdict("mismatch", top.value, top, p_top, pro, next(p for r, p in post if r is s))
        p_script = next(p for r, p in post if r is s)
        acoustic = [w for w, ok in (("whisper", c.whisper_votes), ("phones", c.phone_votes)) if ok]
        if top is s and p_script >= opts.post_verify and acoustic:
            rival, who = _neighbour_rival(c, opts)
            if rival is None:
                return Verdict("verified", c.script.value, best, p_best, acoustic, p_script)
            return Verdict("disputed", c.script.value, rival, float("nan"), who, p_script)
        pro = _witnesses(c, best, opts)[0] if best is not None else []
        if p_script <= opts.post_reject and acoustic and not _stands_for_script(c, opts):
            y = _heard_by_both(c, opts, post) if opts.both_heard_shows else None
            if y is not None:
                return Verdict("mismatch", y.value, y, p_top, _witnesses(c, y, opts)[0], p_script)
            return Verdict("rejected", c.script.value, best, p_best, pro, p_script)
        other = _misplaced(c, opts)
        if other is not None:
            return Verdict("rejected", c.script.value, other, float("nan"), ["whisper", "phones"], p_script, misplaced=True)
        return Verdict("disputed", c.script.value, best, p_best, pro, p_script)
    others = [r for r in c.readings if r is not s]
    # the strongest other reading: the one whose worst pairwise probability against every other reading
    # (the script's included) is highest (clipped witness differences make the pairwise scores intransitive)
    best = max(others, key=lambda x: min(c.probability(x, y) for y in c.readings if y is not x), default=None)
    p_best = c.probability(best) if best is not None else 0.0
    p_any = max((c.probability(r) for r in others), default=0.0)
    pro, con = _against_script(c, best) if best is not None else ([], [])
    if best is not None and p_best >= opts.p_flag:
        # independent witnesses agree on the same other value: at least two prefer it to the script's, one of
        # them acoustic, no acoustic witness that votes prefers the script's, and it beats every other reading
        sep = min((c.probability(best, r) for r in others if r is not best), default=1.0)
        if len(pro) >= 2 and ({"whisper", "phones"} & set(pro)) and not con and sep >= opts.p_separate:
            return Verdict("mismatch", best.value, best, p_best, pro)
    acoustic = [w for w, ok in (("whisper", c.whisper_votes), ("phones", c.phone_votes)) if ok]
    if p_any <= opts.p_verify and acoustic:  # what the recognisers heard is inside the probabilities (FEATURES)
        return Verdict("verified", c.script.value, best, p_best, acoustic)
    return Verdict("disputed", c.script.value, best, p_best, pro)


def _describe(r: Optional[Reading], c: Case, language: str) -> str:
    if r is None:
        return "nothing else"
    return f"“{num.to_written(_with(c.script, r.value), language, like=c.script_text)}”"


def _who(r: Optional[Reading], c: Case) -> str:
    if r is None:
        return ""
    names = {"prompted": "the recogniser", "unprompted": "the unprompted recogniser", "whisper": "the Whisper decoder's scores",
             "phones": "the phone model"}
    sup = [names[w] for w in _supporters(c, r)]
    return " and ".join(sup) if sup else "no witness on its own"


def _bare(text: str) -> str:
    """A caption token without its punctuation, keeping a sign said as a word ("-20 %", not "20 %")."""
    return num.bare(text, _PUNCT)


def _heard_form(r: Optional[Reading]) -> Optional[str]:
    """A reading's wording the phone model heard best, where it is another common wording than the canonical one: the
    aligner then times the number by the words said ("तीन हज़ार चार सौ निन्यानबे" for ₹3,499, not "चौंतीस सौ
    निन्यानबे": the price lit up 0.83 s late and its speech was reported as an ad-lib)."""
    if r is None or not r.best_form or r.best_form == r.spoken or r.best_form not in r.alts:
        return None
    return r.best_form


def _apply(c: Case, v: Verdict, words: list[Word], findings: list[Finding], language: str) -> None:
    w = words[c.index]
    if c.finding is not None and c.finding in findings:
        findings.remove(c.finding)
    start, end = (c.span if c.span else (w.start, w.end))
    script_word = c.script_text.rstrip(_PUNCT) + _trail(w.text)
    if v.kind == "mismatch":
        said = _with(c.script, v.value)
        written = num.to_written(said, language, like=c.script_text)
        shown = c.reading(v.value)
        words[c.index] = w.model_copy(update={"text": written + _trail(w.text), "source": "corrected",
                                              "spoken": _heard_form(shown) or num.with_affix_words(num.spoken_form(said, language), c.script_text, language),
                                              "evidence": round(v.probability, 3)})
        kind = "price_mismatch" if c.script.kind == "price" else "number_mismatch"
        sev = Severity.error if _is_claim(c.script) else Severity.warning
        findings.append(Finding(kind=kind, severity=sev,
                                message=f"the voice says “{num.spoken_form(said, language)}” ({written}) where {c.written_by} says "
                                        f"“{c.script_text}”: {', '.join(v.witnesses)} agree (p = {v.probability:.3f}); "
                                        "captions show what was said",
                                start=start, end=end, script_text=c.script_text, spoken_text=num.spoken_form(said, language),
                                word_indices=[c.index]))
        return
    s = c.reading(c.script.value)
    if words[c.index].text.strip(_PUNCT + " \u00a0") != c.script_text.strip(_PUNCT + " \u00a0"):
        words[c.index] = w.model_copy(update={"text": script_word, "source": "script",
                                              "spoken": _heard_form(s) or num.with_affix_words(s.spoken, c.script_text, language)})
    elif _heard_form(s):
        words[c.index] = w.model_copy(update={"spoken": _heard_form(s)})
    if v.kind == "verified":
        why = ("the recogniser heard it with and without the script as a prompt" if v.witnesses == ["prompted", "unprompted"]
               else f"{', '.join(v.witnesses) or 'the witnesses'} prefer it"
               + (f" over {_describe(v.other, c, language)} (p = {v.probability:.3f})" if v.other is not None else ""))
        findings.append(Finding(kind="claim_verified", severity=Severity.info, message=f"“{c.script_text}”: {why}",
                                start=start, end=end, script_text=c.script_text, word_indices=[c.index]))
        return
    heard = []
    if c.prompted_text and c.prompted != c.script.value:
        heard.append(f"the recogniser heard “{c.prompted_text.strip(_PUNCT)}”")
    if c.unprompted_text and c.unprompted != c.script.value:
        heard.append(f"the unprompted recogniser heard “{c.unprompted_text.strip(_PUNCT)}”")
    if v.kind == "rejected" and v.misplaced:
        findings.append(Finding(kind="number_disputed", severity=Severity.error,
                                message=f"“{c.script_text}”: the recogniser wrote this value of {c.written_by} here, but "
                                        f"{c.written_by}'s {_describe(v.other, c, language)}, left out of the captions just "
                                        "beside it, fits the voice better (the Whisper decoder and the phone model both "
                                        "prefer it past their margins); "
                                        + "".join(h + "; " for h in heard)
                                        + f"captions keep “{c.script_text}”: listen and fix the captions, {c.written_by} or "
                                        "the voice-over before publishing",
                                start=start, end=end, script_text=c.script_text,
                                spoken_text=v.other.spoken if v.other is not None else None, word_indices=[c.index]))
        return
    if v.kind == "rejected":
        post = posterior(c, neighbours=True) if c._opts.rule == "posterior" else []
        likely = [(r, p) for r, p in post if r.value != c.script.value][:3]
        said = " or ".join(f"{_describe(r, c, language)} (p = {p:.2f})" for r, p in likely) or "another value"
        # a first reading past the showing level is held back for want of a second witness, not for doubt
        lone = bool(likely) and likely[0][1] >= c._opts.post_flag
        why = ("only one witness stands for it, and a value is shown only when two agree" if lone
               else "which one is not certain")
        findings.append(Finding(kind="number_disputed", severity=Severity.error,
                                message=f"“{c.script_text}”: the voice does not say it (p = {v.p_script:.3f} that it does); "
                                        + "".join(h + "; " for h in heard)
                                        + f"it says {said} — {why}: captions keep “{c.script_text}”; "
                                        f"listen and fix {c.written_by} or the voice-over before publishing",
                                start=start, end=end, script_text=c.script_text,
                                spoken_text=(v.other.spoken if v.other is not None else None), word_indices=[c.index]))
        return
    if v.other is not None and v.other.neighbour:
        heard.append(f"{_describe(v.other, c, language)}, one digit away, "
                     + ("fits the voice as well as it does" if v.witnesses == ["a tie of the witnesses"]
                        else f"is preferred to it by {' and '.join(v.witnesses)}"))
    elif v.other is not None and not _supporters(c, v.other):
        # no witness stands for the other reading: the script's value is likely but not confirmed with a margin
        sure = f" (p = {v.p_script:.2f} that the voice says it)" if math.isfinite(v.p_script) else ""
        heard.append(f"the voice likely says it{sure}, but not by the margin that confirms a price; no witness stands "
                     f"for another value (the nearest, {_describe(v.other, c, language)}, at p = {v.probability:.2f})")
    elif v.other is not None:
        heard.append(f"{_describe(v.other, c, language)} is favoured by {_who(v.other, c)} (p = {v.probability:.2f})")
    elif not heard:
        heard.append("no witness could confirm it")
    findings.append(Finding(kind="number_disputed", severity=Severity.warning,
                            message=f"“{c.script_text}”: " + "; ".join(heard) + f": captions keep “{c.script_text}” — "
                                    "listen to it before publishing",
                            start=start, end=end, script_text=c.script_text,
                            spoken_text=(v.other.spoken if v.other is not None else c.prompted_text), word_indices=[c.index]))


def verify_numbers(audio: np.ndarray, words: list[Word], findings: list[Finding], language: str, *,
                   reference: Optional[Transcript] = None, model=None, phone_model=None,
                   options: Optional[VerifyOptions] = None, written_by: Optional[str] = None) -> tuple[list[Word], list[Finding]]:
    """Judge every claim and disputed number of the captions. Returns (words, findings), both new lists.
    `written_by`: the words are a user's imported caption file (its name, for the messages), not a recogniser's."""
    opts = options or VerifyOptions()
    findings = [f.model_copy(deep=True) for f in findings]  # messages get amended: never the caller's objects
    words = list(words)
    if language not in ("en", "de", "fr", "es", "hi", "zh") or not words:
        return words, findings
    cases = gather(audio, words, findings, language, reference=reference, model=model, phone_model=phone_model,
                   options=opts, written_by=written_by)
    return apply_verdicts(cases, words, findings, language, opts)


def apply_verdicts(cases: list[Case], words: list[Word], findings: list[Finding], language: str,
                   options: Optional[VerifyOptions] = None) -> tuple[list[Word], list[Finding]]:
    """Decide every gathered case and write the verdicts into (copies of) the words and findings."""
    opts = options or VerifyOptions()
    words = list(words)
    by_key = {(f.kind, f.message, tuple(f.word_indices)): f for f in findings}
    findings = list(findings)
    if not cases:
        return words, findings
    before = list(words)
    for c in cases:
        if c.finding is not None:  # the case holds the finding it was gathered from: use this list's object
            c.finding = by_key.get((c.finding.kind, c.finding.message, tuple(c.finding.word_indices)), c.finding)
        _apply(c, decide(c, opts), words, findings, language)
    if any(a is not b for a, b in zip(words, before)) and not any(c.written_by != Case.written_by for c in cases):
        # the low-confidence list named the words as they were recognised; list the final ones (an imported caption
        # file was never recognised: it has no such list)
        from .hint import CorrectionOptions, _low_conf

        findings = [f for f in findings if f.kind != "low_confidence"] + _low_conf(words, CorrectionOptions())
    return words, findings
