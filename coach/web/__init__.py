"""The manager's page. ``app.py`` here is the Streamlit script; it lives inside the package so that a
non-editable install (``pip install .``) can still run ``coach app`` from any directory."""
