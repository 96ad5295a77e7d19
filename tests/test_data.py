"""Data: minibatches, the digits, the Time Machine text, and downloads (served from a local
HTTP server on 127.0.0.1, so the real download code runs without the internet)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import pathlib
import socket
import struct
import threading

import numpy as np
import pytest

import mlbook as mb
from mlbook import data
from helpers import check, use_data_file



# --------------------------------------------------------------------------- arrays
def test_load_array_batches_and_seeded_shuffle(backend):
    X = np.arange(20, dtype="float32").reshape(10, 2)
    y = np.arange(10)
    loader = data.load_array((X, y), 4)
    assert len(loader) == 3
    mb.seed(0)
    batches = list(loader)
    assert [mb.shape(b[0]) for b in batches] == [(4, 2), (4, 2), (2, 2)]
    order = np.random.default_rng(0).permutation(10)
    check(batches[0][1], y[order[:4]])
    check(batches[0][0], X[order[:4]])
    assert not np.array_equal(mb.to_numpy(list(loader)[0][1]), mb.to_numpy(batches[0][1]))
    in_order = list(data.load_array((X, y), 4, is_train=False))
    check(in_order[2][1], y[8:])
    with pytest.raises(ValueError, match="same first dimension"):
        data.load_array((X, y[:3]), 2)


def test_synthetic_data(backend):
    mb.seed(0)
    X, y = data.synthetic_data(mb.array([2.0, -3.4]), 4.2, 1000)
    assert mb.shape(X) == (1000, 2) and mb.shape(y) == (1000, 1)
    residual = mb.to_numpy(y)[:, 0] - mb.to_numpy(X) @ np.array([2.0, -3.4]) - 4.2
    assert abs(residual.std() - 0.01) < 0.002


def test_digits_fixed_split():
    X_train, y_train, X_test, y_test = data.digits_arrays()
    assert X_train.shape == (1437, 1, 8, 8) and X_test.shape == (360, 1, 8, 8)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0
    assert set(np.unique(y_test)) == set(range(10))
    again = data.digits_arrays()
    np.testing.assert_array_equal(again[3], y_test)


def test_load_digits_iterators(backend):
    train, test = data.load_digits(100, flatten=True)
    X, y = next(iter(test))
    assert mb.shape(X) == (100, 64) and mb.dtype(y) == "int64"
    assert sum(mb.shape(b[1])[0] for b in train) == 1437


# --------------------------------------------------------------------------- text
def test_tokenize_and_vocab():
    lines = ["the time machine", "the time traveller", "a"]
    words = data.tokenize(lines, "word")
    assert words[1] == ["the", "time", "traveller"]
    assert data.tokenize(["ab c"], "char") == [["a", "b", " ", "c"]]
    vocab = data.Vocab(words, min_freq=1, reserved_tokens=["<pad>"])
    assert vocab.idx_to_token[:4] == ["<unk>", "<pad>", "the", "time"]
    assert vocab["machine"] == 4 and vocab["unseen"] == 0 == vocab.unk
    assert vocab[["the", "zzz"]] == [2, 0] and vocab.to_tokens([2, 3]) == ["the", "time"]
    assert len(data.Vocab(words, min_freq=2)) == 3        # <unk>, the, time
    with pytest.raises(ValueError, match="token must be"):
        data.tokenize(lines, "byte")


def test_time_machine_from_data_dir(monkeypatch):
    use_data_file("timemachine.txt", monkeypatch)
    lines = data.read_time_machine()
    assert lines[0] == "the time machine by h g wells"
    corpus, vocab = data.load_corpus_time_machine()
    assert len(vocab) == 28 and vocab.idx_to_token[:3] == ["<unk>", " ", "e"]
    assert len(corpus) == sum(len(line) for line in lines)


def test_sequence_sampling(backend):
    corpus = list(range(35))
    mb.seed(0)
    seen = []
    for X, Y in data.seq_data_iter_random(corpus, 2, 5):
        x, y = mb.to_numpy(X), mb.to_numpy(Y)
        assert x.shape == (2, 5) and np.array_equal(y, x + 1)
        assert all(np.array_equal(row, np.arange(row[0], row[0] + 5)) for row in x)
        seen.extend(x[:, 0].tolist())
    assert len(seen) == len(set(seen)) == 6                 # disjoint subsequences
    batches = list(data.seq_data_iter_sequential(corpus, 2, 5))
    x0, x1 = mb.to_numpy(batches[0][0]), mb.to_numpy(batches[1][0])
    assert np.array_equal(x1[:, 0], x0[:, -1] + 1)          # streams continue across batches
    check(batches[0][1], x0 + 1)
    with pytest.raises(ValueError, match="too short"):
        list(data.seq_data_iter_random(list(range(5)), 2, 5))


# --------------------------------------------------------------------------- downloads
@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/served."""
    root = tmp_path / "served"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def hub():
    """Registry entries a test adds are removed afterwards."""
    saved = dict(data.DATA_HUB)
    yield data.DATA_HUB
    data.DATA_HUB.clear()
    data.DATA_HUB.update(saved)


