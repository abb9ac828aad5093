"""Oversight for committees (issue 13): coverage and the affiliation picture, the rating cap,
三会一课 compliance and hollow branches, with their sheets. Read-only figures over a subtree,
set-based SQL through ``org_closure``; the committee's norms and its 综合党委 designation are
what it writes."""
