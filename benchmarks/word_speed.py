"""Word-filter speed and obfuscation robustness: Steward vs better-profanity vs stdlib ``re``.

    python benchmarks/word_speed.py [--texts 300] [--repeat 3] [--seed 0] [--slow-texts 20]
        [--benign-texts 100] [--tweets 300]

Prints, on the same inputs in the same run:

* build time of the managed PROFANITY matcher and of a 10,000-custom-word matcher;
* p50/p99 latency per 1,000-character text (model responses from HaluEval's general set, MIT)
  for Steward's normaliser alone and its word detector (managed list; managed list + 10,000 custom words), for
  ``better_profanity.profanity.contains_profanity`` (about half a second a text, so timed on
  ``--slow-texts`` texts once), and for one stdlib ``re`` alternation of
  the same words (``\\b(?:w1|w2|...)\\b``, case-insensitive);
* detection rates on obfuscated variants of the words both lists share (spacing, repeated
  letters, leetspeak, homoglyphs, zero-width characters, and two of those combined), generated
  here with a fixed seed, for Steward and better-profanity;
* how often each flags benign model responses, and the share of Davidson et al.'s tweets
  each flags per human label (hate / offensive / neither), as a rough real-world check.

Wall-clock figures on a shared machine: compare rows of one run, not runs on different days.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import statistics
import string
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from better_profanity import profanity as better_profanity

from steward.assessment import Source
from steward.detectors.base import DetectionRequest
from steward.detectors.profanity import ALLOWED_CONTEXTS, managed_profanity_words
from steward.detectors.words import WordMatcher, WordsDetector, prepare, profanity_matcher
from steward.policy import parse_policy

DATA = Path(os.environ.get("STEWARD_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
LEET = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "5$", "t": "7+", "l": "1", "b": "8", "g": "9"}
HOMOGLYPHS = {
    "a": "аɑα",  # Cyrillic a, Latin alpha, Greek alpha
    "c": "сϲ",
    "e": "е",
    "i": "іι",
    "o": "оο",
    "p": "р",
    "s": "ѕ",
    "x": "х",
    "y": "у",
    "k": "κк",
    "h": "һ",
    "u": "υս",
    "t": "т",
    "n": "ո",
}
CARRIERS = [
    "you are such a {} today",
    "{} this, I am done",
    "well {}, that was unexpected",
    "what a {} of a day",
]


def texts_of_1000_chars(count: int, rng: random.Random) -> list[str]:
    """Benign 1,000-character texts: ChatGPT responses from HaluEval's general set (MIT)."""
    responses = []
    with open(DATA / "halueval" / "general_data.json", encoding="utf-8") as f:
        for line in f:
            response = json.loads(line).get("chatgpt_response") or ""
            if response.strip():
                responses.append(" ".join(response.split()))
    out = []
    while len(out) < count:
        text = ""
        while len(text) < 1000:
            text += rng.choice(responses) + " "
        out.append(text[:1000])
    return out


def custom_words(count: int, rng: random.Random) -> list[str]:
    """Made-up words (4–12 letters), with some two-word phrases, as a large custom list."""
    words: set[str] = set()
    while len(words) < count:
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 12)))
        if rng.random() < 0.1:
            word += " " + "".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 8)))
        words.add(word)
    return sorted(words)


def timed(fn: Callable[[str], object], texts: Sequence[str], repeat: int) -> tuple[float, float, float]:
    """Wall-clock p50 and p99, and CPU-time p99, in milliseconds of ``fn`` over ``texts``.

    The CPU-time p99 (this thread only) shows what the code costs when the shared machine's
    scheduler pauses the process, which inflates the wall-clock tail.
    """
    for text in texts[:20]:
        fn(text)  # warm caches (fold table, lazily built structures)
    wall, cpu = [], []
    for _ in range(repeat):
        for text in texts:
            c0, t0 = time.thread_time(), time.perf_counter()
            fn(text)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
    wall.sort()
    cpu.sort()
    p99 = min(len(wall) - 1, int(len(wall) * 0.99))
    return statistics.median(wall), wall[p99], cpu[p99]


