#!/usr/bin/env python3
"""Predicted and measured timelines of one program, side by side.

    bench/overlap/compare-timelines.py PREDICTED.json MEASURED.json
        [-o MERGED.json] [--rank R] [--top N]

PREDICTED is `braid-estimate trace=FILE`'s Chrome trace, MEASURED is
`braid-run --trace FILE`'s. Writes one Chrome trace with one process per
source ("predicted", "measured") and one thread per rank and stream, which
ui.perfetto.dev opens, and prints per op the predicted and measured start
and duration, then the largest gaps.

Ops are matched by their source location (file name, line and column:
the predicted trace's `args.loc`, the start of the measured span's name,
which the lowering writes as `file:line:col op`), per rank, in time order
among the ops of one location: the lowering may rename an op (arith.truncf
becomes a linalg.generic, braid.all_reduce a braid.cmd.all_reduce) or emit
copies the tensor program has not, so names alone do not match.
"""
import argparse
import json
import os
import re
import sys

LOC = re.compile(r'"([^"]*)":(\d+):(\d+)')
WHERE = re.compile(r'^(.*):(\d+):(\d+) (\S+)$')


class Error(Exception):
    pass


def load(path, what):
    try:
        with open(path) as f:
            trace = json.load(f)
    except OSError as e:
        raise Error("%s: cannot read the %s trace: %s" % (path, what,
                                                           e.strerror))
    except ValueError as e:
        raise Error("%s: the %s trace is not JSON: %s" % (path, what, e))
    events = trace.get("traceEvents") if isinstance(trace, dict) else None
    if not isinstance(events, list):
        raise Error("%s: the %s trace has no traceEvents list (not a Chrome "
                    "trace from %s)" % (path, what, "braid-estimate trace="
                                        if what == "predicted" else
                                        "braid-run --trace"))
    return trace, events


class Span:
    def __init__(self, event, key, name):
        self.event = event
        self.rank = event.get("pid", 0)
        self.stream = event.get("tid", 0)
        self.start = float(event.get("ts", 0))
        self.duration = float(event.get("dur", 0))
        self.key = key      # (file name, line, column) or None
        self.name = name    # the op's name
        self.match = None


def location_key(path, line, column):
    return (os.path.basename(path), int(line), int(column))


def predicted_spans(events):
    spans = []
    for event in events:
        if event.get("ph") != "X":
            continue
        loc = (event.get("args") or {}).get("loc", "")
        found = LOC.search(loc)
        key = location_key(*found.groups()) if found else None
        spans.append(Span(event, key, event.get("name", "?")))
    return spans


def measured_spans(events):
    spans = []
    for event in events:
        if event.get("ph") != "X":
            continue
        name = event.get("name", "?")
        found = WHERE.match(name)
        if found:
            path, line, column, op = found.groups()
            spans.append(Span(event, location_key(path, line, column), op))
        else:
            spans.append(Span(event, None, name))
    return spans


def match(predicted, measured):
    """Pairs spans of one rank and location in time order."""
    def groups(spans):
        result = {}
        for span in sorted(spans, key=lambda s: (s.start, s.stream)):
            if span.key is not None:
                result.setdefault((span.rank, span.key), []).append(span)
        return result
    ours, theirs = groups(predicted), groups(measured)
    pairs = []
    for key, spans in ours.items():
        for p, m in zip(spans, theirs.get(key, [])):
            p.match, m.match = m, p
            pairs.append((p, m))
    return sorted(pairs, key=lambda pair: (pair[0].rank, pair[0].start,
                                           pair[0].stream))


def merge(predicted_trace, measured_trace, predicted, measured, output):
    """One process per source; a thread per (rank, stream) of each."""
    events = []
    sources = [(1, "predicted", predicted_trace, predicted),
               (2, "measured", measured_trace, measured)]
    for pid, label, trace, spans in sources:
        program = (trace.get("otherData") or {}).get("program", "")
        events.append({"name": "process_name", "ph": "M", "pid": pid,
                       "args": {"name": "%s (%s)" % (label, program)
                                if program else label}})
        events.append({"name": "process_sort_index", "ph": "M", "pid": pid,
                       "args": {"sort_index": pid}})
        threads = sorted({(s.rank, s.stream) for s in spans})
        for rank, stream in threads:
            tid = rank * 1000 + stream
            events.append({"name": "thread_name", "ph": "M", "pid": pid,
                           "tid": tid, "args": {"name": "rank %d stream %d"
                                                % (rank, stream)}})
            events.append({"name": "thread_sort_index", "ph": "M",
                           "pid": pid, "tid": tid,
                           "args": {"sort_index": tid}})
        other = "measured" if label == "predicted" else "predicted"
        for span in spans:
            event = dict(span.event)
            event["pid"] = pid
            event["tid"] = span.rank * 1000 + span.stream
            args = dict(event.get("args") or {})
            args["rank"] = span.rank
            if span.match is not None:
                args[other + "_start_us"] = round(span.match.start, 3)
                args[other + "_dur_us"] = round(span.match.duration, 3)
            event["args"] = args
            events.append(event)
    merged = {"traceEvents": events, "displayTimeUnit": "ns",
              "otherData": {"predicted": predicted_trace.get("otherData"),
                            "measured": measured_trace.get("otherData")}}
    temporary = output + ".tmp"
    with open(temporary, "w") as f:
        json.dump(merged, f, indent=1)
        f.write("\n")
    os.replace(temporary, output)


