"""HTML views of the core, one module per area; thin: parse, check, call a service, render."""
