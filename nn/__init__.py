"""nn: modules, losses, optimizers and weight files on top of `tensor`."""
