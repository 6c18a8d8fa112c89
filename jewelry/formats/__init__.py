"""Date formats the back office shows (FORMAT_MODULE_PATH): times to the second, year first."""
