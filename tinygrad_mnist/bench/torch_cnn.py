"""The application's CNN in PyTorch (imported only where PyTorch is wanted): the
official example's ``Net`` taking the application's (N, 784) pixels in [0, 1]."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from tinygrad_mnist.training.model import MEAN, STD


class TorchCNN(torch.nn.Module):
    """``tinygrad_mnist.training.model.CNN``, layer for layer, in ``torch.nn``."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 32, 3, 1)
        self.conv2 = torch.nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = torch.nn.Dropout(0.25)
        self.dropout2 = torch.nn.Dropout(0.5)
        self.fc1 = torch.nn.Linear(9216, 128)
        self.fc2 = torch.nn.Linear(128, 10)

    def forward(self, x):
        x = ((x - MEAN) / STD).reshape(-1, 1, 28, 28)
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def cnn_to_torch(model) -> TorchCNN:
    """The PyTorch twin with the same weights (and dtype)."""
    twin = TorchCNN()
    if model.conv1.weight.dtype == np.float64:
        twin.double()
    twin.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v.data))
                          for k, v in model.state_dict().items()})
    return twin
