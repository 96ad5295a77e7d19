"""Text data: H. G. Wells' *The Time Machine*, tokenisation, ``Vocab`` and the two ways of
cutting a corpus into minibatches of subsequences (random and sequential sampling)."""

from __future__ import annotations

import collections
import re
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .. import ops
from .. import config
from .download import download, register

__all__ = ["read_time_machine", "tokenize", "Vocab", "count_corpus", "load_corpus_time_machine",
           "seq_data_iter_random", "seq_data_iter_sequential", "SeqDataLoader",
           "load_data_time_machine"]

register("timemachine.txt",
         "https://raw.githubusercontent.com/probml/probml-data/main/data/timemachine.txt",
         "sha1:7a156c18e04ff27879dc2102115c8adb78bc845c")


def read_time_machine(cache_dir: str | None = None) -> list[str]:
    """The book as lines of lower-case letters and spaces (everything else becomes a space).
    The file comes from ``MLBOOK_DATA_DIR`` or is downloaded (and its sha1 checked).

    >>> lines = data.read_time_machine()
    >>> len(lines), lines[0]
    (643, 'the time machine by h g wells')
    """
    path = download("timemachine.txt", cache_dir)
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in lines]


def tokenize(lines: Sequence[str], token: str = "word") -> list[list[str]]:
    """Split each line into words (``token="word"``) or characters (``"char"``).

    >>> data.tokenize(["the time machine", "by h g wells"])
    [['the', 'time', 'machine'], ['by', 'h', 'g', 'wells']]
    >>> data.tokenize(["the time"], token="char")
    [['t', 'h', 'e', ' ', 't', 'i', 'm', 'e']]
    """
    if token == "word":
        return [line.split() for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    raise ValueError(f"token must be 'word' or 'char', got {token!r}")


def count_corpus(tokens: Iterable[Any]) -> collections.Counter:
    """Token frequencies of a list of tokens or a list of token lists.

    >>> data.count_corpus(["a", "b", "a"])
    Counter({'a': 2, 'b': 1})
    >>> data.count_corpus([["the", "time"], ["the", "end"]]).most_common(2)
    [('the', 2), ('time', 1)]
    """
    tokens = list(tokens)
    if tokens and isinstance(tokens[0], list):
        tokens = [t for line in tokens for t in line]
    return collections.Counter(tokens)


class Vocab:
    """Maps tokens to indices: index 0 is ``"<unk>"`` (any unknown token), then the
    ``reserved_tokens``, then the tokens seen at least ``min_freq`` times, most frequent first
    (ties in order of first appearance).

    >>> tokens = data.tokenize(["the time machine", "the time traveller"])
    >>> vocab = data.Vocab(tokens, reserved_tokens=["<pad>"])
    >>> vocab.idx_to_token
    ['<unk>', '<pad>', 'the', 'time', 'machine', 'traveller']
    >>> vocab["time"], vocab[["the", "zebra"]], vocab.to_tokens([4, 5])
    (3, [2, 0], ['machine', 'traveller'])
    >>> len(data.Vocab(tokens, min_freq=2))             # <unk>, the, time
    3
    """

    def __init__(self, tokens: Iterable[Any] = (), min_freq: int = 0,
                 reserved_tokens: Sequence[str] = ()) -> None:
        counter = count_corpus(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda kv: kv[1], reverse=True)
        self.idx_to_token = ["<unk>"] + [t for t in reserved_tokens if t != "<unk>"]
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}
        for token, freq in self.token_freqs:
            if freq < min_freq:
                break
            if token not in self.token_to_idx:
                self.token_to_idx[token] = len(self.idx_to_token)
                self.idx_to_token.append(token)

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens: Any) -> Any:
        """Index of a token, or a list of indices for a list/tuple of tokens."""
        if isinstance(tokens, (list, tuple)):
            return [self[t] for t in tokens]
        return self.token_to_idx.get(tokens, self.unk)

    def to_tokens(self, indices: Any) -> Any:
        """Token of an index, or tokens of a list of indices."""
        if isinstance(indices, (list, tuple, np.ndarray)):
            return [self.idx_to_token[int(i)] for i in indices]
        return self.idx_to_token[int(indices)]

    @property
    def unk(self) -> int:
        return 0


def load_corpus_time_machine(max_tokens: int = -1, token: str = "char",
                             cache_dir: str | None = None) -> tuple[list[int], Vocab]:
    """The book as one list of token indices (characters by default) and its ``Vocab``.

    >>> corpus, vocab = data.load_corpus_time_machine()
    >>> len(corpus), len(vocab), vocab.idx_to_token[:4]
    (173106, 28, ['<unk>', ' ', 'e', 't'])
    >>> "".join(vocab.to_tokens(corpus[:16]))
    'the time machine'
    """
    tokens = tokenize(read_time_machine(cache_dir), token)
    vocab = Vocab(tokens)
    corpus = [vocab[t] for line in tokens for t in line]
    if max_tokens > 0:
        corpus = corpus[:max_tokens]
    return corpus, vocab


