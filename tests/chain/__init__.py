"""End-to-end credential-chain tests: each source resolved in a clean subprocess."""
