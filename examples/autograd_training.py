"""Seed 002, "autograd in training": one SGD step on TinyModel, then gradient accumulation
over 5 backward calls and optimizer.zero_grad(set_to_none=False).

The tutorial's code with `import torch` replaced by `import numgrad as ng`.
"""
import numgrad as ng

BATCH_SIZE = 16
DIM_IN = 1000
HIDDEN_SIZE = 100
DIM_OUT = 10

class TinyModel(ng.nn.Module):

    def __init__(self):
        super(TinyModel, self).__init__()

        self.layer1 = ng.nn.Linear(DIM_IN, HIDDEN_SIZE)
        self.relu = ng.nn.ReLU()
        self.layer2 = ng.nn.Linear(HIDDEN_SIZE, DIM_OUT)

    def forward(self, x):
        x = self.layer1(x)
        x = self.relu(x)
        x = self.layer2(x)
        return x

some_input = ng.randn(BATCH_SIZE, DIM_IN, requires_grad=False)
ideal_output = ng.randn(BATCH_SIZE, DIM_OUT, requires_grad=False)

model = TinyModel()

print(model.layer2.weight[0][0:10]) # just a small slice
print(model.layer2.weight.grad)

optimizer = ng.optim.SGD(model.parameters(), lr=0.001)

prediction = model(some_input)

loss = (ideal_output - prediction).pow(2).sum()
print(loss)

loss.backward()
print(model.layer2.weight[0][0:10])
print(model.layer2.weight.grad[0][0:10])

optimizer.step()
print(model.layer2.weight[0][0:10])
print(model.layer2.weight.grad[0][0:10])

print(model.layer2.weight.grad[0][0:10])

for i in range(0, 5):
    prediction = model(some_input)
    loss = (ideal_output - prediction).pow(2).sum()
    loss.backward()

print(model.layer2.weight.grad[0][0:10])

optimizer.zero_grad(set_to_none=False)

print(model.layer2.weight.grad[0][0:10])
