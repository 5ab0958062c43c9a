"""The price judge's Whisper: teacher-forced scoring of many texts against one audio window, in numpy (float32).

The price judge (`captioner.verify.WhisperWitness`) scores dozens of competing readings of one number written into
the same window of caption text, against the same audio and against silence. CTranslate2's `Whisper.align` (its only
teacher-forced entry point) runs each text as its own request: every call projects the encoder output into the six
cross-attention keys and values again (3 GFLOP for a 10 s window, half of the call's work) and decodes the words the
texts share before the number again. CTranslate2 has no way to keep either between calls, and the libraries that run
Whisper's decoder otherwise need torch, which the default install does not carry. So the judge runs Whisper base
itself, in numpy, with the same weights (read from the same `model.bin`) in float32 — the same numbers on every CPU
(CTranslate2's int8 kernels are not, see `whisper.JUDGE_COMPUTE_TYPE`):

- a window's cross-attention keys and values are computed once (`Window`), for its audio and for silence;
- the texts' longest common token prefix (the window's words before the number) is decoded once and its
  self-attention keys and values kept; each text then decodes only its own suffix, all suffixes as one batch.

The model is Whisper's: a two-convolution stem and pre-norm self-attention blocks in the encoder; pre-norm blocks of
self-attention, cross-attention and a GELU MLP in the decoder; learned decoder positions; the output projection tied
to the token embeddings. Like `Whisper.align`, a text is scored after the no-timestamps token, and the special tokens
(end-of-text on) take no probability. `tests/test_verify.py` checks the scores against CTranslate2's float32 model
on real audio (agreement to ~1e-3 nats).
"""
from __future__ import annotations

import struct
import threading
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

__all__ = ["JudgeModel", "Window", "load_judge_weights", "read_ct2_variables"]

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2_variables(path: Path, prefix: str = "") -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 `model.bin` (binary format 6) whose names start with `prefix`, as numpy arrays
    (aliases resolved). The layout is CTranslate2's `ModelSpec._serialize`: version, spec name, revision, then per
    variable its name, rank, dims, type id, byte count and bytes; then the aliases."""
    with open(path, "rb") as fh:  # read variable by variable: the ones not asked for are skipped, never held
        try:
            return _read_variables(fh, str(path), prefix)
        except struct.error as e:
            raise ValueError(f"{path}: truncated or not a CTranslate2 model ({e})") from e


def _read_variables(fh, path: str, prefix: str) -> dict[str, np.ndarray]:
    def take(fmt: str):
        return struct.unpack(fmt, fh.read(struct.calcsize(fmt)))[0]

    def text() -> str:
        n = take("H")
        return fh.read(n)[:-1].decode("utf-8")

    version = take("I")
    if version != 6:
        raise ValueError(f"{path}: CTranslate2 model format {version}, expected 6")
    text()  # spec name
    take("I")  # spec revision
    out: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = text()
        dims = [take("I") for _ in range(take("B"))]
        dtype = _DTYPES.get(take("B"))
        nbytes = take("I")
        if not name.startswith(prefix):
            fh.seek(nbytes, 1)
            continue
        if dtype is None:
            raise ValueError(f"{path}: variable {name} has a type this reader does not know")
        raw = fh.read(nbytes)
        if len(raw) != nbytes:
            raise ValueError(f"{path}: truncated in variable {name}")
        v = np.frombuffer(raw, dtype=dtype).reshape(dims)
        out[name] = v.astype(np.float32) if dtype == np.float16 else v.copy()  # half precision widened here
    for _ in range(take("I")):
        alias, target = text(), text()
        if alias.startswith(prefix) and target in out:
            out[alias] = out[target]
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to 1.5e-7 (Abramowitz & Stegun 7.1.26): numpy has no erf, and float32 needs no better."""
    z = np.abs(x)
    t = 1.0 / (1.0 + np.float32(0.3275911) * z)
    poly = t * (np.float32(0.254829592) + t * (np.float32(-0.284496736) + t * (np.float32(1.421413741) + t * (
        np.float32(-1.453152027) + t * np.float32(1.061405429)))))
    z *= z
    np.negative(z, out=z)
    np.exp(z, out=z)
    r = 1.0 - poly * z
    return np.copysign(r, x, out=r)


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))


def _norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(-1, keepdims=True)
    return xc / np.sqrt(var + np.float32(eps)) * g + b


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(-1, keepdims=True)
    return z


