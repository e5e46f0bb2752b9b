"""Errors found in a grant file, each naming the path of the offending value."""

from backend.common.errors import PathError, PathPart, format_path

__all__ = ["GrantFileError", "GrantFileInvalid", "PathPart", "format_path"]


class GrantFileError(PathError):
    """An error in a grant file; an empty path means the file as a whole."""

    def __str__(self) -> str:
        return f"{self.path or '(file)'}: {self.message}"


class GrantFileInvalid(Exception):
    """A grant file that cannot be imported, with every error found in it (in file order)."""

    def __init__(self, errors: list[GrantFileError]):
        self.errors = list(dict.fromkeys(errors))
        super().__init__("; ".join(str(error) for error in self.errors))
