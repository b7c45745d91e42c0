#!/usr/bin/env python3
"""gen_text.py --bytes N --output FILE [--vocabulary V] [--seed S]: deterministic English-like
text for the WordCount benchmark.

Words are drawn Zipf-like (exponent 1) from a vocabulary of V words (default 5,000,000, as in
the anchors' text; the most frequent words are the shortest): rank = floor((V+1)^u) - 1 for
uniform u, so P(rank k) = log((k+2)/(k+1)) / log(V+1), about 1/((k+1.5) ln V), the continuous
form of Zipf(1.0), sampled in closed form because bisecting a 5M-entry table is 10x slower. Words are made of
syllables; some carry digits (`tako7`), some are joined by `_` (`ri_mesu`, one token for
WordCount), some are capitalized or all caps (lowercased by WordCount into their own word). Lines
hold 4 to 19 words separated by a space, ", ", " - ", "; ", ": " or "'s " (every non
[A-Za-z0-9_] character separates tokens) and end with ".", "?", "!" or nothing, about 75 bytes a
line. ASCII only. The file is cut at a line end at or below N bytes.
"""

import argparse
import itertools
import math
import operator
import os
import random

SYLLABLES = [c + v for c in "bdfghklmnprstvz" for v in "aeiou"] + ["th", "ch", "qu", "x"]


def vocabulary_word(i):
    """Word number i (0 = most frequent): unique letters from i's digits in base len(SYLLABLES),
    shaped by a few deterministic rules."""
    base = len(SYLLABLES)
    n = i
    parts = []
    while True:
        parts.append(SYLLABLES[n % base])
        n //= base
        if n == 0:
            break
    word = "".join(parts)
    rule = (i * 2654435761) % 97
    if rule < 6:
        word += str(i % 10)  # digits inside tokens
    elif rule < 9:
        word += "_" + SYLLABLES[i % base]  # underscore joins
    elif rule < 14:
        word = word.capitalize()  # proper nouns
    elif rule == 14:
        word = word.upper()
    return word


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bytes", type=int, required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--vocabulary", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    vocabulary = [vocabulary_word(i) for i in range(args.vocabulary)]
    log_size = math.log(args.vocabulary + 1)

    # One pattern of separators for a batch of words (reused for every batch; the words differ):
    # the word count of each line, the separators inside it and its end.
    batch = 1 << 20
    separators = []
    inner = [" "] * 20 + [", "] * 4 + [" - ", "; ", ": ", "'s "]
    while len(separators) < batch:
        words = rng.randrange(4, 20)
        separators += [rng.choice(inner) for _ in range(words - 1)]
        separators.append(rng.choice([".\n", ".\n", ".\n", "?\n", "!\n", "\n"]))
    separators = separators[:batch]
    separators[-1] = ".\n"

    tmp = args.output + ".tmp"
    written = 0
    with open(tmp, "wb") as out:
        while written < args.bytes:
            draw, exp, top = rng.random, math.exp, args.vocabulary - 1
            ranks = [min(int(exp(draw() * log_size)) - 1, top) for _ in range(batch)]
            words = operator.itemgetter(*ranks)(vocabulary)
            text = "".join(itertools.chain.from_iterable(zip(words, separators))).encode("ascii")
            room = args.bytes - written
            if len(text) > room:
                cut = text.rfind(b"\n", 0, room)
                if cut < 0:
                    break
                text = text[:cut + 1]
            out.write(text)
            written += len(text)
    os.replace(tmp, args.output)
    print(f"gen_text: {written} bytes in {args.output}")


if __name__ == "__main__":
    main()
