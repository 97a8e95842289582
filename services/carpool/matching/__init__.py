"""Pure matching: exact insertion of a passenger into a ride, the prefilter, and ranking."""
