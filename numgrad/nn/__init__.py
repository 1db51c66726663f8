"""`numgrad.nn`: modules, parameters and losses (the subset of `torch.nn` the tutorials use)."""
from numgrad.nn import functional
from numgrad.nn.modules import (CrossEntropyLoss, Dropout, Flatten, Identity, Linear, Module,
                                ModuleDict, ModuleList, MSELoss, Parameter, ParameterDict,
                                ParameterList, ReLU, Sequential, Sigmoid, Softplus, Tanh)

__all__ = ["functional", "Module", "Parameter", "Linear", "ReLU", "Tanh", "Sigmoid", "Softplus",
           "Identity", "Flatten", "Dropout", "Sequential", "ModuleList", "ModuleDict",
           "ParameterList", "ParameterDict", "MSELoss", "CrossEntropyLoss"]
