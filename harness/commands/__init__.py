"""One module per ``harness`` subcommand; each exposes ``main(args) -> int``."""
