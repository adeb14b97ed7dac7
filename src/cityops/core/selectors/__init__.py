"""All permission-scoped reads of the core, one module per concern."""
