import sys

from mapforge.cli.main import main

sys.exit(main())
