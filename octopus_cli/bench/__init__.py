"""``octopus bench``: our runtime against the ways people run Octopus today, in one run.

* :mod:`~octopus_cli.bench.queries`: the fixed query list and its expected calls.
* :mod:`~octopus_cli.bench.worker`: one way of answering (ours, b1, b2, floor,
  transformers) in its own process, so each peak memory figure is that way's alone.
* :mod:`~octopus_cli.bench.suite`: runs the workers, piped throughput and cold start,
  and turns the timings into percentiles and ratios.
* :mod:`~octopus_cli.bench.report`: the table, the JSON file and the PNG plot.
* :mod:`~octopus_cli.bench.shaped`: a random-weight model with Octopus v2's real shapes.
"""