def build_time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


# --- obfuscated variants


def spacing(word: str, rng: random.Random) -> str:
    return rng.choice([" ", ".", "-", "_", " . "]).join(word)


def repeats(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    return word[:i] + word[i] * rng.randint(3, 6) + word[i + 1 :]


def leet(word: str, rng: random.Random) -> str:
    spots = [i for i, c in enumerate(word) if c in LEET]
    if not spots:
        return word
    out = list(word)
    for i in rng.sample(spots, k=max(1, len(spots) // 2)):
        out[i] = rng.choice(LEET[word[i]])
    return "".join(out)


def homoglyphs(word: str, rng: random.Random) -> str:
    spots = [i for i, c in enumerate(word) if c in HOMOGLYPHS]
    if not spots:
        return word
    out = list(word)
    for i in rng.sample(spots, k=max(1, len(spots) // 2)):
        out[i] = rng.choice(HOMOGLYPHS[word[i]])
    return "".join(out)


def zero_width(word: str, rng: random.Random) -> str:
    out = word[0]
    for c in word[1:]:
        out += rng.choice(ZERO_WIDTH) + c
    return out


KINDS: dict[str, Callable[[str, random.Random], str]] = {
    "spacing": spacing,
    "repeats": repeats,
    "leet": leet,
    "homoglyphs": homoglyphs,
    "zero-width": zero_width,
}


def variants(words: Sequence[str], rng: random.Random) -> dict[str, list[str]]:
    """Per kind, one obfuscated variant of each word inside a short carrier sentence."""
    out: dict[str, list[str]] = {kind: [] for kind in [*KINDS, "two combined"]}
    for word in words:
        for kind, make in KINDS.items():
            written = make(word, rng)
            if written != word:
                out[kind].append(rng.choice(CARRIERS).format(written))
        first, second = rng.sample([leet, homoglyphs, repeats, zero_width], 2)
        out["two combined"].append(rng.choice(CARRIERS).format(second(first(word, rng), rng)))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=300, help="1,000-character texts to time")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the texts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slow-texts", type=int, default=20, help="texts to time better-profanity on, once")
    parser.add_argument("--benign-texts", type=int, default=100, help="benign texts checked for flags")
    parser.add_argument("--tweets", type=int, default=300, help="Davidson tweets per label")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    managed = managed_profanity_words()
    custom = custom_words(10_000, rng)
    texts = texts_of_1000_chars(args.texts, rng)

    print(
        f"# Word filters: {len(texts)} texts of 1,000 chars x {args.repeat}, Python {sys.version.split()[0]}"
    )
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# load average at the start: {load} on {os.cpu_count()} CPUs")
    print("\n## Build")
    print(
        f"managed PROFANITY matcher ({len(managed)} words): {build_time(lambda: WordMatcher(managed, mask_vowels=True, allowed_contexts=ALLOWED_CONTEXTS)):.0f} ms"
    )
    print(f"10,000 custom words:                        {build_time(lambda: WordMatcher(custom)):.0f} ms")
    longest = [" ".join([w] * 20)[:100] for w in custom]  # the policy maximum: 100-char phrases
    print(f"10,000 phrases of 100 chars (the maximum):  {build_time(lambda: WordMatcher(longest)):.0f} ms")
    both_words = [*managed, *custom]
    print(
        f"stdlib re alternation of {len(both_words)} words:     {build_time(lambda: _alternation(both_words)):.0f} ms"
    )
    better_profanity.load_censor_words()
    print(
        f"better-profanity default list:              {build_time(better_profanity.load_censor_words):.0f} ms"
    )

    only_managed = WordsDetector.from_policy(
        parse_policy({"name": "b", "word_filters": {"managed_lists": ["PROFANITY"]}})
    )
    with_custom = WordsDetector.from_policy(
        parse_policy({"name": "b", "word_filters": {"managed_lists": ["PROFANITY"], "words": custom}})
    )
    assert only_managed is not None and with_custom is not None
    request = DetectionRequest(source=Source.OUTPUT)
    managed_re = _alternation(managed)
    both_re = _alternation(both_words)

    print("\n## Latency per 1,000-char text (ms)")
    print(f"{'matcher':58} {'p50':>8} {'p99':>8} {'cpu p99':>8}")
    rows: list[tuple[str, Callable[[str], object]]] = [
        ("steward normalise only (both readings, repeats collapsed)", prepare),
        ("steward words detector: PROFANITY", lambda t: only_managed.detect(t, request)),
        ("steward words detector: PROFANITY + 10,000 custom words", lambda t: with_custom.detect(t, request)),
        ("better_profanity.contains_profanity (its default list)", better_profanity.contains_profanity),
        (f"stdlib re alternation, {len(managed)} managed words", managed_re.search),
        (f"stdlib re alternation, {len(both_words)} words", both_re.search),
    ]
    for name, fn in rows:
        slow = fn is better_profanity.contains_profanity  # about half a second a text: fewer of them
        p50, p99, cpu99 = timed(fn, texts[: args.slow_texts] if slow else texts, 1 if slow else args.repeat)
        print(f"{name:58} {p50:8.3f} {p99:8.3f} {cpu99:8.3f}")

    print(f"\n## Obfuscated variants detected (words in both lists, one variant each, seed {args.seed})")
    # Steward's managed list is better-profanity's list minus non-profanity, so every word is shared.
    shared = [w for w in managed if w.isalpha() and w.isascii() and len(w) >= 4]
    sets = variants(shared, rng)
    steward_hits = profanity_matcher()
    print(f"{'kind':14} {'n':>5} {'steward':>9} {'better-profanity':>17}")
    for kind, sentences in sets.items():
        ours = sum(bool(steward_hits.find_in(s)) for s in sentences) / len(sentences)
        theirs = sum(better_profanity.contains_profanity(s) for s in sentences) / len(sentences)
        print(f"{kind:14} {len(sentences):5d} {ours:9.1%} {theirs:17.1%}")
    plain = [rng.choice(CARRIERS).format(w) for w in shared]
    ours = sum(bool(steward_hits.find_in(s)) for s in plain) / len(plain)
    theirs = sum(better_profanity.contains_profanity(s) for s in plain) / len(plain)
    print(f"{'as written':14} {len(plain):5d} {ours:9.1%} {theirs:17.1%}")

    print("\n## Flagged share of real text")
    print(f"{'set':44} {'n':>6} {'steward':>9} {'better-profanity':>17}")
    benign = texts[: args.benign_texts]
    ours = sum(bool(steward_hits.find_in(t)) for t in benign) / len(benign)
    theirs = sum(better_profanity.contains_profanity(t) for t in benign) / len(benign)
    print(f"{'benign model responses (1,000 chars)':44} {len(benign):6d} {ours:9.1%} {theirs:17.1%}")
    for label, tweets in _davidson(args.tweets).items():
        ours = sum(bool(steward_hits.find_in(t)) for t in tweets) / len(tweets)
        theirs = sum(better_profanity.contains_profanity(t) for t in tweets) / len(tweets)
        print(f"{'Davidson tweets labelled ' + label:44} {len(tweets):6d} {ours:9.1%} {theirs:17.1%}")
    return 0


def _alternation(words: Sequence[str]) -> re.Pattern[str]:
    body = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"\b(?:{body})\b", re.IGNORECASE)


def _davidson(per_label: int) -> dict[str, list[str]]:
    names = {"0": "hate", "1": "offensive", "2": "neither"}
    out: dict[str, list[str]] = {name: [] for name in names.values()}
    with open(DATA / "davidson_hate" / "labeled_data.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            bucket = out[names[row["class"]]]
            if len(bucket) < per_label:
                bucket.append(row["tweet"])
    return out


if __name__ == "__main__":
    raise SystemExit(main())
