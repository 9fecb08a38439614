"""A dependency-free text embedding: signed feature hashing of character n-grams and words.

Each text becomes counts of its character n-grams (inside word boundaries, so ``" rep"``
and ``"irs "`` mark word starts and ends) and of its words, hashed into ``dim`` buckets
with a hash-derived sign (so collisions cancel out on average instead of adding up),
sub-linearly scaled and L2-normalised.  Cosine similarity of two vectors then measures
shared spelling and shared words, which is what retrieval over short, same-domain texts
needs.  It knows no synonyms: "spent" and "disbursed" are unrelated to it.

The hashing is FNV-1a over bytes, computed for all n-grams of a whole batch of texts at
once with numpy (a few array operations per batch, not per text), so the vectors are the
same in every process and on every platform (Python's ``hash`` of a string is salted per
process and could not be stored).  ``hash_embed_many`` and ``hash_embed`` agree exactly.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

__all__ = ["STOP_WORDS", "hash_embed", "hash_embed_many"]

_FNV_PRIME = np.uint32(16777619)
_FNV_OFFSET = np.uint32(2166136261)
_WORD = re.compile(r"\w+")
# Function words carry no topic; hashing them would make every English sentence similar.
STOP_WORDS = frozenset(
    "a an and are as at be but by for from had has have he her his how i in into is it its "
    "of on or our she so than that the their them then there these they this those to was "
    "we were what when where which who why will with you your much many".split()
)


def hash_embed(
    text: str,
    dim: int = 384,
    ngram_range: tuple[int, int] = (3, 5),
    word_weight: float = 1.0,
) -> np.ndarray:
    """The unit-length float32 embedding of ``text`` (all zeros for text with no words)."""
    return hash_embed_many([text], dim, ngram_range, word_weight)[0]


def hash_embed_many(
    texts: Sequence[str],
    dim: int = 384,
    ngram_range: tuple[int, int] = (3, 5),
    word_weight: float = 1.0,
) -> np.ndarray:
    """Unit-length float32 embeddings of ``texts``, one row each.

    The n-gram part and the word part are each scaled to unit length before they are
    added, ``word_weight`` setting the words' share, so long words (many n-grams) do not
    drown the word matches.
    """
    words = [[w for w in _WORD.findall(t.lower()) if w not in STOP_WORDS] for t in texts]
    padded = [(" " + " ".join(ws) + " ").encode("utf-8") if ws else b"" for ws in words]
    gram_hashes, gram_owner = _ngram_hashes(padded, ngram_range)
    word_hashes = np.array(
        [zlib.crc32(w.encode("utf-8")) for ws in words for w in ws], dtype=np.uint32
    )
    hashes = _mix(np.concatenate((gram_hashes, word_hashes)))
    # one bincount for everything: text t's n-gram buckets sit in [2 t dim, (2 t + 1) dim),
    # its word buckets in the next dim
    slots = (hashes % np.uint32(dim)).astype(np.intp)
    slots[gram_hashes.size :] += dim
    if len(texts) > 1:
        word_owner = np.repeat(np.arange(len(texts)), [len(ws) for ws in words])
        slots += 2 * dim * np.concatenate((gram_owner, word_owner))
    # the top bit picks the sign, the rest the bucket, so the two are independent
    signs = 1.0 - 2.0 * (hashes >> np.uint32(31))
    counts = np.bincount(slots, weights=signs, minlength=2 * dim * len(texts))
    counts = counts.reshape(len(texts), 2, dim)
    # sqrt damps a gram repeated many times (sublinear tf) while keeping the sign
    counts = np.copysign(np.sqrt(np.abs(counts)), counts)
    counts /= _norms(counts)
    vecs = counts[:, 0] + word_weight * counts[:, 1]
    vecs /= _norms(vecs)
    return vecs.astype(np.float32)


def _norms(a: np.ndarray) -> np.ndarray:
    """L2 norms over the last axis, kept for broadcasting; 1 where a row is all zeros."""
    n = np.sqrt(np.einsum("...i,...i->...", a, a))[..., None]
    n[n == 0] = 1.0
    return n


def _ngram_hashes(
    texts: list[bytes], ngram_range: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """FNV-1a hashes of every byte n-gram (n in ``ngram_range``) and the text each is in.

    The texts are hashed as one concatenated array; FNV-1a extends one byte at a time, so
    the n-gram hashes at every position come from the (n-1)-gram ones with one xor and one
    multiply, and n-grams that straddle two texts are dropped at the end.
    """
    lo, hi = ngram_range
    b = np.frombuffer(b"".join(texts), dtype=np.uint8)
    # which text each byte belongs to; one text needs no straddle check (the common call)
    owner = np.repeat(np.arange(len(texts)), [len(t) for t in texts]) if len(texts) > 1 else None
    hashes, owners = [], []
    h = np.full(b.size, _FNV_OFFSET, dtype=np.uint32)
    for n in range(1, hi + 1):
        count = b.size - n + 1
        if count <= 0:
            break
        h = (h[:count] ^ b[n - 1 : n - 1 + count]) * _FNV_PRIME
        if n < lo:
            continue
        if owner is None:
            hashes.append(h)
        else:
            inside = owner[:count] == owner[n - 1 :]
            hashes.append(h[inside])
            owners.append(owner[:count][inside])
    if not hashes:
        return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.intp)
    return np.concatenate(hashes), np.concatenate(owners) if owners else np.empty(0, np.intp)


def _mix(h: np.ndarray) -> np.ndarray:
    """A murmur3-style finaliser: spreads FNV's weak low bits over the whole word."""
    h = h ^ (h >> np.uint32(16))
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h
