"""Sequence models: ``nn.RNNModel``, the language-model loop (``train.train_lm``,
``train.predict_lm``) and the sequence-to-sequence loop (``train.train_seq2seq``,
``train.predict_seq2seq``), on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import mlbook as mb
from mlbook import data, losses, nn, train
from mlbook.train import decoder_inputs

TEXT = "abcd" * 60


def periodic_batches(vocab, batch_size=4, num_steps=6):
    """Sequential minibatches of the periodic text 'abcdabcd...': each row continues the same
    row of the previous minibatch."""
    corpus = np.array(vocab[list(TEXT)])
    n = (len(corpus) - 1) // batch_size
    Xs = corpus[:batch_size * n].reshape(batch_size, n)
    Ys = corpus[1:batch_size * n + 1].reshape(batch_size, n)
    return [(mb.array(Xs[:, i:i + num_steps]), mb.array(Ys[:, i:i + num_steps]))
            for i in range(0, n - num_steps + 1, num_steps)]


def test_rnn_model_is_one_hot_rnn_and_dense(backend):
    mb.seed(0)
    net = nn.RNNModel(nn.RNN(7, 5), vocab_size=7)
    X = mb.array([[0, 3, 6], [2, 2, 1]])                       # (batch 2, steps 3)
    state = net.begin_state(2)
    assert mb.shape(state) == (1, 2, 5)
    Y, new_state = net(X, state)
    assert mb.shape(Y) == (6, 7)                               # (steps * batch, vocab)
    # by hand, in numpy
    W_x, W_h = mb.to_numpy(net.rnn.weight_x_l0), mb.to_numpy(net.rnn.weight_h_l0)
    b, W, c = (mb.to_numpy(net.rnn.bias_l0), mb.to_numpy(net.linear.weight),
               mb.to_numpy(net.linear.bias))
    onehot = np.eye(7, dtype="float32")[mb.to_numpy(X).T]      # (steps, batch, vocab)
    H, rows = np.zeros((2, 5), "float32"), []
    for x in onehot:
        H = np.tanh(x @ W_x + H @ W_h + b)
        rows.append(H @ W.T + c if W.shape == (7, 5) else H @ W + c)
    np.testing.assert_allclose(mb.to_numpy(Y), np.concatenate(rows), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mb.to_numpy(new_state)[0], H, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer", [nn.RNN, nn.GRU, nn.LSTM])
def test_train_lm_learns_a_periodic_text_and_predict_lm_continues_it(backend, layer):
    vocab = data.Vocab(list(TEXT))
    batches = periodic_batches(vocab)
    mb.seed(0)
    net = nn.RNNModel(layer(len(vocab), 16), len(vocab))
    history = train.train_lm(net, batches, vocab, lr=2.0, num_epochs=10, prefix="",
                             progress=False)
    ppl = history["perplexity"]                                # uniform over 4 letters is 4
    assert len(ppl) == 10 and ppl[0] > 1.2 and ppl[-1] < 1.1
    assert train.predict_lm("ab", 10, net, vocab) == "abcdabcdabcd"
    assert train.predict_lm("dab", 3, net, vocab) == "dabcda"


def test_train_lm_prints_perplexity_and_a_prediction(capsys):
    vocab = data.Vocab(list(TEXT))
    mb.seed(0)
    net = nn.RNNModel(nn.GRU(len(vocab), 8), len(vocab))
    train.train_lm(net, periodic_batches(vocab), vocab, lr=1.0, num_epochs=1, prefix="abc",
                   progress=False)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("perplexity ") and printed[1].startswith("abc")
    assert len(printed[1]) == 3 + 50


def test_train_lm_agrees_across_backends(all_backends):
    curves = {}
    for b in all_backends:
        mb.set_backend(b)
        vocab = data.Vocab(list(TEXT))
        mb.seed(0)
        net = nn.RNNModel(nn.LSTM(len(vocab), 8), len(vocab))
        curves[b] = train.train_lm(net, periodic_batches(vocab), vocab, lr=1.0, num_epochs=5,
                                   prefix="", progress=False)["perplexity"]
    for b, curve in curves.items():
        np.testing.assert_allclose(curve, curves[all_backends[0]], rtol=1e-4, err_msg=b)


def test_train_lm_detaches_the_state_between_minibatches(backend, monkeypatch):
    """Truncated BPTT: the state carried into a minibatch is a constant for the gradient."""
    vocab = data.Vocab(list(TEXT))
    seen = []
    original = train.stop_gradient

    def recording(x):
        seen.append(mb.shape(x))
        return original(x)

    monkeypatch.setattr(train, "stop_gradient", recording)
    mb.seed(0)
    net = nn.RNNModel(nn.GRU(len(vocab), 8), len(vocab))
    batches = periodic_batches(vocab)
    train.train_lm(net, batches, vocab, lr=1.0, num_epochs=1, prefix="", progress=False)
    assert seen == [(1, 4, 8)] * (len(batches) - 1)            # every minibatch after the first
    seen.clear()
    train.train_lm(net, batches, vocab, lr=1.0, num_epochs=1, prefix="", progress=False,
                   use_random_iter=True)
    assert seen == []                                          # fresh zero state each time


class CopyEncoder(nn.Encoder):
    def __init__(self, vocab_size, hiddens):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 8)
        self.rnn = nn.GRU(8, hiddens)

    def forward(self, X, *args):
        return self.rnn(self.embedding(mb.T(X)))


class CopyDecoder(nn.Decoder):
    def __init__(self, vocab_size, hiddens):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 8)
        self.rnn = nn.GRU(8 + hiddens, hiddens)
        self.dense = nn.Linear(hiddens, vocab_size)

    def init_state(self, enc_outputs, *args):
        return enc_outputs[1], enc_outputs[1][-1]              # GRU state, fixed context

    def forward(self, X, state):
        H, context = state
        embs = self.embedding(mb.T(X))
        context = mb.broadcast_to(context, (mb.shape(embs)[0],) + mb.shape(context))
        out, H = self.rnn(mb.concat([embs, context], axis=2), H)
        return mb.swapaxes(self.dense(out), 0, 1), (H, state[1])


def copy_task(num_steps=5):
    """Sequences of 1 to 3 letters to be copied, padded like the book's translation data."""
    rng = np.random.default_rng(0)
    lines = [list(rng.choice(list("abc"), size=rng.integers(1, 4))) for _ in range(96)]
    vocab = data.Vocab(lines, reserved_tokens=data.RESERVED_TOKENS)
    X, X_valid = data.build_array(lines, vocab, num_steps)
    loader = data.ArrayLoader((X, X_valid, X, X_valid), batch_size=16, shuffle=True)
    return loader, vocab, [" ".join(line) for line in lines]


