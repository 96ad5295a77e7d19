"""Neural-network layers written once on mlbook's neutral ops; see :mod:`mlbook.nn.layers`."""

from . import functional
from .attention import (AdditiveAttention, AddNorm, DotProductAttention, MultiHeadAttention,
                        PatchEmbedding, PositionalEncoding, PositionWiseFFN,
                        TransformerDecoderBlock, TransformerEncoderBlock, masked_softmax,
                        positional_encoding)
from .layers import (AdaptiveAvgPool2d, AvgPool2d, BatchNorm, BatchNorm1d, BatchNorm2d, Conv2d,
                     ConvTranspose2d,
                     Dense, Dropout, Embedding, Flatten, GlobalAvgPool2d, LayerNorm, LazyLinear,
                     Linear, MaxPool2d, ReLU, Sigmoid, Softmax, Tanh)
from .module import Module, Parameter, Sequential
from .rnn import GRU, LSTM, RNN, RNNModel
from .seq2seq import Decoder, Encoder, EncoderDecoder, Seq2SeqDecoder, Seq2SeqEncoder

__all__ = ["AdditiveAttention", "AddNorm", "DotProductAttention", "MultiHeadAttention",
           "PatchEmbedding", "PositionalEncoding", "PositionWiseFFN", "TransformerDecoderBlock",
           "TransformerEncoderBlock", "masked_softmax", "positional_encoding",
           "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm", "BatchNorm1d", "BatchNorm2d", "Conv2d",
           "ConvTranspose2d",
           "Decoder", "Dense", "Dropout", "Embedding", "Encoder", "EncoderDecoder", "Flatten", "GRU", "GlobalAvgPool2d", "LSTM",
           "LayerNorm", "LazyLinear", "Linear", "MaxPool2d", "Module", "Parameter", "RNN", "RNNModel",
           "ReLU", "Seq2SeqDecoder", "Seq2SeqEncoder",
           "Sequential", "Sigmoid", "Softmax", "Tanh", "functional"]
