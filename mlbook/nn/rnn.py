"""Recurrent layers on the neutral ops: ``RNN``, ``GRU``, ``LSTM``.

Input ``(time, batch, features)``; output ``(time, batch, directions * hidden)`` and the final
state ``(layers * directions, batch, hidden)`` (for LSTM a pair ``(H, C)``).  The equations are
those of the book's from-scratch sections, so a cell written by hand with the same weights gives
the same numbers:

* RNN: :math:`H_t = \\tanh(X_t W_x + H_{t-1} W_h + b)`
* GRU (gates reset, update, candidate):
  :math:`R = \\sigma(X W_{xr} + H W_{hr} + b_r)`, :math:`Z = \\sigma(X W_{xz} + H W_{hz} + b_z)`,
  :math:`\\tilde H = \\tanh(X W_{xh} + (R \\odot H) W_{hh} + b_h)`,
  :math:`H_t = Z \\odot H + (1 - Z) \\odot \\tilde H`
* LSTM (gates input, forget, output, candidate):
  :math:`C_t = F \\odot C + I \\odot \\tilde C`, :math:`H_t = O \\odot \\tanh C_t`

Per layer ``l`` and direction the parameters are ``weight_x_l{l}`` (in, gates*hidden),
``weight_h_l{l}`` (hidden, gates*hidden) and ``bias_l{l}`` (gates*hidden), with the gates side
by side in the order above and ``_reverse`` appended for the backward direction.  They start
uniform on :math:`\\pm 1/\\sqrt{\\mathrm{hidden}}`.
"""

from __future__ import annotations

import math
from typing import Any

from .. import init as _init
from .. import ops
from .layers import Linear, init_parameter
from .module import Module

__all__ = ["RNN", "GRU", "LSTM", "RNNModel"]


