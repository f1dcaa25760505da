"""Benchmarks for Reflection Coach: every hot path measured against a floor, in one run.

Why ratios: this machine (2 shared cores) is noisy, so absolute times drift from run to run. Each hot
path is therefore timed beside its *floor* -- the irreducible work it wraps (the raw model encode,
the raw Chroma query, the ideal schedule of a batch, the server's own first token) -- measured in
the same run on the same machine, and reported as a ratio. Benchmarks report; they never fail on a
time. They fail (exit 1) only when something they exercise is broken.

Run ``make bench`` (``python -m benchmarks``): it prints a table and writes ``benchmarks/results.json``
(machine facts, every parameter, every number). ``python -m benchmarks --quick --out FILE`` runs
the same machinery at a tiny size (the smoke test uses it). Everything happens in a temporary
folder (``COACH_DATA_DIR`` points there): the user's store is never touched.

Sections (one module each): ``ingest_bench`` (first and unchanged ingest of a generated corpus
against the raw encode of the same texts), ``retrieve_bench`` (hybrid retrieval against encode +
one Chroma query), ``batch_bench`` (``coach batch`` against a local OpenAI-compatible server with a
fixed latency), ``cli_bench`` (``coach --help``, a cold ``coach reflect``, the import-time
breakdown, and the time from the server's first token to the CLI's stdout), ``local_bench``
(tokens/s of the in-process local model).
"""
