"""`numgrad.nn`: modules, parameters and losses (the subset of `torch.nn` the tutorials use)."""
from numgrad.nn import functional, utils
from numgrad.nn import init
from numgrad.nn.modules import (AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BCELoss,
                                BCEWithLogitsLoss, CELU, Conv1d, Conv2d, CosineEmbeddingLoss,
                                CosineSimilarity, CrossEntropyLoss, Dropout, ELU, Embedding, Flatten,
                                GaussianNLLLoss, GELU, GLU, GroupNorm, Hardshrink, Hardsigmoid, Hardswish,
                                Hardtanh, HingeEmbeddingLoss, HuberLoss, Identity, InstanceNorm1d, KLDivLoss,
                                L1Loss, LayerNorm, LeakyReLU, Linear, LogSigmoid, LogSoftmax,
                                MarginRankingLoss, MaxPool2d, Mish, Module, ModuleDict, ModuleList, MSELoss,
                                MultiLabelSoftMarginLoss, NLLLoss, PairwiseDistance, Parameter,
                                ParameterDict, ParameterList, PoissonNLLLoss, PReLU, ReLU, ReLU6, RMSNorm,
                                SELU, Sequential, Sigmoid, SiLU, SmoothL1Loss, SoftMarginLoss, Softmax,
                                Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold,
                                TripletMarginLoss, Unflatten)

__all__ = ["functional", "utils", "Module", "Parameter", "Linear", "ReLU", "Tanh", "Sigmoid", "Softplus",
           "GELU", "SiLU", "ELU", "LeakyReLU", "LogSigmoid", "Softmax", "LogSoftmax", "LayerNorm",
           "Identity", "Flatten", "Dropout", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict", "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss",
           "BCELoss", "BCEWithLogitsLoss", "Threshold", "Hardtanh", "ReLU6", "Hardsigmoid", "Hardswish",
           "SELU", "Mish", "CELU", "Softsign", "Tanhshrink", "Softshrink", "Hardshrink", "GLU", "Softmin",
           "PReLU", "Unflatten", "CosineSimilarity", "PairwiseDistance", "KLDivLoss", "PoissonNLLLoss",
           "GaussianNLLLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "HingeEmbeddingLoss",
           "SoftMarginLoss", "TripletMarginLoss", "MultiLabelSoftMarginLoss", "Embedding", "BatchNorm1d",
           "BatchNorm2d", "InstanceNorm1d", "GroupNorm", "RMSNorm", "Conv1d", "Conv2d", "MaxPool2d",
           "AvgPool2d", "AdaptiveAvgPool2d"]
