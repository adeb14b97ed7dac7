"""All writes of the core, one module per concern. Other apps import the functions from these modules."""
