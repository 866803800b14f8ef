"""Training: the options, the model and the notebook's reference network, the loop,
checkpoints, run folders."""
