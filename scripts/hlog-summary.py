#!/usr/bin/env python3
"""Reads a connbench latency.hlog with HdrHistogram's Python decoder (PyPI `hdrhistogram`,
module `hdrh`), independently of connbench's own decoder, adds the intervals of each tag
and prints one line per tag:

    TAG count=N min=NS max=NS p50=NS p99=NS p99.9=NS intervals=K

Values in nanoseconds, as recorded. With --hgrm FILE it also prints the Value of the
first row at or past percentile 0.5 of that percentile file (`hgrm-p50=VALUE`, in the
file's unit, microseconds for connbench).
"""
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader


def main(argv):
    hlog = argv[1]
    reference = HdrHistogram(1, 3_600_000_000_000, 2)
    reader = HistogramLogReader(hlog, reference)
    sums, intervals = {}, {}
    while True:
        h = reader.get_next_interval_histogram()
        if h is None:
            break
        tag = h.get_tag()
        if tag not in sums:
            sums[tag] = HdrHistogram(h.lowest_trackable_value, h.highest_trackable_value,
                                     h.significant_figures)
            intervals[tag] = 0
        sums[tag].add(h)
        intervals[tag] += 1
    for tag in sorted(sums, key=str):
        s = sums[tag]
        print("%s count=%d min=%d max=%d p50=%d p99=%d p99.9=%d intervals=%d" % (
            tag, s.get_total_count(), s.get_min_value(), s.get_max_value(),
            s.get_value_at_percentile(50), s.get_value_at_percentile(99),
            s.get_value_at_percentile(99.9), intervals[tag]))
    if len(argv) > 3 and argv[2] == "--hgrm":
        with open(argv[3], encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and not line.startswith("#") and parts[0] != "Value":
                    if float(parts[1]) >= 0.5:
                        print("hgrm-p50=%s" % parts[0])
                        break


if __name__ == "__main__":
    main(sys.argv)
