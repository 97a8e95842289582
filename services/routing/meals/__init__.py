"""Meals for seniors, pure: profiles and pauses, who reaches a senior, cutoffs, orders, the
day's deliveries and the kitchen sheet. No I/O: the store and the service do that."""
