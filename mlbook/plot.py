"""Plotting helpers (matplotlib) in the book's vocabulary: ``set_figsize``, ``plot``,
``show_images`` and ``Animator``.  In a notebook figures are drawn as SVG."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import ops

__all__ = ["use_svg_display", "set_figsize", "set_axes", "plot", "show_trace_2d", "show_images",
           "show_heatmaps",
           "imshow", "bbox_to_rect", "show_bboxes", "Animator", "in_notebook"]


def in_notebook() -> bool:
    """Whether we run inside a Jupyter kernel (where figures are shown instead of a bar).

    >>> plot.in_notebook()                      # False in a script or a terminal
    False
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _plt() -> Any:
    import matplotlib
    if not in_notebook() and matplotlib.get_backend().lower() not in ("agg", "svg", "pdf"):
        import os
        if not os.environ.get("DISPLAY"):
            matplotlib.use("Agg")             # headless: draw to files, never fail on show()
    import matplotlib.pyplot as plt
    return plt


def use_svg_display() -> None:
    """Draw figures in a notebook as SVG (sharp at any zoom).

    >>> plot.use_svg_display()                  # in a notebook, SVG figures from now on
    """
    try:
        from matplotlib_inline import backend_inline
        backend_inline.set_matplotlib_formats("svg")
    except ImportError:
        pass


def set_figsize(figsize: tuple[float, float] = (3.5, 2.5)) -> None:
    """Set matplotlib's default figure size (inches).

    >>> import matplotlib.pyplot as plt
    >>> with plt.rc_context():                  # (restores the settings afterwards)
    ...     plot.set_figsize((4, 3))
    ...     plt.rcParams["figure.figsize"]
    [4.0, 3.0]
    """
    use_svg_display()
    _plt().rcParams["figure.figsize"] = figsize


def set_axes(axes: Any, xlabel: str | None, ylabel: str | None, xlim: Any, ylim: Any,
             xscale: str, yscale: str, legend: Sequence[str] | None) -> None:
    """Label, limit and scale a matplotlib ``Axes``.

    >>> import matplotlib.pyplot as plt
    >>> fig, axes = plt.subplots()
    >>> lines = axes.plot([1, 2, 3], [1.0, 0.1, 0.01])
    >>> plot.set_axes(axes, "epoch", "loss", [1, 3], None, "linear", "log", ["train"])
    >>> axes.get_xlabel(), axes.get_xlim(), axes.get_yscale()
    ('epoch', (1.0, 3.0), 'log')
    """
    axes.set_xlabel(xlabel), axes.set_ylabel(ylabel)
    axes.set_xscale(xscale), axes.set_yscale(yscale)
    axes.set_xlim(xlim), axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def _numpy(v: Any) -> np.ndarray:
    if isinstance(v, (np.ndarray, list, tuple)):
        return np.asarray(v)
    return ops.to_numpy(v)


def plot(X: Any, Y: Any = None, xlabel: str | None = None, ylabel: str | None = None,
         legend: Sequence[str] | None = None, xlim: Any = None, ylim: Any = None,
         xscale: str = "linear", yscale: str = "linear",
         fmts: Sequence[str] = ("-", "m--", "g-.", "r:"), figsize: tuple[float, float] = (3.5, 2.5),
         axes: Any = None) -> Any:
    """Plot one or several curves (tensors, arrays or lists); returns the ``Axes``.
    ``plot(x, [f(x), g(x)], legend=["f", "g"])``; with ``Y`` omitted, ``X`` is plotted against
    its index.

    >>> x = mb.arange(0.0, 3.0)
    >>> axes = plot.plot(x, [x ** 2, 2 * x - 1], "x", "f(x)", legend=["x^2", "tangent at 1"])
    >>> [line.get_ydata().tolist() for line in axes.lines]
    [[0.0, 1.0, 4.0], [-1.0, 1.0, 3.0]]
    >>> [text.get_text() for text in axes.get_legend().get_texts()]
    ['x^2', 'tangent at 1']
    >>> plot.plot([3, 1, 2]).lines[0].get_xdata().tolist()        # Y omitted: against the index
    [0.0, 1.0, 2.0]
    """
    plt = _plt()
    if axes is None:
        set_figsize(figsize)
        axes = plt.gca()

    def many(v: Any) -> bool:
        return isinstance(v, (list, tuple)) and len(v) > 0 and \
            (isinstance(v[0], (list, tuple)) or np.ndim(_numpy(v[0])) > 0)

    if Y is None:
        X, Y = [[]], X
    if not many(X):
        X = [X]
    if not many(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts * len(Y)):
        y = _numpy(y)
        x = _numpy(x)
        axes.plot(x, y, fmt) if len(x) else axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
    return axes


