"""CLI command groups, one module per part of the data path; ``priorgraph.cli`` assembles them."""
