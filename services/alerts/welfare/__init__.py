"""The welfare check (a senior did not answer the door) and the family's delivery SMS."""
