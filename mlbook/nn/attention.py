"""Attention and the Transformer's building blocks, written once on the neutral ops (the book's
part 5, d2l's chapter "Attention Mechanisms and Transformers").

Shapes follow the book: queries (batch, q, d_q), keys (batch, k, d_k), values (batch, k, d_v);
``valid_lens`` is None, one length per example (batch,) or one per query (batch, q), and keys
past it get weight 0.  Each attention layer keeps its last weights in ``attention_weights``
(batch, q, k) for the heat maps of :func:`mlbook.plot.show_heatmaps`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import ops
from .layers import Conv2d, Dropout, LayerNorm, LazyLinear, Linear, ReLU
from .module import Module

__all__ = ["masked_softmax", "DotProductAttention", "AdditiveAttention", "MultiHeadAttention",
           "PositionalEncoding", "PositionWiseFFN", "AddNorm", "TransformerEncoderBlock",
           "TransformerDecoderBlock", "PatchEmbedding"]

#: What a masked score becomes before the softmax: exp(-1e6 - max) is exactly 0 in float32.
MASK_VALUE = -1e6


def masked_softmax(X: Any, valid_lens: Any = None) -> Any:
    """Softmax over the last axis of ``X`` (batch, q, k), keys at positions ≥ the valid length
    set to :data:`MASK_VALUE` first, so their weights are 0 and each row sums to 1 over the
    valid keys.  ``valid_lens``: None (no mask), (batch,) or (batch, q).

    >>> X = mb.ones((2, 1, 4))                         # 2 examples, 1 query, 4 keys
    >>> W = nn.masked_softmax(X, mb.array([2, 3]))     # one valid length per example
    >>> mb.show(W[:, 0], decimals=4)
    tensor([[0.5   , 0.5   , 0.    , 0.    ],
            [0.3333, 0.3333, 0.3333, 0.    ]], shape=(2, 4), dtype=float32)
    >>> X = mb.ones((1, 2, 4))                         # 1 example, 2 queries, 4 keys
    >>> W = nn.masked_softmax(X, mb.array([[1, 3]]))   # one valid length per query
    >>> mb.show(W[0], decimals=4)
    tensor([[1.    , 0.    , 0.    , 0.    ],
            [0.3333, 0.3333, 0.3333, 0.    ]], shape=(2, 4), dtype=float32)
    >>> mb.show(nn.masked_softmax(X)[0], decimals=4)   # no mask
    tensor([[0.25, 0.25, 0.25, 0.25],
            [0.25, 0.25, 0.25, 0.25]], shape=(2, 4), dtype=float32)
    """
    if valid_lens is None:
        return ops.softmax(X, axis=-1)
    shape = ops.shape(X)
    if len(shape) != 3:
        raise ValueError(f"masked_softmax: X must be (batch, queries, keys), got {shape}")
    lens = ops.astype(valid_lens, "int64")
    if ops.shape(lens) == shape[:1]:
        lens = ops.broadcast_to(ops.reshape(lens, (-1, 1)), shape[:2])
    elif ops.shape(lens) != shape[:2]:
        raise ValueError(f"masked_softmax: valid_lens must be (batch,) {shape[:1]} or (batch, "
                         f"queries) {shape[:2]}, got {ops.shape(lens)}")
    keys = ops.reshape(ops.arange(shape[2]), (1, 1, shape[2]))
    mask = ops.less(keys, ops.expand_dims(lens, -1))
    return ops.softmax(ops.where(mask, X, ops.full_like(X, MASK_VALUE)), axis=-1)


class DotProductAttention(Module):
    """Scaled dot-product attention: :math:`\\mathrm{softmax}(QK^\\top/\\sqrt{d})\\,V`, with
    dropout on the attention weights.

    >>> attention = nn.DotProductAttention()
    >>> queries, keys = mb.ones((2, 1, 2)), mb.ones((2, 6, 2))
    >>> values = mb.reshape(mb.arange(24.0), (2, 6, 2))
    >>> Y = attention(queries, keys, values, mb.array([2, 6]))
    >>> mb.shape(Y)                                  # (batch, queries, value size)
    (2, 1, 2)
    >>> mb.show(Y[:, 0], decimals=4)                 # the mean of the first 2, of all 6 values
    tensor([[ 1.,  2.],
            [17., 18.]], shape=(2, 2), dtype=float32)
    >>> mb.show(attention.attention_weights[:, 0], decimals=4)
    tensor([[0.5   , 0.5   , 0.    , 0.    , 0.    , 0.    ],
            [0.1667, 0.1667, 0.1667, 0.1667, 0.1667, 0.1667]], shape=(2, 6), dtype=float32)
    """

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = Dropout(dropout)
        self.attention_weights: Any = None

    def forward(self, queries: Any, keys: Any, values: Any, valid_lens: Any = None) -> Any:
        d = ops.shape(queries)[-1]
        if ops.shape(keys)[-1] != d:
            raise ValueError(f"DotProductAttention: queries have size {d}, keys "
                             f"{ops.shape(keys)[-1]}; dot products need equal sizes")
        scores = ops.matmul(queries, ops.swapaxes(keys, 1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return ops.matmul(self.dropout(self.attention_weights), values)


class AdditiveAttention(Module):
    """Additive attention: score :math:`w_v^\\top \\tanh(W_q q + W_k k)`, for queries and keys of
    different sizes.

    >>> mb.seed(0)
    >>> attention = nn.AdditiveAttention(num_hiddens=8)
    >>> queries, keys = mb.ones((2, 1, 20)), mb.ones((2, 6, 2))    # sizes may differ
    >>> values = mb.reshape(mb.arange(24.0), (2, 6, 2))
    >>> Y = attention(queries, keys, values, mb.array([2, 6]))
    >>> mb.shape(Y), mb.shape(attention.attention_weights)
    ((2, 1, 2), (2, 1, 6))
    >>> mb.show(Y[:, 0], decimals=4)                 # equal keys: equal weights on the valid ones
    tensor([[ 1.,  2.],
            [17., 18.]], shape=(2, 2), dtype=float32)
    """

    def __init__(self, num_hiddens: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.W_k = LazyLinear(num_hiddens, bias=False)
        self.W_q = LazyLinear(num_hiddens, bias=False)
        self.w_v = Linear(num_hiddens, 1, bias=False)
        self.dropout = Dropout(dropout)
        self.attention_weights: Any = None

    def forward(self, queries: Any, keys: Any, values: Any, valid_lens: Any = None) -> Any:
        q, k = self.W_q(queries), self.W_k(keys)
        # (batch, q, 1, h) + (batch, 1, k, h): every query against every key
        features = ops.tanh(ops.expand_dims(q, 2) + ops.expand_dims(k, 1))
        scores = ops.squeeze(self.w_v(features), -1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return ops.matmul(self.dropout(self.attention_weights), values)


class MultiHeadAttention(Module):
    """``num_heads`` scaled dot-product attentions on learned projections of size
    ``num_hiddens / num_heads``, computed as one batched attention, concatenated and projected
    by ``W_o``.

    >>> mb.seed(0)
    >>> attention = nn.MultiHeadAttention(num_hiddens=8, num_heads=2)
    >>> X, Y = mb.ones((2, 4, 8)), mb.ones((2, 6, 8))       # 4 queries, 6 key-value pairs
    >>> mb.shape(attention(X, Y, Y, mb.array([3, 2])))
    (2, 4, 8)
    >>> mb.shape(attention.attention_weights)               # (batch * heads, queries, keys)
    (4, 4, 6)
    >>> nn.MultiHeadAttention(8, 3)
    Traceback (most recent call last):
    ValueError: MultiHeadAttention: num_hiddens 8 must be a multiple of num_heads 3
    """

    def __init__(self, num_hiddens: int, num_heads: int, dropout: float = 0.0,
                 bias: bool = False) -> None:
        super().__init__()
        if num_hiddens % num_heads:
            raise ValueError(f"MultiHeadAttention: num_hiddens {num_hiddens} must be a multiple "
                             f"of num_heads {num_heads}")
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = LazyLinear(num_hiddens, bias=bias)
        self.W_k = LazyLinear(num_hiddens, bias=bias)
        self.W_v = LazyLinear(num_hiddens, bias=bias)
        self.W_o = LazyLinear(num_hiddens, bias=bias)

    def transpose_qkv(self, X: Any) -> Any:
        """(batch, n, num_hiddens) -> (batch * num_heads, n, num_hiddens / num_heads)."""
        b, n, h = ops.shape(X)
        X = ops.transpose(ops.reshape(X, (b, n, self.num_heads, -1)), (0, 2, 1, 3))
        return ops.reshape(X, (b * self.num_heads, n, h // self.num_heads))

    def transpose_output(self, X: Any) -> Any:
        """The inverse of :meth:`transpose_qkv`."""
        bh, n, d = ops.shape(X)
        X = ops.transpose(ops.reshape(X, (-1, self.num_heads, n, d)), (0, 2, 1, 3))
        return ops.reshape(X, (bh // self.num_heads, n, d * self.num_heads))

    @property
    def attention_weights(self) -> Any:
        """The last weights, (batch * num_heads, q, k)."""
        return self.attention.attention_weights

    def forward(self, queries: Any, keys: Any, values: Any, valid_lens: Any = None) -> Any:
        q = self.transpose_qkv(self.W_q(queries))
        k = self.transpose_qkv(self.W_k(keys))
        v = self.transpose_qkv(self.W_v(values))
        if valid_lens is not None:                       # one copy per head, head-major order
            valid_lens = ops.repeat(valid_lens, self.num_heads, axis=0)
        return self.W_o(self.transpose_output(self.attention(q, k, v, valid_lens)))


class PositionalEncoding(Module):
    """Adds the sinusoidal position encoding :math:`p_{i,2j} = \\sin(i/10000^{2j/d})`,
    :math:`p_{i,2j+1} = \\cos(i/10000^{2j/d})` to (batch, steps, d) inputs, then dropout.

    >>> encoding = nn.PositionalEncoding(4)
    >>> X = mb.zeros((1, 3, 4))                              # (batch, steps, d)
    >>> mb.show(encoding(X), decimals=4)
    tensor([[[ 0.    ,  1.    ,  0.    ,  1.    ],
             [ 0.8415,  0.5403,  0.01  ,  1.    ],
             [ 0.9093, -0.4161,  0.02  ,  0.9998]]], shape=(1, 3, 4), dtype=float32)
    >>> mb.show(encoding(X[:, :1], offset=2), decimals=4)    # the step at position 2
    tensor([[[ 0.9093, -0.4161,  0.02  ,  0.9998]]], shape=(1, 1, 4), dtype=float32)
    """

    def __init__(self, num_hiddens: int, dropout: float = 0.0, max_len: int = 1000) -> None:
        super().__init__()
        self.dropout = Dropout(dropout)
        self.P = ops.from_numpy(positional_encoding(max_len, num_hiddens)[None])

    def forward(self, X: Any, offset: int = 0) -> Any:
        """``X`` (batch, steps, d) plus the encodings of positions ``offset`` to
        ``offset + steps - 1`` (a decoder that predicts one token per call passes the number
        of tokens decoded so far)."""
        steps, d = ops.shape(X)[1:]
        if offset + steps > ops.shape(self.P)[1] or d != ops.shape(self.P)[2]:
            raise ValueError(f"PositionalEncoding({ops.shape(self.P)[2]}, max_len="
                             f"{ops.shape(self.P)[1]}) got input of shape {ops.shape(X)} at "
                             f"position {offset}")
        return self.dropout(X + ops.astype(self.P[:, offset:offset + steps, :], ops.dtype(X)))


def positional_encoding(max_len: int, num_hiddens: int) -> np.ndarray:
    """The (max_len, num_hiddens) float32 table of :class:`PositionalEncoding` (computed in
    float64 by numpy, so every backend adds the same numbers).

    >>> P = nn.positional_encoding(3, 4)                      # a numpy array
    >>> P.shape, P.dtype
    ((3, 4), dtype('float32'))
    >>> print(np.round(P, 4))
    [[ 0.      1.      0.      1.    ]
     [ 0.8415  0.5403  0.01    1.    ]
     [ 0.9093 -0.4161  0.02    0.9998]]
    """
    i = np.arange(max_len, dtype=np.float64)[:, None]
    angles = i / np.power(10000.0, np.arange(0, num_hiddens, 2, dtype=np.float64) / num_hiddens)
    P = np.zeros((max_len, num_hiddens))
    P[:, 0::2] = np.sin(angles)
    P[:, 1::2] = np.cos(angles[:, :num_hiddens // 2])
    return P.astype(np.float32)


class PositionWiseFFN(Module):
    """The same two-layer MLP applied at every position: dense, ReLU, dense.

    >>> mb.seed(0)
    >>> ffn = nn.PositionWiseFFN(ffn_num_hiddens=16, ffn_num_outputs=8)
    >>> Y = ffn(mb.ones((2, 3, 4)))                          # (batch, steps, d)
    >>> mb.shape(Y)
    (2, 3, 8)
    >>> mb.show(Y[0, 0] - Y[1, 2], decimals=4)               # the same MLP at every position
    tensor([0., 0., 0., 0., 0., 0., 0., 0.], shape=(8,), dtype=float32)
    """

    def __init__(self, ffn_num_hiddens: int, ffn_num_outputs: int) -> None:
        super().__init__()
        self.dense1 = LazyLinear(ffn_num_hiddens)
        self.relu = ReLU()
        self.dense2 = LazyLinear(ffn_num_outputs)

    def forward(self, X: Any) -> Any:
        return self.dense2(self.relu(self.dense1(X)))


class AddNorm(Module):
    """Residual connection then layer normalization: ``LayerNorm(dropout(Y) + X)``.

    >>> add_norm = nn.AddNorm(3)
    >>> X = mb.ones((1, 2, 3))
    >>> Y = mb.array([[[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]]])
    >>> mb.show(add_norm(X, Y), decimals=4)                  # LayerNorm(X + Y)
    tensor([[[-1.2247,  0.    ,  1.2247],
             [ 0.    ,  0.    ,  0.    ]]], shape=(1, 2, 3), dtype=float32)
    """

    def __init__(self, norm_shape: int | tuple[int, ...], dropout: float = 0.0) -> None:
        super().__init__()
        self.dropout = Dropout(dropout)
        self.ln = LayerNorm(norm_shape)

    def forward(self, X: Any, Y: Any) -> Any:
        return self.ln(self.dropout(Y) + X)


class TransformerEncoderBlock(Module):
    """Multi-head self-attention and a position-wise FFN, each followed by add & norm.

    >>> mb.seed(0)
    >>> block = nn.TransformerEncoderBlock(num_hiddens=8, ffn_num_hiddens=16, num_heads=2)
    >>> X = mb.ones((2, 5, 8))
    >>> mb.shape(block(X, mb.array([3, 2])))                # the shape is kept
    (2, 5, 8)
    """

    def __init__(self, num_hiddens: int, ffn_num_hiddens: int, num_heads: int,
                 dropout: float = 0.0, use_bias: bool = False) -> None:
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout, use_bias)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(num_hiddens, dropout)

    def forward(self, X: Any, valid_lens: Any = None) -> Any:
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))


class TransformerDecoderBlock(Module):
    """The ``i``-th decoder block: masked (causal) self-attention, attention over the encoder's
    outputs, and a position-wise FFN, each followed by add & norm.

    ``state`` is ``[enc_outputs, enc_valid_lens, cache]`` with ``cache[i]`` the decoded
    representations so far (None before the first step).  In training the whole target
    sequence is processed at once and position t attends to positions ≤ t; in prediction one
    token is decoded per call and attends to the cached ones.

    >>> mb.seed(0)
    >>> encoder_block = nn.TransformerEncoderBlock(8, 16, num_heads=2)
    >>> block = nn.TransformerDecoderBlock(8, 16, num_heads=2, dropout=0.0, i=0)
    >>> X, valid_lens = mb.ones((2, 5, 8)), mb.array([3, 2])
    >>> state = [encoder_block(X, valid_lens), valid_lens, [None]]
    >>> Y, state = block.train()(X, state)                   # training: all steps at once
    >>> mb.shape(Y), mb.shape(state[2][0])
    ((2, 5, 8), (2, 5, 8))
    >>> state = [encoder_block(X, valid_lens), valid_lens, [None]]
    >>> block = block.eval()                                 # prediction: one step per call
    >>> for t in range(3):
    ...     Y, state = block(X[:, t:t + 1], state)
    >>> mb.shape(Y), mb.shape(state[2][0])                   # the cache holds 3 steps
    ((2, 1, 8), (2, 3, 8))
    """

    def __init__(self, num_hiddens: int, ffn_num_hiddens: int, num_heads: int,
                 dropout: float, i: int) -> None:
        super().__init__()
        self.i = i
        self.attention1 = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.addnorm1 = AddNorm(num_hiddens, dropout)
        self.attention2 = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.addnorm2 = AddNorm(num_hiddens, dropout)
        self.ffn = PositionWiseFFN(ffn_num_hiddens, num_hiddens)
        self.addnorm3 = AddNorm(num_hiddens, dropout)

    def forward(self, X: Any, state: list[Any]) -> tuple[Any, list[Any]]:
        enc_outputs, enc_valid_lens = state[0], state[1]
        cached = state[2][self.i]
        key_values = X if cached is None else ops.concat([cached, X], axis=1)
        state[2][self.i] = key_values
        if self.training:
            batch, steps = ops.shape(X)[:2]
            causal = ops.broadcast_to(ops.reshape(ops.arange(1, steps + 1), (1, steps)),
                                      (batch, steps))   # position t sees keys 0..t
        else:
            causal = None
        Y = self.addnorm1(X, self.attention1(X, key_values, key_values, causal))
        Z = self.addnorm2(Y, self.attention2(Y, enc_outputs, enc_outputs, enc_valid_lens))
        return self.addnorm3(Z, self.ffn(Z)), state


class PatchEmbedding(Module):
    """Cut (batch, C, H, W) images into non-overlapping ``patch_size`` patches and project each
    to ``num_hiddens`` (one strided convolution): (batch, num_patches, num_hiddens).

    >>> mb.seed(0)
    >>> patches = nn.PatchEmbedding(img_size=8, patch_size=4, num_hiddens=16, in_channels=3)
    >>> patches.num_patches
    4
    >>> mb.shape(patches(mb.ones((2, 3, 8, 8))))            # (batch, patches, hiddens)
    (2, 4, 16)
    >>> nn.PatchEmbedding(10, 4, 16)
    Traceback (most recent call last):
    ValueError: PatchEmbedding: image size (10, 10) is not a multiple of the patch size (4, 4)
    """

    def __init__(self, img_size: int | tuple[int, int], patch_size: int | tuple[int, int],
                 num_hiddens: int, in_channels: int = 1) -> None:
        super().__init__()
        img = (img_size, img_size) if isinstance(img_size, int) else tuple(img_size)
        patch = (patch_size, patch_size) if isinstance(patch_size, int) else tuple(patch_size)
        if img[0] % patch[0] or img[1] % patch[1]:
            raise ValueError(f"PatchEmbedding: image size {img} is not a multiple of the patch "
                             f"size {patch}")
        self.img_size = img
        self.num_patches = (img[0] // patch[0]) * (img[1] // patch[1])
        self.conv = Conv2d(in_channels, num_hiddens, kernel_size=patch, stride=patch)

    def forward(self, X: Any) -> Any:
        if tuple(ops.shape(X)[2:]) != self.img_size:
            raise ValueError(f"PatchEmbedding for {self.img_size} images got {ops.shape(X)}")
        Y = self.conv(X)                                  # (batch, h, H/p, W/p)
        b, h = ops.shape(Y)[:2]
        return ops.swapaxes(ops.reshape(Y, (b, h, -1)), 1, 2)
