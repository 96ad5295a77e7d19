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

from .module import Module

__all__ = ["Encoder", "Decoder", "EncoderDecoder"]


class Encoder(Module):
    """Base class: ``forward(X, *args)`` encodes the source sequences ``X``."""

    def forward(self, X: Any, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(X, *args)")


class Decoder(Module):
    """Base class: ``init_state(enc_outputs, *args)`` makes the first decoder state from the
    encoder's outputs; ``forward(X, state)`` returns ``(outputs, new state)``."""

    def init_state(self, enc_outputs: Any, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define init_state(enc_outputs)")

    def forward(self, X: Any, state: Any) -> tuple[Any, Any]:
        raise NotImplementedError(f"{type(self).__name__} must define forward(X, state)")


class EncoderDecoder(Module):
    """An encoder and a decoder: ``forward(enc_X, dec_X, *args)`` encodes ``enc_X``, starts the
    decoder from the result and returns the decoder's outputs for the inputs ``dec_X``; extra
    ``args`` (such as the source valid lengths) go to the encoder and to ``init_state``."""

    def __init__(self, encoder: Encoder, decoder: Decoder) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, enc_X: Any, dec_X: Any, *args: Any) -> Any:
        enc_outputs = self.encoder(enc_X, *args)
        dec_state = self.decoder.init_state(enc_outputs, *args)
        return self.decoder(dec_X, dec_state)[0]
