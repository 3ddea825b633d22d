"""Files attached to tasks: uploads sniffed by their bytes, kept as files or in the database."""
