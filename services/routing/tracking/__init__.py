"""Live tracking, pure: from a vehicle's position and the stops done, the remaining stops'
ETAs, and which moved enough to tell anyone."""
