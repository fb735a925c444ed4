"""The relying-party register's models."""