def test_download_verifies_and_caches(server, hub, tmp_path):
    root, url = server
    (root / "hello.txt").write_bytes(b"hello mlbook\n")
    sha1 = hashlib.sha1(b"hello mlbook\n").hexdigest()
    data.register("hello.txt", url + "hello.txt", f"sha1:{sha1}")
    cache = tmp_path / "cache"
    path = data.download("hello.txt", cache)
    assert path == cache / "hello.txt" and path.read_bytes() == b"hello mlbook\n"
    (root / "hello.txt").unlink()                           # now only the cache has it
    assert data.download("hello.txt", cache) == path
    path.write_bytes(b"tampered")                           # cache hit is verified too
    with pytest.raises(data.DownloadError, match="cached .* has sha1"):
        data.download("hello.txt", cache)
    assert sorted(p.name for p in cache.iterdir()) == ["hello.txt"]   # no temp files left


def test_checksum_mismatch_keeps_nothing(server, hub, tmp_path):
    root, url = server
    (root / "bad.bin").write_bytes(b"not what you expect")
    data.register("bad.bin", url + "bad.bin", "md5:" + "0" * 32)
    cache = tmp_path / "cache"
    with pytest.raises(data.ChecksumError, match="expected md5:0000.*not kept"):
        data.download("bad.bin", cache)
    assert list(cache.iterdir()) == []


def test_offline_error_names_file_url_and_place(hub, tmp_path):
    with socket.socket() as s:                              # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.txt"
    data.register("x.txt", url, "sha1:" + "1" * 40)
    cache = tmp_path / "cache"
    with pytest.raises(data.DownloadError) as err:
        data.download("x.txt", cache)
    text = str(err.value)
    assert "x.txt" in text and url in text and str(cache / "x.txt") in text
    assert "MLBOOK_DATA_DIR" in text
    assert list(cache.iterdir()) == []


def test_timeout_is_an_error(hub, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)                                      # accepts, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/slow"
        data.register("slow", url, "sha1:" + "2" * 40)
        with pytest.raises(data.DownloadError, match="timed out"):
            data.download("slow", tmp_path, timeout=0.5)
    finally:
        listener.close()
    assert [p for p in tmp_path.iterdir() if p.name != "served"] == []


def test_unknown_name_and_bad_checksum_spec():
    with pytest.raises(KeyError, match="not a registered data file"):
        data.download("nothing.zip")
    with pytest.raises(ValueError, match="checksum must look like"):
        data.register("a", "http://127.0.0.1/a", "crc32:1234")


def test_default_data_dir(monkeypatch):
    monkeypatch.delenv("MLBOOK_DATA_DIR", raising=False)
    assert data.data_dir() == pathlib.Path.home() / ".mlbook" / "data"
    monkeypatch.setenv("MLBOOK_DATA_DIR", "/tmp/somewhere")
    assert data.data_dir() == pathlib.Path("/tmp/somewhere")


# --------------------------------------------------------------------------- IDX, Fashion-MNIST
def write_idx(path, array, code=0x08):
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(">u1" if code == 0x08 else ">i4").tobytes())


