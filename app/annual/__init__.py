"""The party-building section of a social organization's annual report (年度报告 党建部分),
generated from the data at each request, with the notes its secretary or committee writes
(issue 13 items 8 and 9)."""
