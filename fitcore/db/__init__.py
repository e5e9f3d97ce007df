"""Database backends: Django's, with what FitCore changes about them."""
