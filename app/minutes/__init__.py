"""会议记录: the minutes of a held activity, their attachments, and the committee's review."""