def _check(corpus: Sequence[int], batch_size: int, num_steps: int) -> None:
    if batch_size < 1 or num_steps < 1:
        raise ValueError("batch_size and num_steps must be positive")
    if (len(corpus) - 1) // num_steps < batch_size:
        raise ValueError(f"a corpus of {len(corpus)} tokens is too short for one batch of "
                         f"{batch_size} sequences of {num_steps} steps")


def seq_data_iter_random(corpus: Sequence[int], batch_size: int, num_steps: int
                         ) -> Iterator[tuple[Any, Any]]:
    """Random sampling: start at a random offset, cut into subsequences of ``num_steps``, and
    yield them in random order; ``Y`` is ``X`` shifted by one token.  Batches (batch, steps).

    >>> mb.seed(0)
    >>> batches = list(data.seq_data_iter_random(list(range(35)), batch_size=2, num_steps=5))
    >>> len(batches)                    # 6 subsequences of 5 tokens, 2 per batch
    3
    >>> X, Y = batches[0]
    >>> mb.show(X)
    tensor([[19, 20, 21, 22, 23],
            [14, 15, 16, 17, 18]], shape=(2, 5), dtype=int64)
    >>> mb.show(Y)
    tensor([[20, 21, 22, 23, 24],
            [15, 16, 17, 18, 19]], shape=(2, 5), dtype=int64)
    """
    _check(corpus, batch_size, num_steps)
    gen = config.generator()
    corpus = np.asarray(corpus[int(gen.integers(0, num_steps)):], dtype="int64")
    num_subseqs = (len(corpus) - 1) // num_steps
    starts = gen.permutation(np.arange(0, num_subseqs * num_steps, num_steps))
    for i in range(0, batch_size * (num_subseqs // batch_size), batch_size):
        idx = starts[i:i + batch_size]
        X = np.stack([corpus[j:j + num_steps] for j in idx])
        Y = np.stack([corpus[j + 1:j + 1 + num_steps] for j in idx])
        yield ops.from_numpy(X), ops.from_numpy(Y)


def seq_data_iter_sequential(corpus: Sequence[int], batch_size: int, num_steps: int
                             ) -> Iterator[tuple[Any, Any]]:
    """Sequential partitioning: after a random offset, split the corpus into ``batch_size``
    parallel streams, so consecutive minibatches continue each other (the hidden state can be
    carried across them).

    >>> mb.seed(0)
    >>> for X, Y in data.seq_data_iter_sequential(list(range(20)), batch_size=2, num_steps=3):
    ...     print(mb.tolist(X), mb.tolist(Y))
    [[2, 3, 4], [10, 11, 12]] [[3, 4, 5], [11, 12, 13]]
    [[5, 6, 7], [13, 14, 15]] [[6, 7, 8], [14, 15, 16]]
    >>> next(data.seq_data_iter_sequential(list(range(10)), batch_size=4, num_steps=5))
    Traceback (most recent call last):
    ValueError: a corpus of 10 tokens is too short for one batch of 4 sequences of 5 steps
    """
    _check(corpus, batch_size, num_steps)
    offset = int(config.generator().integers(0, num_steps))
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = np.asarray(corpus[offset:offset + num_tokens], dtype="int64").reshape(batch_size, -1)
    Ys = np.asarray(corpus[offset + 1:offset + 1 + num_tokens],
                    dtype="int64").reshape(batch_size, -1)
    for i in range(0, (Xs.shape[1] // num_steps) * num_steps, num_steps):
        yield ops.from_numpy(Xs[:, i:i + num_steps]), ops.from_numpy(Ys[:, i:i + num_steps])


class SeqDataLoader:
    """Iterator over minibatches of the Time Machine corpus (random or sequential sampling).

    >>> mb.seed(0)
    >>> loader = data.SeqDataLoader(batch_size=2, num_steps=10, max_tokens=100)
    >>> for X, Y in loader:             # the first stream of each batch, as text
    ...     print(mb.shape(X), repr("".join(loader.vocab.to_tokens(mb.tolist(X[0])))))
    (2, 10) ' machine b'
    (2, 10) 'y h g well'
    (2, 10) 'sithe time'
    (2, 10) ' traveller'
    """

    def __init__(self, batch_size: int, num_steps: int, use_random_iter: bool = False,
                 max_tokens: int = 10000, cache_dir: str | None = None) -> None:
        self.corpus, self.vocab = load_corpus_time_machine(max_tokens, cache_dir=cache_dir)
        self.batch_size, self.num_steps = batch_size, num_steps
        self.sample = seq_data_iter_random if use_random_iter else seq_data_iter_sequential

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return self.sample(self.corpus, self.batch_size, self.num_steps)


def load_data_time_machine(batch_size: int, num_steps: int, use_random_iter: bool = False,
                           max_tokens: int = 10000, cache_dir: str | None = None
                           ) -> tuple[SeqDataLoader, Vocab]:
    """The minibatch iterator and the vocabulary of the Time Machine (characters).

    >>> train_iter, vocab = data.load_data_time_machine(batch_size=32, num_steps=35)
    >>> X, Y = next(iter(train_iter))
    >>> mb.shape(X), mb.dtype(X), len(vocab)
    ((32, 35), 'int64', 28)
    """
    loader = SeqDataLoader(batch_size, num_steps, use_random_iter, max_tokens, cache_dir)
    return loader, loader.vocab
