# ruff: noqa
"""d2l-ai/d2l-en chapter_linear-networks/softmax-regression-concise (PyTorch tab,
v0.17). Adapted: Fashion-MNIST from the bundled files, a subset (d2l stand-in); 3
epochs instead of 10; plots dropped."""
import torch
from torch import nn
from d2l import torch as d2l

batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)

# PyTorch does not implicitly reshape the inputs. Thus we define the flatten
# layer to reshape the inputs before the linear layer in our network
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)

net.apply(init_weights);
print(net)

loss = nn.CrossEntropyLoss(reduction='none')

trainer = torch.optim.SGD(net.parameters(), lr=0.1)

num_epochs = 3
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)
