"""Training helpers and plotting."""

from __future__ import annotations

import math
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import mlbook as mb  # noqa: E402
from mlbook import data, losses, nn, optim, plot, train  # noqa: E402


def test_accumulator_and_timer():
    acc = train.Accumulator(2)
    acc.add(1, 2.5)
    acc.add(3, 0.5)
    assert acc[0] == 4 and acc[1] == 3.0
    acc.reset()
    assert acc.data == [0.0, 0.0]
    with pytest.raises(ValueError, match="Accumulator of 2 values got 1"):
        acc.add(1)
    timer = train.Timer()
    time.sleep(0.01)
    first = timer.stop()
    timer.start()
    second = timer.stop()
    assert first >= 0.01 and timer.sum() == pytest.approx(first + second)
    assert timer.avg() == pytest.approx((first + second) / 2)
    assert timer.cumsum() == pytest.approx([first, first + second])


def test_accuracy_and_evaluate_accuracy(backend):
    y_hat = mb.array([[0.1, 0.3, 0.6], [0.5, 0.2, 0.3], [0.1, 0.8, 0.1]])
    y = mb.array([2, 1, 1])
    assert train.accuracy(y_hat, y) == 2.0
    assert train.accuracy(mb.array([2, 0, 1]), y) == 2.0

    class Constant(nn.Module):                     # always predicts class 3
        def forward(self, x):
            return mb.one_hot(mb.full((mb.shape(x)[0],), 3), 10)

    _, test_iter = data.load_digits(50)
    expected = np.mean(data.digits_arrays()[3] == 3)
    assert train.evaluate_accuracy(Constant(), test_iter) == pytest.approx(expected)


def test_progress_bar_in_a_terminal(backend, capsys):
    mb.seed(0)
    net = nn.Linear(64, 10)
    train_iter, _ = data.load_digits(256, flatten=True)
    from mlbook import losses, optim
    train.fit(net, train_iter, losses.cross_entropy, optim.SGD(net, lr=0.1), 2, progress=None)
    err = capsys.readouterr().err
    assert "2/2" in err and "epoch" in err and "train_loss" in err


def test_plot_and_show_images_draw(backend, tmp_path):
    x = mb.arange(0, 3, 0.1)
    ax = plot.plot(x, [x ** 2, 2 * x - 3], "x", "f(x)", legend=["f", "tangent"])
    assert len(ax.get_lines()) == 2 and ax.get_legend() is not None
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), mb.to_numpy(x) ** 2, rtol=1e-6)
    assert ax.get_xlabel() == "x"
    ax.figure.savefig(tmp_path / "plot.svg")
    assert (tmp_path / "plot.svg").read_text().startswith("<?xml")
    images = mb.array(data.digits_arrays()[0][:6])
    axes = plot.show_images(images, 2, 3, titles=[str(i) for i in range(6)])
    assert len(axes) == 6 and axes[5].get_title() == "5"
    np.testing.assert_allclose(axes[0].get_images()[0].get_array(),
                               mb.to_numpy(images)[0, 0])


def test_animator_collects_and_draws():
    animator = plot.Animator(xlabel="epoch", legend=["loss", "acc"])
    for epoch in range(1, 4):
        animator.add(epoch, (1.0 / epoch, 0.5 + 0.1 * epoch))
    fig = animator.show()
    lines = fig.axes[0].get_lines()
    assert [list(line.get_xdata()) for line in lines] == [[1, 2, 3], [1, 2, 3]]
    assert list(lines[1].get_ydata()) == pytest.approx([0.6, 0.7, 0.8])


def test_fit_follows_a_learning_rate_schedule(backend):
    """``lr_schedule(epoch)`` sets the rate at the start of each epoch (counted from 0): with
    rate 0 in the second epoch, two epochs leave the weights where one epoch did."""
    train_iter, _ = data.load_digits(256, flatten=True)
    seen = []
    mb.seed(0)
    net = nn.Linear(64, 10)
    optimizer = optim.SGD(net, lr=1.0)
    history = train.fit(net, train_iter, losses.cross_entropy, optimizer, num_epochs=2,
                        progress=False, lr_schedule=lambda e: seen.append(e) or [0.1, 0.0][e])
    assert seen == [0, 1] and optimizer.lr == 0.0
    mb.seed(0)
    once = nn.Linear(64, 10)
    train.fit(once, train_iter, losses.cross_entropy, optim.SGD(once, lr=0.1), num_epochs=1,
              progress=False)
    np.testing.assert_array_equal(mb.to_numpy(net.weight), mb.to_numpy(once.weight))
    assert history["train_loss"][1] < history["train_loss"][0]


def test_bleu_against_hand_computed_values():
    assert train.bleu("one thousand five", "one thousand five") == 1.0
    # p1 = 3/4, p2 = 1/3 ("a b" only), same length: (3/4)^(1/2) * (1/3)^(1/4)
    assert train.bleu("a b c d", "a b e d") == pytest.approx(0.75 ** 0.5 * (1 / 3) ** 0.25)
    # a correct but short prediction: precisions 1, brevity penalty exp(1 - 3/2)
    assert train.bleu("one thousand", "one thousand five") == pytest.approx(math.exp(-0.5))
    # repeated words are matched at most as often as the reference has them
    assert train.bleu("five five five", "five", k=1) == pytest.approx((1 / 3) ** 0.5)
    assert train.bleu("", "five") == 0.0


def test_mean_bleu_averages_pair_by_pair():
    preds, labels = ["one thousand five", "one thousand"], ["one thousand five"] * 2
    assert train.mean_bleu(preds, labels) == pytest.approx((1 + math.exp(-0.5)) / 2)
    assert train.mean_bleu(["a b c d"], ["a b e d"], k=1) == pytest.approx(0.75 ** 0.5)
    with pytest.raises(ValueError, match="2 predictions for 1 references"):
        train.mean_bleu(preds, labels[:1])
    with pytest.raises(ValueError, match="no predictions"):
        train.mean_bleu([], [])


def test_imshow_and_show_bboxes_draw_the_boxes(backend):
    import matplotlib.pyplot as plt
    img = np.zeros((40, 60, 3), dtype="uint8")
    axes = plot.imshow(img)
    plot.show_bboxes(axes, mb.array([[5.0, 6.0, 25.0, 36.0], [30.0, 0.0, 60.0, 20.0]]),
                     labels=["a", "b"], colors="r")
    rects = [p for p in axes.patches]
    assert [(r.get_x(), r.get_y(), r.get_width(), r.get_height()) for r in rects] == \
        [(5.0, 6.0, 20.0, 30.0), (30.0, 0.0, 30.0, 20.0)]
    assert [t.get_text() for t in axes.texts] == ["a", "b"]
    assert axes.get_images()[0].get_array().shape == (40, 60, 3)
    plt.close("all")


def test_images_with_channels_first_are_shown_channels_last(backend):
    import matplotlib.pyplot as plt
    from mlbook import vision
    photo = data.load_sample_image()[:40, :60]
    x = vision.to_tensor(photo)                                  # (3, 40, 60) in [0, 1]
    axes = plot.imshow(x)
    np.testing.assert_allclose(axes.get_images()[0].get_array(), photo / 255, atol=1e-6)
    brighter = vision.adjust_brightness(x, 3.0) * 1.01           # beyond 1: clipped for display
    axes = plot.show_images([x, brighter, x[:1]], 1, 3)
    assert axes[0].get_images()[0].get_array().shape == (40, 60, 3)
    assert axes[1].get_images()[0].get_array().max() <= 1.0
    assert axes[2].get_images()[0].get_array().shape == (40, 60)   # one channel: gray
    plt.close("all")