class Weights:
    """Whisper's weights in float32 (from a CTranslate2 Whisper `model.bin`)."""

    # a layer's parts: (our name, CTranslate2's module); each is a (weight, bias) or (gamma, beta) pair
    _SELF = (("self_norm", "self_attention/layer_norm"), ("self_qkv", "self_attention/linear_0"),
             ("self_out", "self_attention/linear_1"))
    _CROSS = (("cross_norm", "attention/layer_norm"), ("cross_q", "attention/linear_0"),
              ("cross_kv", "attention/linear_1"), ("cross_out", "attention/linear_2"))
    _FFN = (("ffn_norm", "ffn/layer_norm"), ("ffn_in", "ffn/linear_0"), ("ffn_out", "ffn/linear_1"))

    def __init__(self, variables: dict[str, np.ndarray], text_vocab: int):
        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(variables[name], dtype=np.float32)

        def pair(module: str) -> tuple[np.ndarray, np.ndarray]:
            if module + "/gamma" in variables:
                return get(module + "/gamma"), get(module + "/beta")
            return get(module + "/weight"), get(module + "/bias")

        def layers(side: str, parts) -> list[dict]:
            out = []
            while f"{side}/layer_{len(out)}/ffn/linear_0/weight" in variables:
                out.append({ours: pair(f"{side}/layer_{len(out)}/{theirs}") for ours, theirs in parts})
            return out

        self.encoder_heads = int(variables["encoder/num_heads"].reshape(-1)[0])
        self.conv1 = pair("encoder/conv1")
        self.conv2 = pair("encoder/conv2")
        self.encoder_positions = get("encoder/position_encodings/encodings")
        self.encoder_final = pair("encoder/layer_norm")
        self.encoder_layers = layers("encoder", self._SELF + self._FFN)
        self.heads = int(variables["decoder/num_heads"].reshape(-1)[0])
        self.embeddings = get("decoder/embeddings/weight")
        self.positions = get("decoder/position_encodings/encodings")
        self.final = pair("decoder/layer_norm")
        self.layers = layers("decoder", self._SELF + self._CROSS + self._FFN)
        activation = int(variables["decoder/activation"].reshape(-1)[0])
        if activation != 3 or not int(variables["decoder/pre_norm"].reshape(-1)[0]):
            raise ValueError("not a Whisper decoder (GELU, pre-norm) this scorer knows")
        self.dim = self.embeddings.shape[1]
        self.text_vocab = int(text_vocab)  # tokens below end-of-text: the ones a text is made of

    def encode(self, features: np.ndarray) -> np.ndarray:
        """Encoder output [1, frames / 2, dim] of log-mel features [1, 80, frames] (or [80, frames])."""
        x = np.asarray(features, dtype=np.float32).reshape(-1, np.asarray(features).shape[-1])
        x = _gelu(_conv1d(x, *self.conv1, stride=1))
        x = _gelu(_conv1d(x, *self.conv2, stride=2)).T  # [T, dim]
        T = x.shape[0]
        if T > self.encoder_positions.shape[0]:
            raise ValueError("more than 30 s of features")
        x = x + self.encoder_positions[:T]
        h = self.encoder_heads
        d = self.dim // h
        scale = np.float32(1.0 / np.sqrt(d))
        for layer in self.encoder_layers:
            qkv = _linear(_norm(x, *layer["self_norm"]), layer["self_qkv"])
            q = qkv[:, :self.dim].reshape(T, h, d).transpose(1, 0, 2) * scale
            k = qkv[:, self.dim:2 * self.dim].reshape(T, h, d).transpose(1, 2, 0)
            v = qkv[:, 2 * self.dim:].reshape(T, h, d).transpose(1, 0, 2)
            ctx = _softmax(q @ k) @ v  # [h, T, d]
            x = x + _linear(ctx.transpose(1, 0, 2).reshape(T, self.dim), layer["self_out"])
            x = x + _linear(_gelu(_linear(_norm(x, *layer["ffn_norm"]), layer["ffn_in"])), layer["ffn_out"])
        return _norm(x, *self.encoder_final)[None]

