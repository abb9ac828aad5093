"""请假: members ask to be excused from an activity before it starts; a manager decides."""
