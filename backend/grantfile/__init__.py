"""Grant files in and out: the format's checks, import into the record, export from it."""
