"""Relation transfers (组织关系转接, issue 13 item 6)."""
