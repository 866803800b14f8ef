"""The ops: one `Function` subclass each, its forward and backward side by side
under one line of math (``y = eˣ;  dx = g·y``). Read ``unary.py`` first (the
simplest), then ``binary.py``; the others by what they do:

- ``unary.py``, ``binary.py``: elementwise math
- ``reduce.py``: sums, means, maxima over dims
- ``shape.py``: views, indexing, gather, cat, where
- ``linalg.py``: matmul and the fused linear layer
- ``nn.py``: softmax, log-softmax, the losses, dropout
- ``conv.py``: convolution and pooling
- ``nograd.py``: comparisons, argmax, casts, tensors made from a shape (no gradient)
- ``either.py``: what backward formulas need that arrays and Tensors spell
  differently, so that the same backward also records a gradient of a gradient
"""
