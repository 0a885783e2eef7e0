"""The dashboard's filter columns: the values of final runs a filter expression
names, kept as numpy columns (``harness.sdk.search_columns``) until a final run
comes, changes or goes.

A final run's record no longer changes, so its metrics, params, tags and
attributes are read into columns once and every later page filters 100,000 runs
with a few array operations. Runs that are not final yet (their metrics are read
live) and final runs without recorded metrics (the predicate reads their metric
files) are asked the per-run predicate, as is an expression the columns cannot
answer exactly (``NotColumnar``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import compress, repeat

import numpy as np

from harness.run.record import RunRecord
from harness.sdk.search import lookup, parse_tree
from harness.sdk.search_columns import ColumnValues, NotColumnar, evaluate
from harness.ui.runindex import RunIndex

#: Columns kept at once (each ~2–3 MB at 100,000 runs); the oldest used goes first.
MAX_COLUMNS = 32


class FilterColumns:
    def __init__(self, index: RunIndex) -> None:
        self.index = index
        self._lock = threading.Lock()
        self._generation = -1
        self._runs: list[RunRecord] = []
        self._position: dict[int, int] = {}
        self._columns: dict[tuple[str, str], ColumnValues] = {}

    def select(
        self,
        where: str,
        records: list[RunRecord],
        matches: Callable[[RunRecord], bool],
    ) -> list[RunRecord]:
        """The ``records`` that ``where`` matches, in their order; ``matches`` is the
        per-run predicate of the same expression, for the runs the columns leave out."""
        runs, position, column = self._snapshot()
        try:
            mask = evaluate(parse_tree(where), column) if runs else np.zeros(0, bool)
        except NotColumnar:
            return [r for r in records if matches(r)]
        # Where each record sits in the columns, by its address: C-level passes that
        # never touch the 100,000 records themselves (reading each one's id was most
        # of the cost). A record that is not the columns' own object (a live run, a
        # record re-read since) is at -1 and asked of the predicate.
        at = np.array(list(map(position.get, list(map(id, records)), repeat(-1))), np.int64)
        held = at >= 0
        keep = np.zeros(len(records), dtype=bool)
        keep[held] = mask[at[held]]
        for i in np.flatnonzero(~held).tolist():
            keep[i] = matches(records[i])
        return list(compress(records, keep.tolist()))

    def _snapshot(
        self,
    ) -> tuple[list[RunRecord], dict[int, int], Callable[[str, str], ColumnValues]]:
        with self._lock:
            if self.index.final_generation != self._generation:
                generation, finals = self.index.final_runs()
                # a final run without metrics in its record: the predicate reads its files
                self._runs = [r for r in finals if r.metrics]
                # by address: the columns hold every run, so no address is reused
                self._position = dict(zip(map(id, self._runs), range(len(self._runs)), strict=True))
                self._columns = {}
                self._generation = generation
            runs, position, columns = self._runs, self._position, self._columns

        def column(kind: str, key: str) -> ColumnValues:
            with self._lock:
                found = columns.get((kind, key))
                if found is not None:
                    columns[(kind, key)] = columns.pop((kind, key))  # most recently used
                    return found
            read = lookup(kind, key)
            params = self.index.params
            values = ColumnValues([read(r, params(r), r.metrics) for r in runs])
            with self._lock:
                columns[(kind, key)] = values
                while len(columns) > MAX_COLUMNS:
                    columns.pop(next(iter(columns)))
            return values

        return runs, position, column
