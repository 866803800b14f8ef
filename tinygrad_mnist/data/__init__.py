"""The data: the IDX reader, the bundled MNIST (the .gz files beside this module),
the lookup and download with checksums, the split."""
