"""National-scale benchmarks (DESIGN §7, issue 9): a data generator and a runner.

`python -m benchmarks.generate` fills a dedicated PostgreSQL database with the
national region list x the 56 indicators x 15 years of approved figures and five
years of targets; `python -m benchmarks.run` (`make bench`) measures scoring,
dashboards, import and the PDF report against the time PostgreSQL itself needs to
read the same rows. Results and method: docs/PERFORMANCE.md.
"""
