"""A project's home and the pages every project page shares."""