def test_read_idx_and_corrupt_files(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "ok.gz", images)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "ok.gz"), images)
    ints = np.array([[1, -2], [300000, 4]], dtype=np.int32)
    write_idx(tmp_path / "ints.gz", ints, code=0x0C)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "ints.gz"), ints)
    raw = gzip.decompress((tmp_path / "ok.gz").read_bytes())
    with gzip.open(tmp_path / "short.gz", "wb") as f:
        f.write(raw[:-5])
    with pytest.raises(data.DataError, match="corrupt or truncated"):
        data.read_idx(tmp_path / "short.gz")
    with gzip.open(tmp_path / "magic.gz", "wb") as f:
        f.write(b"\x01\x02" + raw[2:])
    with pytest.raises(data.DataError, match="bad magic number"):
        data.read_idx(tmp_path / "magic.gz")
    (tmp_path / "notgz.gz").write_bytes(b"plain text")
    with pytest.raises(data.DataError, match="not a readable IDX file"):
        data.read_idx(tmp_path / "notgz.gz")


def test_fashion_mnist_through_the_registry(backend, server, hub, tmp_path):
    root, url = server
    rng = np.random.default_rng(0)
    files = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (5, 28, 28)),
             "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 5),
             "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28)),
             "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3)}
    for name, array in files.items():
        write_idx(root / name, array)
        md5 = hashlib.md5((root / name).read_bytes()).hexdigest()
        data.register(name, url + name, f"md5:{md5}")
    train, test = data.load_fashion_mnist(2, cache_dir=tmp_path / "cache")
    X, y = next(iter(test))
    assert mb.shape(X) == (2, 1, 28, 28) and mb.dtype(X) == "float32"
    check(X, (files["t10k-images-idx3-ubyte.gz"][:2, None] / 255.0).astype("float32"))
    check(y, files["t10k-labels-idx1-ubyte.gz"][:2])
    assert len(train) == 3
    assert data.text_labels([0, 9]) == ["t-shirt", "ankle boot"]


def test_fashion_mnist_registry_has_the_official_md5s():
    assert data.DATA_HUB["train-images-idx3-ubyte.gz"][1] == \
        "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert data.DATA_HUB["t10k-labels-idx1-ubyte.gz"][1] == \
        "md5:bb300cfdad3c16e7a12a480ee83cd310"
    assert data.DATA_HUB["timemachine.txt"][1] == \
        "sha1:7a156c18e04ff27879dc2102115c8adb78bc845c"


def test_resize_images_is_bilinear_with_half_pixel_centres():
    """Upsampling by 2: each output pixel samples the input at (i + 1/2)/2 - 1/2, so the first
    and last output pixels copy the edge and the others interpolate with weights 1/4, 3/4."""
    x = np.array([[[[0.0, 4.0], [8.0, 12.0]]]], "float32")
    got = data.resize_images(x, 4)
    row = np.array([0.0, 1.0, 3.0, 4.0])
    np.testing.assert_allclose(got[0, 0], row[None, :] + np.array([0, 2, 6, 8])[:, None])
    assert got.dtype == np.float32 and got.shape == (1, 1, 4, 4)
    np.testing.assert_allclose(data.resize_images(x, 2), x)       # same size: unchanged
    assert data.resize_images(np.zeros((3, 2, 8, 8), "float32"), (5, 7)).shape == (3, 2, 5, 7)
    with pytest.raises(ValueError, match=r"expects \(n, C, H, W\) images, got shape \(8, 8\)"):
        data.resize_images(np.zeros((8, 8)), 4)


def test_load_digits_resized_and_standardized(backend):
    train_iter, test_iter = data.load_digits(100, resize=16, standardize=True)
    X, y = next(iter(train_iter))
    assert mb.shape(X) == (100, 1, 16, 16) and mb.dtype(X) == "float32"
    X_all = np.concatenate([mb.to_numpy(b[0]) for b in train_iter])
    assert abs(X_all.mean()) < 1e-5 and abs(X_all.std() - 1) < 1e-5    # over the training set
    X_test = np.concatenate([mb.to_numpy(b[0]) for b in test_iter])
    raw = data.resize_images(data.digits_arrays()[2], 16)
    train_raw = data.resize_images(data.digits_arrays()[0], 16)
    expected = (raw - train_raw.mean(dtype=np.float64)) / train_raw.std(dtype=np.float64)
    np.testing.assert_allclose(X_test, expected, rtol=1e-5, atol=1e-5)  # the training statistics


