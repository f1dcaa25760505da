"""One module per group of `coach` subcommands; each exposes ``register(subparsers)``."""
