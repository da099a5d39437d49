"""Importers: workbooks and CSV files -> lines of a document."""

from client.importers.salary import import_salary, read_salary, read_salary_lines

__all__ = ["import_salary", "read_salary", "read_salary_lines"]
