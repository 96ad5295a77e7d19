"""The encoder-decoder interface of the book's sequence-to-sequence chapter.

An :class:`Encoder` turns a variable-length source sequence into some state; a
:class:`Decoder` starts from that state (``init_state``) and produces the target sequence one
step at a time, carrying its own state; :class:`EncoderDecoder` chains them for training with
teacher forcing (the decoder is fed the true previous target tokens)::

    net = EncoderDecoder(MyEncoder(...), MyDecoder(...))
    Y_hat = net(X, dec_X, X_valid_len)             # (batch, steps, vocab) scores
"""

from __future__ import annotations

from typing import Any

from .. import ops
from .layers import Embedding, Linear
from .module import Module
from .rnn import GRU

__all__ = ["Encoder", "Decoder", "EncoderDecoder", "Seq2SeqEncoder", "Seq2SeqDecoder"]


class Encoder(Module):
    """Base class: ``forward(X, *args)`` encodes the source sequences ``X``.

    >>> class LastToken(nn.Encoder):
    ...     def forward(self, X, *args):
    ...         return X[:, -1]
    >>> mb.show(LastToken()(mb.array([[1, 2, 3], [4, 5, 6]])))
    tensor([3, 6], shape=(2,), dtype=int64)
    >>> nn.Encoder()(mb.ones((2, 3)))
    Traceback (most recent call last):
    NotImplementedError: Encoder must define forward(X, *args)
    """

    def forward(self, X: Any, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(X, *args)")


class Decoder(Module):
    """Base class: ``init_state(enc_outputs, *args)`` makes the first decoder state from the
    encoder's outputs; ``forward(X, state)`` returns ``(outputs, new state)``.

    >>> class Repeat(nn.Decoder):                     # outputs its state at every step
    ...     def init_state(self, enc_outputs, *args):
    ...         return enc_outputs
    ...     def forward(self, X, state):
    ...         return X * 0 + mb.reshape(state, (-1, 1)), state
    >>> decoder = Repeat()
    >>> Y, state = decoder(mb.zeros((2, 3), dtype=mb.int64), decoder.init_state(mb.array([7, 8])))
    >>> mb.show(Y)
    tensor([[7, 7, 7],
            [8, 8, 8]], shape=(2, 3), dtype=int64)
    >>> nn.Decoder().init_state(mb.ones((2, 3)))
    Traceback (most recent call last):
    NotImplementedError: Decoder must define init_state(enc_outputs)
    """

    def init_state(self, enc_outputs: Any, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define init_state(enc_outputs)")

    def forward(self, X: Any, state: Any) -> tuple[Any, Any]:
        raise NotImplementedError(f"{type(self).__name__} must define forward(X, state)")


class EncoderDecoder(Module):
    """An encoder and a decoder: ``forward(enc_X, dec_X, *args)`` encodes ``enc_X``, starts the
    decoder from the result and returns the decoder's outputs for the inputs ``dec_X``; extra
    ``args`` (such as the source valid lengths) go to the encoder and to ``init_state``.

    >>> mb.seed(0)
    >>> net = nn.EncoderDecoder(nn.Seq2SeqEncoder(10, 8, 16, num_layers=2),
    ...                         nn.Seq2SeqDecoder(10, 8, 16, num_layers=2))
    >>> X = mb.zeros((4, 7), dtype=mb.int64)          # 4 source sequences of 7 tokens
    >>> dec_X = mb.ones((4, 5), dtype=mb.int64)       # 4 target sequences of 5 tokens
    >>> mb.shape(net(X, dec_X))                      # (batch, steps, vocab) scores
    (4, 5, 10)
    """

    def __init__(self, encoder: Encoder, decoder: Decoder) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, enc_X: Any, dec_X: Any, *args: Any) -> Any:
        enc_outputs = self.encoder(enc_X, *args)
        dec_state = self.decoder.init_state(enc_outputs, *args)
        return self.decoder(dec_X, dec_state)[0]


class Seq2SeqEncoder(Encoder):
    """The sequence-to-sequence chapter's encoder: embedded source tokens (batch, steps) run
    through a multilayer GRU; returns the outputs of the last layer at every step
    (steps, batch, hiddens) and the final state of every layer (layers, batch, hiddens).

    >>> mb.seed(0)
    >>> encoder = nn.Seq2SeqEncoder(vocab_size=10, embed_size=8, num_hiddens=16, num_layers=2)
    >>> outputs, state = encoder(mb.zeros((4, 7), dtype=mb.int64))   # (batch, steps) tokens
    >>> mb.shape(outputs), mb.shape(state)
    ((7, 4, 16), (2, 4, 16))
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int,
                 num_layers: int) -> None:
        super().__init__()
        self.embedding = Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size, num_hiddens, num_layers)

    def forward(self, X: Any, *args: Any) -> tuple[Any, Any]:
        return self.rnn(self.embedding(ops.T(X)))


class Seq2SeqDecoder(Decoder):
    """The sequence-to-sequence chapter's decoder: a GRU started from the encoder's final
    state, reading the embedded previous target token concatenated with the context (the
    encoder's last-layer final state) at every step; a dense layer scores the target
    vocabulary.  ``forward`` returns (batch, steps, vocab) scores and the new state.

    >>> mb.seed(0)
    >>> encoder = nn.Seq2SeqEncoder(vocab_size=10, embed_size=8, num_hiddens=16, num_layers=2)
    >>> decoder = nn.Seq2SeqDecoder(vocab_size=10, embed_size=8, num_hiddens=16, num_layers=2)
    >>> X = mb.zeros((4, 7), dtype=mb.int64)
    >>> state = decoder.init_state(encoder(X))
    >>> Y, (H, context) = decoder(X, state)
    >>> mb.shape(Y), mb.shape(H), mb.shape(context)
    ((4, 7, 10), (2, 4, 16), (4, 16))
    """

    def __init__(self, vocab_size: int, embed_size: int, num_hiddens: int,
                 num_layers: int) -> None:
        super().__init__()
        self.embedding = Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size + num_hiddens, num_hiddens, num_layers)
        self.dense = Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs: Any, *args: Any) -> tuple[Any, Any]:
        enc_state = enc_outputs[1]
        return enc_state, enc_state[-1]

    def forward(self, X: Any, state: tuple[Any, Any]) -> tuple[Any, tuple[Any, Any]]:
        H, context = state
        embs = self.embedding(ops.T(X))                     # (steps, batch, embed_size)
        every_step = ops.broadcast_to(context, (ops.shape(embs)[0],) + ops.shape(context))
        outputs, H = self.rnn(ops.concat([embs, every_step], axis=2), H)
        return ops.swapaxes(self.dense(outputs), 0, 1), (H, context)
