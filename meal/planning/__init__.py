"""Meal plan generation.

``foods`` decides which foods may appear for a user's preferences and what part each can
play in a meal; ``optimizer`` turns those candidates and daily targets into days of meals
with a mixed-integer program. Both are pure Python (no database access): the Django glue
that loads foods and saves plans lives beside them.
"""
