#!/usr/bin/env python
import sys

from zorgveilig.cli import main

if __name__ == "__main__":
    sys.exit(main())
