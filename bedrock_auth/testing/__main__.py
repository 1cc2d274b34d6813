"""``python -m bedrock_auth.testing``: the same as ``bedrock-auth emulator``."""

from __future__ import annotations

import sys

from bedrock_auth.cli import main

if __name__ == "__main__":
    sys.exit(main(["emulator", *sys.argv[1:]]))
