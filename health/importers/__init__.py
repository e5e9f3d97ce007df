"""Pure readers for health data exports (Apple Health, Google Fit Takeout, Health Connect): see base.py."""
