"""socketlab's benchmarks: figures printed next to a baseline measured in the same run.

``python -m bench`` (full mode, the numbers we report) or ``python -m bench
--quick`` (a few seconds, for CI).  See :mod:`bench.__main__` for the
options and :mod:`bench.figures` for what each figure measures.

Modules:

* :mod:`bench.timing`: bounded, warmed-up timing loops and their statistics;
* :mod:`bench.procs`: servers in subprocesses (ready line, SIGTERM at the end);
* :mod:`bench.echo`: the bare grpc.aio echo server and its sync clients (the baselines);
* :mod:`bench.figures`: the workloads and how they pair with their baselines;
* :mod:`bench.report`: the table and the ``--json`` document.
"""