# ---- the digits-to-words translation data --------------------------------------------------

@pytest.mark.parametrize("n, words", [
    (0, "zero"), (7, "seven"), (10, "ten"), (13, "thirteen"), (19, "nineteen"), (20, "twenty"),
    (45, "forty five"), (90, "ninety"), (100, "one hundred"), (105, "one hundred five"),
    (119, "one hundred nineteen"), (999, "nine hundred ninety nine"), (1000, "one thousand"),
    (1005, "one thousand five"), (2017, "two thousand seventeen"),
    (7040, "seven thousand forty"), (9999, "nine thousand nine hundred ninety nine")])
def test_number_to_words(n, words):
    assert data.number_to_words(n) == words


def test_number_to_words_range():
    with pytest.raises(ValueError, match="from 0 to 9999, got 10000"):
        data.number_to_words(10000)
    with pytest.raises(ValueError, match="got 2.5"):
        data.number_to_words(2.5)
    assert len({data.number_to_words(n) for n in range(10000)}) == 10000   # one-to-one


def test_number_pairs_split_is_seeded_and_disjoint():
    train, test = data.number_pairs(2000, 500)
    assert (len(train), len(test)) == (2000, 500)
    assert train == data.number_pairs(2000, 500)[0]                   # same seed, same split
    assert train != data.number_pairs(2000, 500, seed=1)[0]
    numbers = lambda pairs: {int(src.replace(" ", "")) for src, _ in pairs}  # noqa: E731
    assert not numbers(train) & numbers(test)
    for src, tgt in train[:50]:
        assert tgt == data.number_to_words(int(src.replace(" ", "")))
    with pytest.raises(ValueError, match="num_train \\+ num_test <= 10000"):
        data.number_pairs(9000, 2000)


def test_truncate_pad_and_build_array():
    assert data.truncate_pad([5, 6, 7], 5, 1) == [5, 6, 7, 1, 1]
    assert data.truncate_pad([5, 6, 7, 8], 2, 1) == [5, 6]
    vocab = data.Vocab([["a", "b", "b"]], reserved_tokens=data.RESERVED_TOKENS)
    array, valid_len = data.build_array([["b", "a"], ["a", "b", "b", "a"]], vocab, 4)
    eos, pad = vocab["<eos>"], vocab["<pad>"]
    assert array.tolist() == [[vocab["b"], vocab["a"], eos, pad],
                              [vocab["a"], vocab["b"], vocab["b"], vocab["a"]]]   # truncated
    assert valid_len.tolist() == [3, 4] and array.dtype == np.int64


def test_load_data_numbers(backend):
    train_iter, src_vocab, tgt_vocab, test = data.load_data_numbers(64, num_steps=10)
    assert len(src_vocab) == 4 + 10                                    # specials and digits
    assert {"thousand", "hundred", "seventeen", "ninety"} <= set(tgt_vocab.idx_to_token)
    X, X_valid, Y, Y_valid = next(iter(train_iter))
    assert mb.shape(X) == mb.shape(Y) == (64, 10) and mb.dtype(X) == "int64"
    x, y = mb.to_numpy(X)[0], mb.to_numpy(Y)[0]
    n = int("".join(src_vocab.to_tokens(x[:int(mb.to_numpy(X_valid)[0]) - 1])))
    words = tgt_vocab.to_tokens(y[:int(mb.to_numpy(Y_valid)[0]) - 1])
    assert " ".join(words) == data.number_to_words(n)
    assert y[int(mb.to_numpy(Y_valid)[0]) - 1] == tgt_vocab["<eos>"]
    assert len(test) == 500


