"""One Vietnamese format on every page, message, history row and export, whatever the language: dates
dd/mm/yyyy, times 24 h, a decimal comma and a dot between thousands (Django's own `vi` module writes
dd-mm-yyyy and "Ngày 3 tháng 12 năm 2026"; its `en` module m/d/Y and a decimal point). Found through
`FORMAT_MODULE_PATH`; the English module re-exports this one."""

DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "m/Y"
MONTH_DAY_FORMAT = "d/m"
FIRST_DAY_OF_WEEK = 1  # Monday
# The input formats stay Django's: the pages' date pickers and the API send ISO dates.
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