def _linear(x: np.ndarray, wb: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """x [..., in] @ weight.T + bias, as one matrix product over all leading dimensions."""
    y = x.reshape(-1, x.shape[-1]) @ wb[0].T
    y += wb[1]
    return y.reshape(*x.shape[:-1], y.shape[-1])


def _conv1d(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """1-D convolution, kernel 3, padding 1: x [in, T] -> [out, ceil(T / stride)] (as one matrix product)."""
    cin, T = x.shape
    k = weight.shape[2]
    xp = np.pad(x, ((0, 0), (1, 1)))
    n = (T + 2 - k) // stride + 1
    cols = np.stack([xp[:, j:j + stride * (n - 1) + 1:stride] for j in range(k)], axis=1)  # [in, k, n]
    return weight.reshape(weight.shape[0], cin * k) @ cols.reshape(cin * k, n) + bias[:, None]


_LOCK = threading.Lock()
_LOADED: dict[str, Weights] = {}


def load_judge_weights(model_dir: str | Path, text_vocab: int) -> Weights:
    """The weights of the CTranslate2 Whisper model in `model_dir` in float32, loaded once per process (about 290 MB
    for Whisper base); `text_vocab` is the tokenizer's end-of-text id (special tokens start there)."""
    key = str(Path(model_dir).resolve())
    with _LOCK:
        w = _LOADED.get(key)
        if w is None:
            w = _LOADED[key] = Weights(read_ct2_variables(Path(model_dir) / "model.bin"), text_vocab)
        return w


class JudgeModel:
    """Whisper for the price judge: what `verify.WhisperWitness` needs of a model (tokenizer, feature extractor,
    encoder) and `window` for teacher-forced scoring. float32 numpy: the same scores on every CPU."""

    compute_type = "float32"

    def __init__(self, model_dir: str | Path):
        import tokenizers
        from faster_whisper.feature_extractor import FeatureExtractor

        model_dir = Path(model_dir)
        self.hf_tokenizer = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        eot = self.hf_tokenizer.token_to_id("<|endoftext|>")
        if eot is None:
            raise ValueError(f"{model_dir}: tokenizer.json has no <|endoftext|> token")
        self.weights = load_judge_weights(model_dir, eot)
        # the same front end as faster-whisper's (80 mel bins; Whisper base's config asks for no other)
        self.feature_extractor = FeatureExtractor(feature_size=int(self.weights.conv1[0].shape[1]))

    def encode(self, features: np.ndarray) -> np.ndarray:
        return self.weights.encode(features)

    def window(self, encoder_output: np.ndarray) -> "Window":
        return Window(self.weights, encoder_output)


class Window:
    """One audio window's cross-attention keys and values, ready to score any number of texts against it."""

    def __init__(self, weights: Weights, encoder_output: np.ndarray):
        self.w = weights
        enc = np.ascontiguousarray(np.asarray(encoder_output, dtype=np.float32).reshape(-1, weights.dim))
        h, d = weights.heads, weights.dim // weights.heads
        self.kv = []
        for layer in weights.layers:
            kv = _linear(enc, layer["cross_kv"])  # [T, 2 * dim]
            k, v = kv[:, :weights.dim], kv[:, weights.dim:]
            self.kv.append((np.ascontiguousarray(k.reshape(-1, h, d).transpose(1, 2, 0)),  # [h, d, T]
                            np.ascontiguousarray(v.reshape(-1, h, d).transpose(1, 0, 2))))  # [h, T, d]

    def _block(self, x: np.ndarray, layer: dict, li: int, past: Optional[tuple]):
        """One decoder layer over x [B, S, dim] whose positions follow `past` (keys [h, d, P], values [h, P, d]).
        Returns (x, (keys [B, h, d, S], values [B, h, S, d]) of x's positions)."""
        w = self.w
        B, S, D = x.shape
        h, d = w.heads, D // w.heads
        scale = np.float32(1.0 / np.sqrt(d))
        qkv = _linear(_norm(x, *layer["self_norm"]), layer["self_qkv"])  # [B, S, 3D]
        q = qkv[..., :D].reshape(B, S, h, d).transpose(0, 2, 1, 3) * scale  # [B, h, S, d]
        k = qkv[..., D:2 * D].reshape(B, S, h, d).transpose(0, 2, 3, 1)  # [B, h, d, S]
        v = qkv[..., 2 * D:].reshape(B, S, h, d).transpose(0, 2, 1, 3)  # [B, h, S, d]
        own = q @ k  # [B, h, S, S]
        own += np.triu(np.full((S, S), -np.inf, dtype=np.float32), 1)
        if past is not None:
            pk, pv = past
            P = pk.shape[-1]
            qh = q.transpose(1, 0, 2, 3).reshape(h, B * S, d)  # every row of the batch against the shared prefix
            prev = (qh @ pk).reshape(h, B, S, P).transpose(1, 0, 2, 3)  # [B, h, S, P]
            att = _softmax(np.concatenate([prev, own], axis=-1))
            ah = np.ascontiguousarray(att[..., :P].transpose(1, 0, 2, 3)).reshape(h, B * S, P)
            ctx = (ah @ pv).reshape(h, B, S, d).transpose(1, 0, 2, 3) + att[..., P:] @ v
        else:
            ctx = _softmax(own) @ v
        x = x + _linear(ctx.transpose(0, 2, 1, 3).reshape(B, S, D), layer["self_out"])
        ck, cv = self.kv[li]
        cq = _linear(_norm(x, *layer["cross_norm"]), layer["cross_q"]).reshape(B * S, h, d).transpose(1, 0, 2) * scale
        ctx = _softmax(cq @ ck) @ cv  # [h, B * S, d]
        x = x + _linear(ctx.transpose(1, 0, 2).reshape(B, S, D), layer["cross_out"])
        x = x + _linear(_gelu(_linear(_norm(x, *layer["ffn_norm"]), layer["ffn_in"])), layer["ffn_out"])
        return x, (k, v)

    def _logp(self, hidden: np.ndarray, targets: np.ndarray, rows: int = 256) -> np.ndarray:
        """log p(target) at each row of hidden [N, dim]: final norm, tied output projection, log-softmax over the text
        tokens (as `Whisper.align` does, the special tokens from end-of-text on take no probability)."""
        out = np.empty(len(targets), dtype=np.float64)
        g, b = self.w.final
        emb = self.w.embeddings[:self.w.text_vocab]
        for r0 in range(0, len(targets), rows):
            z = _norm(hidden[r0:r0 + rows], g, b) @ emb.T  # [n, text vocab]
            m = z.max(-1, keepdims=True)
            z -= m
            picked = z[np.arange(len(z)), targets[r0:r0 + rows]].astype(np.float64)
            np.exp(z, out=z)
            out[r0:r0 + rows] = picked - np.log(z.sum(-1, dtype=np.float64))
        return out

    def score(self, start: Sequence[int], texts: Sequence[Sequence[int]], batch_tokens: int = 1024) -> list[float]:
        """Sum of log p(token) over each text's tokens, teacher-forced after the `start` sequence (Whisper's
        SOT, language, task, no-timestamps tokens): what `Whisper.align` returns as `text_token_probs`, summed."""
        if not texts:
            return []
        texts = [list(map(int, t)) for t in texts]
        if any(not t for t in texts):
            raise ValueError("every text needs at least one token")
        w = self.w
        if len(start) + max(len(t) for t in texts) > w.positions.shape[0]:
            raise ValueError("a text is longer than Whisper's 448 decoder positions")
        # the texts' longest common prefix is decoded once; each keeps at least one token of its own
        lcp = 0
        first, shortest = texts[0], min(len(t) for t in texts)
        while lcp < shortest - 1 and all(t[lcp] == first[lcp] for t in texts):
            lcp += 1
        prefix = list(start) + first[:lcp]
        P = len(prefix)
        x = (w.embeddings[prefix] + w.positions[:P])[None]
        pasts = []
        for li, layer in enumerate(w.layers):
            x, (k, v) = self._block(x, layer, li, None)
            pasts.append((k[0], v[0]))
        # log p of the shared prefix's text tokens (rows predict the next token), and the last row's hidden state
        shared = 0.0
        if lcp:
            shared = float(self._logp(x[0, len(start) - 1:P - 1], np.asarray(first[:lcp])).sum())
        last = x[0, P - 1]
        totals = [shared] * len(texts)
        # suffixes, batched by length (padding never reaches earlier positions: attention is causal)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        groups, cur = [], []
        for i in order:
            n = len(texts[i]) - lcp
            if cur and (len(cur) + 1) * max(n, len(texts[cur[-1]]) - lcp) > batch_tokens:
                groups.append(cur)
                cur = []
            cur.append(i)
        groups.append(cur)
        for grp in groups:
            S = max(len(texts[i]) - lcp for i in grp)
            toks = np.zeros((len(grp), S), dtype=np.int64)
            lens = np.zeros(len(grp), dtype=np.int64)
            for r, i in enumerate(grp):
                suf = texts[i][lcp:]
                toks[r, :len(suf)] = suf
                lens[r] = len(suf)
            y = w.embeddings[toks] + w.positions[P:P + S][None]
            for li, layer in enumerate(w.layers):
                y, _ = self._block(y, layer, li, pasts[li])
            # the first suffix token is predicted by the prefix's last row; token j by suffix row j - 1
            rows, targets, owner = [], [], []
            for r in range(len(grp)):
                n = int(lens[r])
                rows.append(last[None])
                if n > 1:
                    rows.append(y[r, :n - 1])
                targets.append(toks[r, :n])
                owner.append(np.full(n, r))
            lp = self._logp(np.concatenate(rows), np.concatenate(targets))
            sums = np.bincount(np.concatenate(owner), weights=lp, minlength=len(grp))
            for r, i in enumerate(grp):
                totals[i] += float(sums[r])
        return totals
