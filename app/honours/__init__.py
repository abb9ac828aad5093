"""Nominations for the committee's honours (双强党支部, 双强党员, 党员示范岗) and its decision."""
