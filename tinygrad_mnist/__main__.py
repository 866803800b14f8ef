from tinygrad_mnist.cli import main

raise SystemExit(main())
