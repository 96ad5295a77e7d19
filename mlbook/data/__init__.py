"""Data sets and minibatch iterators that work offline (``from mlbook import data``)."""

from .arrays import ArrayLoader, load_array, synthetic_data
from .download import (DATA_HUB, ChecksumError, DataError, DownloadError, data_dir, download,
                       file_checksum, register)
from .images import (DIGITS_LABELS, FASHION_MNIST_LABELS, digits_arrays, fashion_mnist_arrays,
                     load_digits, load_fashion_mnist, load_sample_image, read_idx, resize_images,
                     text_labels)
from .shapes import (SEGMENTATION_COLORMAP, SEGMENTATION_LABELS, SHAPE_LABELS, load_data_shapes,
                     shapes_arrays)
from .translation import (RESERVED_TOKENS, build_array, load_data_numbers, number_pairs,
                          number_to_words, truncate_pad)
from .text import (SeqDataLoader, Vocab, count_corpus, load_corpus_time_machine,
                   load_data_time_machine, read_time_machine, seq_data_iter_random,
                   seq_data_iter_sequential, tokenize)

__all__ = ["SHAPE_LABELS", "SEGMENTATION_LABELS", "SEGMENTATION_COLORMAP", "shapes_arrays",
           "load_data_shapes",
           "RESERVED_TOKENS", "build_array", "load_data_numbers", "number_pairs",
           "number_to_words", "truncate_pad", "ArrayLoader", "ChecksumError", "DATA_HUB", "DIGITS_LABELS", "DataError",
           "DownloadError", "FASHION_MNIST_LABELS", "SeqDataLoader", "Vocab", "count_corpus",
           "data_dir", "digits_arrays", "download", "fashion_mnist_arrays", "file_checksum",
           "load_array", "load_corpus_time_machine", "load_data_time_machine", "load_digits",
           "load_fashion_mnist", "load_sample_image", "read_idx", "read_time_machine", "resize_images", "register",
           "seq_data_iter_random", "seq_data_iter_sequential", "synthetic_data", "text_labels",
           "tokenize"]