def show_trace_2d(f: Any, results: Any, xlim: tuple[float, float] = (-5.5, 1.0),
                  ylim: tuple[float, float] = (-3.0, 1.0), legend: Sequence[str] | None = None,
                  figsize: tuple[float, float] = (3.5, 2.5)) -> Any:
    """Contours of ``f`` (a function of a (2, ...) array: ``f(x)`` with ``x[0]``, ``x[1]``)
    and one or several trajectories (arrays (steps + 1, 2), e.g. from
    :func:`mlbook.train.train_2d`); returns the axes.

    >>> f = lambda x: x[0] ** 2 + 2 * x[1] ** 2
    >>> trace = train.train_2d(lambda x, g, state: x - 0.1 * g, f, steps=10)
    >>> axes = plot.show_trace_2d(f, trace)
    >>> axes.lines[0].get_xdata()[:3].round(4).tolist(), axes.get_xlabel()
    ([-5.0, -4.0, -3.2], 'x1')
    """
    plt = _plt()
    set_figsize(figsize)
    axes = plt.gca()
    axes.cla()
    traces = results if isinstance(results, (list, tuple)) else [results]
    for trace, fmt in zip(traces, ("-o", "--x", "-.s", ":^")):
        trace = _numpy(trace)
        axes.plot(trace[:, 0], trace[:, 1], fmt, color="#ff7f0e" if fmt == "-o" else None,
                  markersize=3)
    x1, x2 = np.meshgrid(np.arange(xlim[0], xlim[1], 0.1), np.arange(ylim[0], ylim[1], 0.1))
    axes.contour(x1, x2, _numpy(f(np.stack([x1, x2]))), colors="#1f77b4")
    axes.set_xlabel("x1")
    axes.set_ylabel("x2")
    if legend:
        axes.legend(legend)
    return axes


def _displayable(img: Any) -> np.ndarray:
    """An image as matplotlib shows it: (H, W) or (H, W, 3).  Channels-first images (1 or 3
    channels first, as the book's tensors are) are moved to channels-last; float RGB values are
    clipped to [0, 1] (augmented pixels may leave it by rounding)."""
    a = _numpy(img)
    if a.ndim == 3 and a.shape[0] in (1, 3) and a.shape[-1] not in (1, 3, 4):
        a = np.moveaxis(a, 0, -1)
    a = np.squeeze(a) if a.ndim == 3 and a.shape[-1] == 1 else a
    if a.ndim == 3 and a.dtype.kind == "f":
        a = np.clip(a, 0, 1)
    return a


def show_images(imgs: Any, num_rows: int, num_cols: int, titles: Sequence[str] | None = None,
                scale: float = 1.5) -> Any:
    """A grid of images (a tensor (n, H, W), (n, 1, H, W) or (n, 3, H, W), or a list of
    images, channels first or last); returns the axes.

    >>> images = mb.zeros((4, 1, 8, 8))                  # (n, channels, height, width)
    >>> axes = plot.show_images(images, 2, 2, titles=["a", "b", "c", "d"])
    >>> axes.shape, [ax.get_title() for ax in axes]
    ((4,), ['a', 'b', 'c', 'd'])
    >>> axes[0].images[0].get_array().shape              # shown as an 8 x 8 gray image
    (8, 8)
    """
    plt = _plt()
    imgs = [_displayable(img) for img in (imgs if isinstance(imgs, (list, tuple))
                                          else list(_numpy(imgs)))]
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    axes = np.asarray(axes).flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


def show_heatmaps(matrices: Any, xlabel: str, ylabel: str, titles: Sequence[str] | None = None,
                  figsize: tuple[float, float] = (2.5, 2.5), cmap: str = "Reds") -> Any:
    """Heat maps of ``matrices`` (num_rows, num_cols, q, k), e.g. attention weights with the
    queries down and the keys across, in a grid with one shared colour bar; returns the axes
    as a (num_rows, num_cols) array.

    >>> weights = mb.softmax(mb.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]]), axis=-1)
    >>> axes = plot.show_heatmaps(mb.reshape(weights, (1, 1, 2, 3)), "keys", "queries")
    >>> axes.shape, axes[0, 0].get_xlabel()
    ((1, 1), 'keys')
    >>> plot.show_heatmaps(weights, "keys", "queries")
    Traceback (most recent call last):
    ValueError: show_heatmaps needs (rows, columns, queries, keys), got shape (2, 3); add axes with reshape, e.g. weights.reshape(1, 1, q, k)
    """
    plt = _plt()
    use_svg_display()
    m = _numpy(matrices)
    if m.ndim != 4:
        raise ValueError(f"show_heatmaps needs (rows, columns, queries, keys), got shape "
                         f"{m.shape}; add axes with reshape, e.g. weights.reshape(1, 1, q, k)")
    rows, cols = m.shape[:2]
    fig, axes = plt.subplots(rows, cols, figsize=figsize, sharex=True, sharey=True,
                             squeeze=False)
    for i in range(rows):
        for j in range(cols):
            image = axes[i, j].imshow(m[i, j], cmap=cmap)
            if i == rows - 1:
                axes[i, j].set_xlabel(xlabel)
            if j == 0:
                axes[i, j].set_ylabel(ylabel)
            if titles:
                axes[i, j].set_title(titles[j])
    fig.colorbar(image, ax=axes, shrink=0.6)
    return axes