def test_load_sample_image():
    china = data.load_sample_image("china.jpg")
    assert china.shape == (427, 640, 3) and china.dtype == np.uint8
    assert 0 < china.mean() < 255
    assert data.load_sample_image("flower.jpg").shape == (427, 640, 3)
    with pytest.raises(ValueError, match="china.jpg"):
        data.load_sample_image("cat.jpg")


# --------------------------------------------------------------------------- generated shapes
def test_shapes_are_deterministic_and_boxes_are_the_shapes_extents():
    images, boxes, masks = data.shapes_arrays(60, size=32, seed=3)
    again = data.shapes_arrays(60, size=32, seed=3)
    for a, b in zip((images, boxes, masks), again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(images, data.shapes_arrays(60, size=32, seed=4)[0])
    assert images.shape == (60, 3, 32, 32) and images.dtype == np.float32
    assert boxes.shape == (60, 3, 5) and masks.shape == (60, 32, 32) and masks.dtype == np.int64
    assert 0 <= images.min() and images.max() <= 1
    counts = (boxes[:, :, 0] >= 0).sum(1)
    assert counts.min() >= 1 and set(np.unique(boxes[:, :, 0])) <= {-1, 0, 1, 2}
    for n in range(60):
        real = boxes[n, :counts[n]]
        assert (boxes[n, counts[n]:] == -1).all()            # padding rows come last
        expected = np.zeros((32, 32), dtype="int64")
        for cls, x1, y1, x2, y2 in real:
            c0, r0, c1, r1 = np.round(np.array([x1, y1, x2, y2]) * 32).astype(int)
            inside = masks[n, r0:r1, c0:c1] == cls + 1
            # the box is tight: its first and last rows and columns hold pixels of the shape
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() \
                and inside[:, -1].any()
            expected[r0:r1, c0:c1][inside] = cls + 1
        np.testing.assert_array_equal(masks[n], expected)    # no shape pixel outside its box


def test_shapes_classes_and_counts_are_balanced():
    _, boxes, _ = data.shapes_arrays(600)
    classes = boxes[:, :, 0][boxes[:, :, 0] >= 0].astype(int)
    share = np.bincount(classes) / len(classes)
    assert np.all(np.abs(share - 1 / 3) < 0.05), share
    assert np.all(np.bincount((boxes[:, :, 0] >= 0).sum(1))[1:] > 150)


def test_segmentation_colormap_draws_masks():
    cmap = data.SEGMENTATION_COLORMAP
    assert cmap.shape == (len(data.SEGMENTATION_LABELS), 3) and cmap.dtype == np.uint8
    assert (cmap[0] == 0).all()                                   # the background is black
    assert len({tuple(c) for c in cmap}) == len(cmap)             # one colour per class
    _, _, masks = data.shapes_arrays(2, size=16, seed=0)
    drawn = cmap[masks]
    assert drawn.shape == (2, 16, 16, 3)
    for c in range(len(cmap)):
        assert (drawn[masks == c] == cmap[c]).all()
    with pytest.raises(ValueError, match="read-only"):
        cmap[0, 0] = 1


def test_load_data_shapes(backend):
    train, test = data.load_data_shapes(16, num_train=40, num_test=20, size=32)
    X, y = next(iter(train))
    assert mb.shape(X) == (16, 3, 32, 32) and mb.shape(y) == (16, 3, 5)
    assert len(test) == 2 and mb.dtype(y) == "float32"
    _, test_seg = data.load_data_shapes(8, "segmentation", num_train=8, num_test=8, size=32)
    X, masks = next(iter(test_seg))
    assert mb.shape(masks) == (8, 32, 32) and mb.dtype(masks) == "int64"
    np.testing.assert_array_equal(mb.to_numpy(masks), data.shapes_arrays(8, 32, seed=1)[2])
    images, boxes, _ = data.shapes_arrays(40, 32, seed=0)    # the loader keeps its arrays
    np.testing.assert_array_equal(train.arrays[0], images)
    np.testing.assert_array_equal(train.arrays[1], boxes)
    with pytest.raises(ValueError, match="'detection' or 'segmentation'"):
        data.load_data_shapes(8, "classification")
    with pytest.raises(ValueError, match="max_objects >= 1"):
        data.shapes_arrays(4, max_objects=0)
