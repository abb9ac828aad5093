"""Roster import (花名册导入, issue 13 item 7): a template, a dry run that reports every row's
errors, a commit that writes all rows or none through the member service, and the uploaded
sheet given back with an 错误 column."""
