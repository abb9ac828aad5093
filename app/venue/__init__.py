"""The 六有 checklist of party organizations' activity venues, with photo evidence."""
