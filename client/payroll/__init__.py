"""Payroll: the staff register, the month's C02a-HD sheet computed from dated rules, and the
Mẫu 09 lines and "thuyết minh" drawn from it. No Qt; the database through its repositories."""