def test_decoder_inputs_are_bos_then_the_shifted_target(backend):
    Y = mb.array([[5, 6, 2, 0], [7, 2, 0, 0]])
    assert mb.tolist(decoder_inputs(Y, 1)) == [[1, 5, 6, 2], [1, 7, 2, 0]]


def test_train_seq2seq_learns_to_copy_and_predict_seq2seq_batches(backend):
    loader, vocab, sentences = copy_task()
    mb.seed(0)
    net = nn.EncoderDecoder(CopyEncoder(len(vocab), 32), CopyDecoder(len(vocab), 32))
    history = train.train_seq2seq(net, loader, lr=0.02, num_epochs=25, tgt_vocab=vocab,
                                  progress=False)
    assert history["loss"][0] > 1 and history["loss"][-1] < 0.05
    batch = train.predict_seq2seq(net, sentences[:20], vocab, vocab, 5)
    single = [train.predict_seq2seq(net, s, vocab, vocab, 5) for s in sentences[:20]]
    assert batch == single                                     # a batch decodes like one by one
    assert sum(p == s for p, s in zip(batch, sentences[:20])) >= 18
    assert train.predict_seq2seq(net, "b a c", vocab, vocab, 5) == "b a c"


def test_train_seq2seq_loss_is_the_masked_loss_per_token(backend):
    """One epoch with lr=0 reports the mean masked cross-entropy over all target tokens."""
    loader, vocab, _ = copy_task()
    mb.seed(0)
    net = nn.EncoderDecoder(CopyEncoder(len(vocab), 8), CopyDecoder(len(vocab), 8))
    history = train.train_seq2seq(net, loader, lr=0.0, num_epochs=1, tgt_vocab=vocab,
                                  progress=False)
    total, tokens = 0.0, 0
    for X, X_valid, Y, Y_valid in loader:
        Y_hat = net(X, decoder_inputs(Y, vocab["<bos>"]), X_valid)
        n = float(mb.item(mb.sum(Y_valid)))
        total += float(mb.item(losses.masked_cross_entropy(Y_hat, Y, Y_valid))) * n
        tokens += n
    assert history["loss"][0] == pytest.approx(total / tokens, rel=1e-5)


def _library_seq2seq_outputs():
    mb.seed(0)
    net = nn.EncoderDecoder(nn.Seq2SeqEncoder(7, 4, 6, 2), nn.Seq2SeqDecoder(9, 4, 6, 2))
    X = mb.array([[1, 2, 3, 0, 0], [4, 5, 6, 1, 2]])
    Y = mb.array([[3, 1, 4], [1, 5, 8]])
    valid = mb.array([3, 5])
    whole = net(X, Y, valid)                           # (batch, steps, vocab), all at once
    state = net.decoder.init_state(net.encoder(X, valid), valid)
    steps = []
    for t in range(3):                                 # one step per call, as in prediction
        out, state = net.decoder(Y[:, t:t + 1], state)
        steps.append(out)
    return mb.to_numpy(whole), mb.to_numpy(mb.concat(steps, axis=1))


def test_library_seq2seq_decodes_step_by_step_as_at_once(backend):
    whole, steps = _library_seq2seq_outputs()
    assert whole.shape == (2, 3, 9)
    np.testing.assert_allclose(steps, whole, rtol=1e-6, atol=1e-6)


def test_library_seq2seq_agrees_across_backends(all_backends):
    outputs = {}
    for name in all_backends:
        mb.set_backend(name)
        outputs[name] = _library_seq2seq_outputs()[0]
    for name, out in outputs.items():
        np.testing.assert_allclose(out, outputs[all_backends[0]], rtol=1e-5, atol=1e-6,
                                   err_msg=name)