def imshow(img: Any) -> Any:
    """Show one image ((H, W, 3) or (H, W), or channels first (3, H, W), numpy or a tensor) in a
    new figure, with its pixel coordinates on the axes; returns the axes (to draw boxes on).

    >>> axes = plot.imshow(mb.zeros((3, 4, 6)))          # channels first, as the book's tensors
    >>> axes.images[0].get_array().shape                 # shown channels last
    (4, 6, 3)
    """
    plt = _plt()
    _, axes = plt.subplots(figsize=plt.rcParams["figure.figsize"])
    a = _displayable(img)
    axes.imshow(a, cmap="gray" if a.ndim == 2 else None)
    return axes


def bbox_to_rect(bbox: Any, color: str) -> Any:
    """A matplotlib rectangle for a corner-format box (x1, y1, x2, y2), in pixels.

    >>> rect = plot.bbox_to_rect([10, 20, 50, 40], "red")    # (x1, y1, x2, y2)
    >>> rect.get_xy(), rect.get_width(), rect.get_height()
    ((10.0, 20.0), 40.0, 20.0)
    """
    from matplotlib.patches import Rectangle
    x1, y1, x2, y2 = (float(v) for v in _numpy(bbox))
    return Rectangle(xy=(x1, y1), width=x2 - x1, height=y2 - y1, fill=False, edgecolor=color,
                     linewidth=2)


def show_bboxes(axes: Any, bboxes: Any, labels: Sequence[str] | str | None = None,
                colors: Sequence[str] | str | None = None) -> None:
    """Draw corner-format boxes (n, 4), in pixels, on ``axes`` (e.g. the result of
    ``plt.imshow(img).axes``), each with its label in a matching colour.

    >>> axes = plot.imshow(np.zeros((64, 64, 3)))
    >>> plot.show_bboxes(axes, mb.array([[4, 4, 30, 40], [20, 10, 60, 50]]), labels=["cat", "dog"])
    >>> len(axes.patches), [text.get_text() for text in axes.texts]
    (2, ['cat', 'dog'])
    """
    def as_list(obj: Any, default: Sequence[str]) -> list[str]:
        if obj is None:
            return list(default)
        return [obj] if isinstance(obj, str) else list(obj)

    labels = as_list(labels, [])
    colors = as_list(colors, ["b", "g", "r", "m", "c"])
    for i, bbox in enumerate(_numpy(bboxes)):
        color = colors[i % len(colors)]
        rect = bbox_to_rect(bbox, color)
        axes.add_patch(rect)
        if i < len(labels):
            text_color = "k" if color == "w" else "w"
            axes.text(rect.xy[0], rect.xy[1], labels[i], va="center", ha="center", fontsize=9,
                      color=text_color, bbox=dict(facecolor=color, lw=0))


class Animator:
    """Plots curves that grow during training: ``animator.add(epoch, (loss, acc))``.  In a
    notebook the figure is redrawn live; elsewhere (a script, a docs build) it is drawn once by
    ``show()``.

    >>> animator = plot.Animator(xlabel="epoch", legend=["loss", "accuracy"], xlim=[1, 3])
    >>> for epoch in range(1, 4):
    ...     animator.add(epoch, (1 / epoch, 0.25 * epoch))
    >>> animator.Y
    [[1.0, 0.5, 0.3333333333333333], [0.25, 0.5, 0.75]]
    >>> fig = animator.show()
    >>> len(fig.axes[0].lines), fig.axes[0].get_xlabel()
    (2, 'epoch')
    """

    def __init__(self, xlabel: str | None = None, ylabel: str | None = None,
                 legend: Sequence[str] | None = None, xlim: Any = None, ylim: Any = None,
                 xscale: str = "linear", yscale: str = "linear",
                 fmts: Sequence[str] = ("-", "m--", "g-.", "r:"),
                 figsize: tuple[float, float] = (3.5, 2.5)) -> None:
        self.live = in_notebook()
        self.options = dict(xlabel=xlabel, ylabel=ylabel, xlim=xlim, ylim=ylim, xscale=xscale,
                            yscale=yscale, legend=legend)
        self.fmts, self.figsize = fmts, figsize
        self.X: list[list[float]] = []
        self.Y: list[list[float]] = []
        self.fig = self.axes = None

    def add(self, x: float, y: Any) -> None:
        ys = list(y) if isinstance(y, (list, tuple)) else [y]
        if not self.X:
            self.X = [[] for _ in ys]
            self.Y = [[] for _ in ys]
        for i, v in enumerate(ys):
            if v is not None:
                self.X[i].append(float(x))
                self.Y[i].append(float(v))
        if self.live:
            from IPython import display
            self._draw()
            display.display(self.fig)
            display.clear_output(wait=True)

    def _draw(self) -> None:
        plt = _plt()
        if self.fig is None:
            use_svg_display()
            self.fig, self.axes = plt.subplots(figsize=self.figsize)
        self.axes.cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes.plot(x, y, fmt)
        set_axes(self.axes, **self.options)

    def show(self) -> Any:
        """Draw the final figure (and return it)."""
        self._draw()
        if self.live:
            from IPython import display
            display.display(self.fig)
            _plt().close(self.fig)
        return self.fig