class _Recurrent(Module):
    GATES = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bidirectional = num_layers, bidirectional
        self.directions = 2 if bidirectional else 1
        bound = 1.0 / math.sqrt(hidden_size)
        init = _init.uniform(-bound, bound)
        g = self.GATES * hidden_size
        for layer in range(num_layers):
            size_in = input_size if layer == 0 else hidden_size * self.directions
            for suffix in self._suffixes():
                setattr(self, f"weight_x_l{layer}{suffix}", init_parameter(init, (size_in, g), 0, 0))
                setattr(self, f"weight_h_l{layer}{suffix}", init_parameter(init, (hidden_size, g), 0, 0))
                setattr(self, f"bias_l{layer}{suffix}", init_parameter(init, (g,), 0, 0))

    def _suffixes(self) -> list[str]:
        return ["", "_reverse"][:self.directions]

    def begin_state(self, batch_size: int) -> Any:
        """The zero initial state for ``batch_size`` sequences."""
        return ops.zeros((self.num_layers * self.directions, batch_size, self.hidden_size))

    def forward(self, x: Any, state: Any = None) -> tuple[Any, Any]:
        shape = ops.shape(x)
        if len(shape) != 3 or shape[2] != self.input_size:
            raise ValueError(f"{type(self).__name__} expects (time, batch, {self.input_size}) "
                             f"input, got {shape}")
        if state is None:
            state = self.begin_state(shape[1])
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for d, suffix in enumerate(self._suffixes()):
                k = layer * self.directions + d
                weights = [getattr(self, f"{n}_l{layer}{suffix}")
                           for n in ("weight_x", "weight_h", "bias")]
                out, final = self._run(x, self._state_at(state, k), weights, reverse=d == 1)
                outputs.append(out)
                finals.append(final)
            x = outputs[0] if len(outputs) == 1 else ops.concat(outputs, axis=2)
        return x, self._stack_states(finals)

    def _state_at(self, state: Any, k: int) -> Any:
        return state[k]

    def _stack_states(self, finals: list[Any]) -> Any:
        return ops.stack(finals)

    def _run(self, x: Any, h: Any, weights: list[Any], reverse: bool) -> tuple[Any, Any]:
        w_x, w_h, b = weights
        T, B = ops.shape(x)[:2]
        xw = ops.matmul(x, w_x) + b                # all time steps at once: (T, B, gates*H)
        # one split into steps and one split of W_h into its gate blocks, not a slice per step:
        # the same numbers, but a slice's gradient costs a full-size zero tensor on TensorFlow
        steps = [ops.reshape(s, (B, -1)) for s in ops.split(xw, T, axis=0)]
        w_h = self.gate_blocks(w_h)
        outs = []
        for xw_t in (reversed(steps) if reverse else steps):
            h = self.cell(xw_t, h, w_h)
            outs.append(h[0] if isinstance(h, tuple) else h)
        if reverse:
            outs.reverse()
        return ops.stack(outs), h

    def gate_blocks(self, w: Any) -> Any:
        """``W_h`` as the cell uses it (here whole; a gated cell splits it by gate)."""
        return w

    def cell(self, xw: Any, h: Any, w_h: Any) -> Any:
        """One time step: ``xw`` is :math:`X_t W_x + b` (batch, gates*H), ``h`` the previous
        state, ``w_h`` what :meth:`gate_blocks` made of the hidden weights."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
                f"bidirectional={self.bidirectional}")


class RNN(_Recurrent):
    """Elman RNN with tanh: :math:`H_t = \\tanh(X_t W_x + H_{t-1} W_h + b)`.

    >>> mb.seed(0)
    >>> rnn = nn.RNN(input_size=3, hidden_size=4)
    >>> X = mb.ones((5, 2, 3))                       # (time, batch, features)
    >>> Y, H = rnn(X)
    >>> mb.shape(Y), mb.shape(H)                     # every step's output, the final state
    ((5, 2, 4), (1, 2, 4))
    >>> mb.show(Y[-1] - H[0])                        # the last output is the final state
    tensor([[0., 0., 0., 0.],
            [0., 0., 0., 0.]], shape=(2, 4), dtype=float32)
    >>> [name for name, _ in rnn.named_parameters()]
    ['weight_x_l0', 'weight_h_l0', 'bias_l0']
    >>> Y, H = nn.RNN(3, 4, num_layers=2, bidirectional=True)(X)
    >>> mb.shape(Y), mb.shape(H)
    ((5, 2, 8), (4, 2, 4))
    """

    def cell(self, xw: Any, h: Any, w_h: Any) -> Any:
        return ops.tanh(xw + ops.matmul(h, w_h))


class GRU(_Recurrent):
    """Gated recurrent unit (reset gate applied before the hidden matrix, as in the book).

    >>> mb.seed(0)
    >>> gru = nn.GRU(input_size=3, hidden_size=4)
    >>> mb.shape(gru.weight_x_l0), mb.shape(gru.weight_h_l0)   # gates R|Z|candidate side by side
    ((3, 12), (4, 12))
    >>> Y, H = gru(mb.ones((5, 2, 3)))
    >>> mb.shape(Y), mb.shape(H)
    ((5, 2, 4), (1, 2, 4))
    >>> Y, H = gru(mb.ones((5, 2, 3)), H)           # continue from a state
    >>> mb.shape(H)
    (1, 2, 4)
    """

    GATES = 3

    def gate_blocks(self, w: Any) -> Any:
        return ops.split(w, [2 * self.hidden_size], axis=1)      # W_hr|W_hz and W_hh

    def cell(self, xw: Any, h: Any, w_h: Any) -> Any:
        w_rz, w_hh = w_h
        xw_rz, xw_h = ops.split(xw, [2 * self.hidden_size], axis=1)
        r, z = ops.split(ops.sigmoid(xw_rz + ops.matmul(h, w_rz)), 2, axis=1)
        candidate = ops.tanh(xw_h + ops.matmul(r * h, w_hh))
        return z * h + (1 - z) * candidate


class LSTM(_Recurrent):
    """Long short-term memory; the state is a pair ``(H, C)``.

    >>> mb.seed(0)
    >>> lstm = nn.LSTM(input_size=3, hidden_size=4, num_layers=2)
    >>> Y, (H, C) = lstm(mb.ones((5, 2, 3)))         # the state is a pair
    >>> mb.shape(Y), mb.shape(H), mb.shape(C)
    ((5, 2, 4), (2, 2, 4), (2, 2, 4))
    >>> mb.shape(lstm.weight_x_l0), mb.shape(lstm.weight_x_l1)   # 4 gates
    ((3, 16), (4, 16))
    """

    GATES = 4

    def begin_state(self, batch_size: int) -> tuple[Any, Any]:
        zeros = super().begin_state
        return zeros(batch_size), zeros(batch_size)

    def _state_at(self, state: Any, k: int) -> Any:
        return state[0][k], state[1][k]

    def _stack_states(self, finals: list[Any]) -> Any:
        return ops.stack([h for h, _ in finals]), ops.stack([c for _, c in finals])

    def cell(self, xw: Any, hc: Any, w_h: Any) -> Any:
        h, c = hc
        i, f, o, g = ops.split(xw + ops.matmul(h, w_h), 4, axis=1)
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        return ops.sigmoid(o) * ops.tanh(c), c


class RNNModel(Module):
    """A language model around a recurrent layer (the book's ``RNNModel``): token indices
    (batch, steps) are one-hot encoded, run through ``rnn_layer`` (time first), and a dense layer
    maps every step's output to scores over the vocabulary.  ``forward(X, state)`` returns the
    scores (steps * batch, vocab_size), time-major like the labels ``Y.T`` flattened, and the new
    state.

    >>> mb.seed(0)
    >>> model = nn.RNNModel(nn.GRU(input_size=10, hidden_size=8), vocab_size=10)
    >>> X = mb.array([[1, 2, 3, 4, 5], [6, 7, 8, 9, 0]])   # (batch 2, steps 5)
    >>> state = model.begin_state(batch_size=2)
    >>> Y, state = model(X, state)
    >>> mb.shape(Y), mb.shape(state)                # (steps * batch, vocab), time-major
    ((10, 10), (1, 2, 8))
    """

    def __init__(self, rnn_layer: _Recurrent, vocab_size: int) -> None:
        super().__init__()
        self.rnn, self.vocab_size = rnn_layer, vocab_size
        self.num_hiddens = rnn_layer.hidden_size * rnn_layer.directions
        self.linear = Linear(self.num_hiddens, vocab_size)

    def forward(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        X = ops.one_hot(ops.T(inputs), self.vocab_size)            # (steps, batch, vocab)
        Y, state = self.rnn(X, state)
        return self.linear(ops.reshape(Y, (-1, ops.shape(Y)[-1]))), state

    def begin_state(self, batch_size: int) -> Any:
        """The recurrent layer's zero state for ``batch_size`` sequences."""
        return self.rnn.begin_state(batch_size)
