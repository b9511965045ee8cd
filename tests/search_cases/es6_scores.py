"""How the expected scores in these cases were derived: Elasticsearch 6's BM25 (Lucene 7's
BM25Similarity, k1 = 1.2, b = 0.75), computed from corpus.ndjson with the formulas, independently
of buildhub's engine. Run it to print every number the cases use.

  idf(df, N)   = ln(1 + (N - df + 0.5) / (df + 0.5))       N: documents that have the field
  tfNorm(f,dl) = f * (k1 + 1) / (f + k1 * (1 - b + b * dl / avgdl))
  keyword fields have no norms: tfNorm = 1, so a term scores its idf
  text fields: dl is the field's token count, avgdl = total tokens / N
  term / match (one token):  idf(token) * tfNorm(tf, dl)
  phrase:                    (sum of the tokens' idf) * tfNorm(phrase freq, dl)
  bool: the sum of the matching clauses; dis_max: the best clause (+ tie_breaker * the rest)
  constant-score queries (range, wildcard, prefix, filters) and match_all: 1.0

Lucene computes in float (32-bit); f32() rounds the same way.
"""
import json
import math
import os
import re
import struct

K1, B = 1.2, 0.75
DOCS = [json.loads(line) for line in open(os.path.join(os.path.dirname(__file__), "corpus.ndjson")) if line.strip()]


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def idf(df, n):
    return f32(math.log(1 + (n - df + 0.5) / (df + 0.5)))


def values(path):
    obj, key = path.split(".", 1)
    return [d.get(obj, {}).get(key) for d in DOCS]


def tokens(text):
    # The standard analyzer on these values: split at '-', lower-case ("x86_64" stays whole).
    return [t.lower() for t in re.split(r"[^A-Za-z0-9_]+", text) if t]


def keyword_term(path, value):
    vals = values(path)
    n = sum(v is not None for v in vals)
    df = sum(v == value for v in vals)
    return idf(df, n), [i + 1 for i, v in enumerate(vals) if v == value]


def text_scores(path, query_tokens, phrase):
    vals = values(path)
    toks = [tokens(v) if v is not None else None for v in vals]
    n = sum(t is not None for t in toks)
    avgdl = f32(sum(len(t) for t in toks if t) / n)
    dfs = [sum(t is not None and q in t for t in toks) for q in query_tokens]
    out = {}
    for i, t in enumerate(toks):
        if t is None:
            continue
        dl = len(t)
        norm = K1 * (1 - B + B * dl / avgdl)
        if phrase:
            freq = sum(t[j:j + len(query_tokens)] == query_tokens for j in range(len(t)))
            if freq:
                weight = sum(idf(df, n) for df in dfs)
                out[i + 1] = f32(weight * freq * (K1 + 1) / (freq + norm))
        else:
            score = 0.0
            for q, df in zip(query_tokens, dfs):
                freq = t.count(q)
                if freq:
                    score += idf(df, n) * freq * (K1 + 1) / (freq + norm)
            if score:
                out[i + 1] = f32(score)
    return out


if __name__ == "__main__":
    for path, value in [("target.locale", "de"), ("target.locale", "fr"), ("target.locale", "en-GB"),
                        ("target.platform", "linux-x86_64"), ("target.locale", "en-US"),
                        ("target.channel", "nightly"), ("source.product", "firefox"),
                        ("source.product", "thunderbird"), ("source.product", "fennec")]:
        print(f"term {path}={value}: idf {keyword_term(path, value)[0]!r} docs {keyword_term(path, value)[1]}")
    print("bool should msm 2: platform linux-x86_64 + locale en-US + channel nightly:")
    for doc in range(1, 11):
        parts = [keyword_term(p, v) for p, v in [("target.platform", "linux-x86_64"), ("target.locale", "en-US"),
                                                   ("target.channel", "nightly")]]
        hits = [s for s, docs in parts if doc in docs]
        if len(hits) >= 2:
            print(f"  doc {doc}: {f32(sum(hits))!r}")
    print("match_phrase build.target 'pc linux':", text_scores("build.target", ["pc", "linux"], True))
    print("term build.target 'linux':", text_scores("build.target", ["linux"], False))
    print("match build.target 'mingw32':", text_scores("build.target", ["mingw32"], False))
