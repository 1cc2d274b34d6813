"""``python -m bedrock_auth`` runs the ``bedrock-auth`` command line."""

from bedrock_auth.cli import main

raise SystemExit(main())
