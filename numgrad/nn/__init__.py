"""`numgrad.nn`: modules, parameters and losses (the subset of `torch.nn` the tutorials use)."""
from numgrad.nn import functional
from numgrad.nn.modules import (CrossEntropyLoss, Linear, Module, MSELoss, Parameter, ReLU,
                                Sequential, Sigmoid, Softplus, Tanh)

__all__ = ["functional", "Module", "Parameter", "Linear", "ReLU", "Tanh", "Sigmoid", "Softplus",
           "Sequential", "MSELoss", "CrossEntropyLoss"]
