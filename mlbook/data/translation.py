"""Sequence-to-sequence data that works offline: numbers written in digits, to be rewritten in
English words (``"2 0 1 7"`` -> ``"two thousand seventeen"``), and the padding helpers of the
book's machine translation section (``truncate_pad``, ``build_array``).

No translation corpus can be downloaded here, so the book's sequence-to-sequence chapter
"translates" between two notations of the same number.  The task has what makes translation
hard for a model, at a small scale: the output is longer than the input and its length varies,
words depend on a digit's position ("two" / "twenty" / "two hundred"), and zeros vanish
("one thousand five").  Test numbers are never seen in training.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .arrays import ArrayLoader
from .text import Vocab

__all__ = ["number_to_words", "number_pairs", "truncate_pad", "build_array",
           "load_data_numbers", "RESERVED_TOKENS"]

#: Padding, beginning and end of a sequence (index 0 is ``<unk>``, see :class:`Vocab`).
#:
#: >>> vocab = data.Vocab([["one", "two"]], reserved_tokens=data.RESERVED_TOKENS)
#: >>> vocab.idx_to_token
#: ['<unk>', '<pad>', '<bos>', '<eos>', 'one', 'two']
RESERVED_TOKENS = ["<pad>", "<bos>", "<eos>"]

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_to_words(n: int) -> str:
    """``n`` (0 to 9,999) in English words, without "and" or hyphens:
    ``number_to_words(2017) == "two thousand seventeen"``.

    >>> data.number_to_words(2017), data.number_to_words(1005), data.number_to_words(0)
    ('two thousand seventeen', 'one thousand five', 'zero')
    >>> data.number_to_words(10000)
    Traceback (most recent call last):
    ValueError: number_to_words handles integers from 0 to 9999, got 10000
    """
    if not 0 <= int(n) <= 9999 or int(n) != n:
        raise ValueError(f"number_to_words handles integers from 0 to 9999, got {n!r}")
    n = int(n)
    if n == 0:
        return "zero"
    words = []
    thousands, rest = divmod(n, 1000)
    hundreds, rest = divmod(rest, 100)
    if thousands:
        words += [_ONES[thousands], "thousand"]
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        tens, ones = divmod(rest, 10)
        if tens:
            words.append(_TENS[tens])
        if ones:
            words.append(_ONES[ones])
    return " ".join(words)


def number_pairs(num_train: int, num_test: int, seed: int = 0
                 ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(source, target)`` pairs for distinct random numbers from 0 to 9,999: the source is the
    number's digits separated by spaces (``"2 0 1 7"``), the target its words.  Training and
    test numbers do not overlap; the same ``seed`` gives the same split everywhere.

    >>> train, test = data.number_pairs(2, 1)
    >>> train[0]
    ('3 5 7 7', 'three thousand five hundred seventy seven')
    >>> len(train), test
    (2, [('1 6 3 4', 'one thousand six hundred thirty four')])
    """
    if num_train < 1 or num_test < 0 or num_train + num_test > 10000:
        raise ValueError(f"need 1 <= num_train and num_train + num_test <= 10000 distinct "
                         f"numbers, got num_train={num_train}, num_test={num_test}")
    numbers = np.random.default_rng(seed).permutation(10000)[:num_train + num_test]
    pairs = [(" ".join(str(n)), number_to_words(n)) for n in numbers.tolist()]
    return pairs[:num_train], pairs[num_train:]


def truncate_pad(line: Sequence[int], num_steps: int, padding_token: int) -> list[int]:
    """``line`` cut to ``num_steps`` tokens, or padded to that length with ``padding_token``.

    >>> data.truncate_pad([5, 6, 7], num_steps=5, padding_token=0)
    [5, 6, 7, 0, 0]
    >>> data.truncate_pad([5, 6, 7, 8, 9, 10], num_steps=4, padding_token=0)
    [5, 6, 7, 8]
    """
    if len(line) > num_steps:
        return list(line[:num_steps])
    return list(line) + [padding_token] * (num_steps - len(line))


def build_array(lines: Sequence[Sequence[str]], vocab: Vocab, num_steps: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Token lists -> an int64 array (n, num_steps), each line ended by ``<eos>`` and padded
    with ``<pad>``, and the valid length of each line (tokens before the padding).

    >>> vocab = data.Vocab([["one", "two"]], reserved_tokens=data.RESERVED_TOKENS)
    >>> lines = [["one", "two"], ["two"], ["two", "two", "one", "one"]]
    >>> X, valid_len = data.build_array(lines, vocab, num_steps=4)
    >>> X                               # <pad> is 1 and <eos> 3; the last line is cut
    array([[4, 5, 3, 1],
           [5, 3, 1, 1],
           [5, 5, 4, 4]])
    >>> valid_len
    array([3, 2, 4])
    """
    rows = [truncate_pad(vocab[list(line)] + [vocab["<eos>"]], num_steps, vocab["<pad>"])
            for line in lines]
    array = np.asarray(rows, dtype="int64").reshape(len(rows), num_steps)
    valid_len = (array != vocab["<pad>"]).sum(axis=1).astype("int64")
    return array, valid_len


def load_data_numbers(batch_size: int, num_steps: int = 10, num_train: int = 2000,
                      num_test: int = 500, seed: int = 0
                      ) -> tuple[ArrayLoader, Vocab, Vocab, list[tuple[str, str]]]:
    """The digits-to-words data set (the book's ``load_data_nmt``): a shuffled iterator over
    ``(X, X_valid_len, Y, Y_valid_len)`` minibatches of the training pairs, the source and
    target vocabularies, and the held-out test pairs (as text, for BLEU).

    >>> mb.seed(0)
    >>> loader, src_vocab, tgt_vocab, test = data.load_data_numbers(4, num_train=100, num_test=10)
    >>> X, X_valid_len, Y, Y_valid_len = next(iter(loader))
    >>> mb.shape(X), mb.tolist(X_valid_len), mb.shape(Y), mb.tolist(Y_valid_len)
    ((4, 10), [5, 5, 5, 4], (4, 10), [4, 7, 7, 5])
    >>> " ".join(tgt_vocab.to_tokens(mb.tolist(Y[0])))
    'eight thousand ten <eos> <pad> <pad> <pad> <pad> <pad> <pad>'
    >>> test[0]
    ('4 4 0 0', 'four thousand four hundred')
    """
    train, test = number_pairs(num_train, num_test, seed)
    source = [src.split() for src, _ in train]
    target = [tgt.split() for _, tgt in train]
    src_vocab = Vocab(source, reserved_tokens=RESERVED_TOKENS)
    tgt_vocab = Vocab(target, reserved_tokens=RESERVED_TOKENS)
    X, X_valid = build_array(source, src_vocab, num_steps)
    Y, Y_valid = build_array(target, tgt_vocab, num_steps)
    return ArrayLoader((X, X_valid, Y, Y_valid), batch_size, shuffle=True), src_vocab, \
        tgt_vocab, test
