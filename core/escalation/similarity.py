"""How alike two topics read, in Chinese.

Tokens are jieba's words plus the character bigrams of every run of Han
characters: jieba alone splits the same phrase differently in different
contexts ("路灯不亮" → 路 / 灯不亮, but "路灯坏了" → 路灯 / 坏), and the
bigrams bridge those splits. The score is the cosine of term-frequency
vectors, 0 (nothing shared) to 1 (same words in the same proportions). A
title says what a topic is about more surely than its description, so it
counts twice.
"""
from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter

# Scores at or above this link two topics. Measured on residents' phrasings
# of one matter (0.4–0.7) against unrelated matters (below 0.1).
THRESHOLD = 0.3

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORDLIKE = re.compile(r"\w")
# Words every topic uses; they would make any two topics look alike.
STOPWORDS = frozenset(
    "的 了 是 在 和 有 我 我们 你 他 她 它 这 那 也 都 就 要 会 能 与 及 或 把 被 让 给 对 从 到 很 还 又 并 等 个 "
    "之 其 而 但 因为 所以 一 一些 没有 不 问题 情况 希望 建议 请 居民 小区 社区 反映 目前 现在".split())

_jieba_lock = threading.Lock()
_jieba = None


def _tokenizer():
    """jieba, loaded once (its dictionary takes about a second to build)."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def tokens(text: str) -> list[str]:
    words = [w for w in _tokenizer().lcut(text)
             if w.strip() and _WORDLIKE.search(w) and w not in STOPWORDS]
    for run in _HAN_RUN.findall(text):
        words.extend(run[i:i + 2] for i in range(len(run) - 1))
    return words


def topic_vector(title: str, description: str) -> Counter[str]:
    return Counter(tokens(f"{title}\n{title}\n{description}"))


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[token] for token, count in a.items() if token in b)
    norm = math.sqrt(sum(c * c for c in a.values())) * math.sqrt(sum(c * c for c in b.values()))
    return dot / norm if norm else 0.0


def similarity(title_a: str, description_a: str, title_b: str, description_b: str) -> float:
    return cosine(topic_vector(title_a, description_a), topic_vector(title_b, description_b))
