"""The two self-contained HTML reports: the batch run's (``batch``) and the eval's (``evals``).

Both are Jinja2 templates with autoescape (``templates/``), charts are data (``charts``) drawn by one
template macro, and answers' Markdown goes through markdown-it-py with raw HTML, links and images off
(``markdown``): the reports hold hostile markup on purpose and must show it, never run or fetch it.
"""
