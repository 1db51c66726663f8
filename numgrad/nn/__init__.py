"""`numgrad.nn`: modules, parameters and losses (the subset of `torch.nn` the tutorials use)."""
from numgrad.nn import functional, utils
from numgrad.nn import init
from numgrad.nn.modules import (ELU, GELU, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Flatten,
                                HuberLoss, Identity, L1Loss, LayerNorm, LeakyReLU, Linear, LogSigmoid,
                                LogSoftmax, Module, ModuleDict, ModuleList, MSELoss, NLLLoss, Parameter,
                                ParameterDict, ParameterList, ReLU, Sequential, Sigmoid, SiLU, SmoothL1Loss,
                                Softmax, Softplus, Tanh)

__all__ = ["functional", "utils", "Module", "Parameter", "Linear", "ReLU", "Tanh", "Sigmoid", "Softplus",
           "GELU", "SiLU", "ELU", "LeakyReLU", "LogSigmoid", "Softmax", "LogSoftmax", "LayerNorm",
           "Identity", "Flatten", "Dropout", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
           "ParameterDict", "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss",
           "BCELoss", "BCEWithLogitsLoss"]
