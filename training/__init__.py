"""Training and calibration: the scripts that write the fitted files the product loads.

Run from the repository's root (``python -m training.need_train --train`` ...); each script reads the
repository's evals/ and ../shared/data/ files and writes into ``coach/`` by package path. Nothing in
``coach/`` imports from here: the product only loads what these scripts wrote.
"""
