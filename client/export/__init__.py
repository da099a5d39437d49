"""Documents and payroll sheets as ``.xlsx`` workbooks, for people who want Excel."""

from client.export.xlsx import (
    XlsxTable,
    c02a_table,
    c02a_xlsx,
    mau09_table,
    mau09_xlsx,
    write_xlsx,
)

__all__ = ["XlsxTable", "c02a_table", "c02a_xlsx", "mau09_table", "mau09_xlsx", "write_xlsx"]
