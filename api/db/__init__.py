"""The database: engines and sessions, the reader that runs reads, the data version, migrations, backups."""
