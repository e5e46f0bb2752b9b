"""Errors found in a grant file, each naming the path of the offending value: kinds of the
domain's common errors, so that the API answers them like any other invalid input."""

from backend.common.errors import InvalidInput, PathError, PathPart, format_path

__all__ = ["GrantFileError", "GrantFileInvalid", "PathPart", "format_path"]


class GrantFileError(PathError):
    """An error in a grant file; an empty path means the file as a whole."""

    def __str__(self) -> str:
        return f"{self.path or '(file)'}: {self.message}"


class GrantFileInvalid(InvalidInput):
    """A grant file that cannot be imported, with every error found in it (in file order)."""
