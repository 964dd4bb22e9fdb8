"""Whole-corpus exports in other data models: FollowTheMoney entities."""