def where(span):
    if span.key is None:
        return "-"
    return "%s:%d:%d" % span.key


def main(argv):
    parser = argparse.ArgumentParser(
        description="Predicted (braid-estimate trace=) and measured "
        "(braid-run --trace) timelines side by side.")
    parser.add_argument("predicted")
    parser.add_argument("measured")
    parser.add_argument("-o", "--output",
                        help="merged Chrome trace (default: MEASURED's name "
                        "with -vs-predicted.json)")
    parser.add_argument("--rank", type=int,
                        help="print this rank's ops only (the merged trace "
                        "has every rank)")
    parser.add_argument("--top", type=int, default=5,
                        help="how many of the largest gaps to list (5)")
    args = parser.parse_args(argv)
    predicted_trace, predicted_events = load(args.predicted, "predicted")
    measured_trace, measured_events = load(args.measured, "measured")
    predicted = predicted_spans(predicted_events)
    measured = measured_spans(measured_events)
    if not measured:
        raise Error("%s: the measured trace has no spans" % args.measured)
    pairs = match(predicted, measured)
    output = args.output or (os.path.splitext(args.measured)[0] +
                             "-vs-predicted.json")
    merge(predicted_trace, measured_trace, predicted, measured, output)

    shown = [pair for pair in pairs
             if args.rank is None or pair[0].rank == args.rank]
    print("predicted: %s (%s); measured: %s (%s)"
          % (args.predicted,
             (predicted_trace.get("otherData") or {}).get("program", "?"),
             args.measured,
             (measured_trace.get("otherData") or {}).get("program", "?")))
    print("%-4s %-6s %-40s %-26s %11s %10s %11s %10s %10s %10s"
          % ("rank", "stream", "op", "location", "pred_start", "pred_dur",
             "meas_start", "meas_dur", "d_start", "d_dur"))
    for p, m in shown:
        name = p.name if p.name == m.name else "%s (%s)" % (p.name, m.name)
        stream = str(p.stream) if p.stream == m.stream else \
            "%d/%d" % (p.stream, m.stream)
        print("%-4d %-6s %-40s %-26s %11.3f %10.3f %11.3f %10.3f %+10.3f "
              "%+10.3f" % (p.rank, stream, name, where(p),
                           p.start, p.duration, m.start, m.duration,
                           m.start - p.start, m.duration - p.duration))

    ranks = sorted({s.rank for s in measured})
    for rank in ranks:
        if args.rank is not None and rank != args.rank:
            continue
        end = lambda spans: max([s.start + s.duration for s in spans
                                 if s.rank == rank] or [0])
        print("rank %d step: predicted %.3f us, measured %.3f us"
              % (rank, end(predicted), end(measured)))

    print("largest duration gaps (measured - predicted):")
    by_duration = sorted(shown, key=lambda pair: -abs(pair[1].duration -
                                                      pair[0].duration))
    for i, (p, m) in enumerate(by_duration[:args.top], 1):
        print("  %d. rank %d %s at %s: measured %.3f us, predicted %.3f us "
              "(%+.3f us)" % (i, p.rank, p.name, where(p), m.duration,
                              p.duration, m.duration - p.duration))
    print("largest start gaps (measured - predicted):")
    by_start = sorted(shown, key=lambda pair: -abs(pair[1].start -
                                                   pair[0].start))
    for i, (p, m) in enumerate(by_start[:args.top], 1):
        print("  %d. rank %d %s at %s: measured at %.3f us, predicted at "
              "%.3f us (%+.3f us)" % (i, p.rank, p.name, where(p), m.start,
                                      p.start, m.start - p.start))

    # Work only one side has: copies the lowering added, ops the model
    # counts as free (zero predicted time), spans without a location.
    measured_only = [s for s in measured if s.match is None and
                     (args.rank is None or s.rank == args.rank)]
    predicted_only = [s for s in predicted if s.match is None and
                      s.duration > 0 and
                      (args.rank is None or s.rank == args.rank)]
    for label, spans in (("measured only", measured_only),
                         ("predicted only", predicted_only)):
        total = sum(s.duration for s in spans)
        print("%s: %d spans, %.3f us%s" % (
            label, len(spans), total,
            "" if not spans else " (" + ", ".join(
                "rank %d %s at %s" % (s.rank, s.name, where(s))
                for s in spans[:args.top]) +
            (", ..." if len(spans) > args.top else "") + ")"))
    print("merged: %d predicted and %d measured spans in %s (one process "
          "per source; open it in ui.perfetto.dev)"
          % (len(predicted), len(measured), output))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Error as e:
        print("compare-timelines: %s" % e, file=sys.stderr)
        sys.exit(1)
    except OSError as e:
        print("compare-timelines: %s" % e, file=sys.stderr)
        sys.exit(1)
