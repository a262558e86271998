"""Small-cell suppression for published tables of counts: every count from 1 to 4 is shown as "<5", and no
such count can be worked out from what is shown.

The rule, as the public statistics page explains it:

1. **Primary suppression.** Every count from 1 to 4 (`THRESHOLD` - 1) is hidden, totals included, and shown
   as "<5". Zeros are shown as 0: that nobody reported something says nothing about a person, and hiding
   zeros would only make the tables harder to read.
2. **What a reader knows.** A table is published with its totals, and a reader can add and subtract. A reader
   also knows what the marks say: a "<5" is 1, 2, 3 or 4 (zeros are shown, so it is not 0), and an "x" (a
   count hidden only to protect a "<5") is 5 or more (a smaller one would have been a "<5"). So showing "<5"
   next to "x" can give a count away where hiding both the same way would not: a "<5" and an "x" that add up
   to 6 are 1 and 5.
3. **Complementary suppression.** For every "<5" in turn, the table is checked: given every count and total
   shown and the bounds the marks give, can that count take at least two values (the smallest and largest
   values it can have, as a linear programme would find them, differ by at least 1)? If not, another count is
   hidden and shown as "x": the first non-zero count shown that alone makes the check pass, trying first the
   counts in the same row or column as the "<5" (their totals included), then those in the other rows and
   columns its chain of hidden counts runs through, each group smallest first (a count inside the table
   before a total of the same size). When none does alone, the first of them is hidden and the check runs
   again. Hiding a count never makes a passed check fail, so each "<5" is checked until it passes, then the
   next.
4. **Shown again.** A count hidden along the way that later hiding made unnecessary is shown again: totals
   first, then the other counts, the largest first, each only when every "<5" still passes the check.
5. **Withheld.** Sometimes even hiding every non-zero count cannot protect a "<5": a row whose total of 4
   is four counts of 1 (four "<5" adding up to a "<5"), or a "<5" next to a single 5 under a total of 6 that
   another table shows. The table is then `withheld` and must not be published at all, only its total where
   that is shown anyway. That a table is withheld tells a reader that some such line is in it, not which.

The check is exact, in whole numbers. The published sums of a table with its totals (and of a list with its
total) form a flow network: every figure is an arc between two lines (a figure in one line only runs from
outside), and a line's figures flowing in equal those flowing out. Every set of values consistent with what
is published is then a flow within the bounds (a "<5" between 1 and 4, an "x" at least 5, a figure shown
exactly itself), and a "<5" can change by one exactly when the residual graph of the true values has a
cycle through its arc. Such bounds on a network are integral, so this is the same as the linear programme's
interval being at least 1 wide (tests/test_insights_suppression.py checks it with scipy's linprog).

Tables are counts of reports, not weights; the rule does not protect against a reader comparing the page
before and after one new report arrives (the figures change only when the analytics database is rebuilt),
and it treats each table on its own: what one table shows is known to another only through the totals a
caller passes as `keep_total` or `hide_total`.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

THRESHOLD = 5


@dataclass(frozen=True)
class Cell:
    """One published count: `value` is the true count, which a public page shows only when not `hidden`.
    A hidden count is `primary` when it is small itself (shown as "<5"), otherwise it is hidden to protect a
    small one (shown as "x", and then at least `THRESHOLD`)."""

    value: int
    hidden: bool = False
    primary: bool = False

    @property
    def shown(self) -> int | None:
        return None if self.hidden else self.value


@dataclass(frozen=True)
class SuppressedList:
    """A table of one dimension and its total. When `withheld`, no hiding could protect a small count: only
    the total may be published (as its own cell says)."""

    cells: tuple[Cell, ...]
    total: Cell
    withheld: bool = False

    @property
    def hidden_count(self) -> int:
        return sum(cell.hidden for cell in (*self.cells, self.total))


@dataclass(frozen=True)
class SuppressedTable:
    """A table of two dimensions with a total per row, per column and overall (`withheld` as for a list)."""

    cells: tuple[tuple[Cell, ...], ...]
    row_totals: tuple[Cell, ...]
    column_totals: tuple[Cell, ...]
    total: Cell
    withheld: bool = False

    @property
    def hidden_count(self) -> int:
        every = [*self.row_totals, *self.column_totals, self.total]
        every += [cell for row in self.cells for cell in row]
        return sum(cell.hidden for cell in every)


# A line of the table: the counts it adds up (coefficient 1) and its total (coefficient -1), as indexes
# into the flat list of every published count.
Line = tuple[tuple[int, int], ...]


def suppress_list(
    values: Sequence[int], *, threshold: int = THRESHOLD, keep_total: bool = False
) -> SuppressedList:
    """Suppress a list of counts published with their sum.

    `keep_total` is for a total that another table shows anyway: it is never hidden to protect a count of
    this list (only when it is small itself), so the list is withheld when nothing else protects it."""
    counts = _checked(values)
    total_index = len(counts)
    flat = [*counts, sum(counts)]
    line: Line = (*((index, 1) for index in range(len(counts))), (total_index, -1))
    hidden, primary, withheld = _suppress(
        flat,
        [line],
        totals={total_index},
        forced=set(),
        kept={total_index} if keep_total else set(),
        threshold=threshold,
    )
    cells = [_cell(flat, index, hidden, primary) for index in range(len(flat))]
    return SuppressedList(tuple(cells[:-1]), cells[-1], withheld)


def suppress_table(
    values: Sequence[Sequence[int]], *, threshold: int = THRESHOLD, hide_total: bool = False
) -> SuppressedTable:
    """Suppress a table of counts published with its row, column and grand totals.

    `hide_total` hides the grand total whatever its value, for a total that another table already hides
    (shown as "x" when it is not small itself; the rule then counts it like any other "x")."""
    rows = [_checked(row) for row in values]
    width = len(rows[0]) if rows else 0
    if any(len(row) != width for row in rows):
        raise ValueError("every row of the table needs the same number of counts")
    height = len(rows)

    def at(row: int, column: int) -> int:
        return row * width + column

    flat = [value for row in rows for value in row]
    row_total_start = len(flat)
    flat += [sum(row) for row in rows]
    column_total_start = len(flat)
    flat += [sum(row[column] for row in rows) for column in range(width)]
    grand = len(flat)
    flat.append(sum(flat[row_total_start:column_total_start]))

    lines: list[Line] = []
    for row in range(height):
        lines.append((*((at(row, column), 1) for column in range(width)), (row_total_start + row, -1)))
    for column in range(width):
        lines.append((*((at(row, column), 1) for row in range(height)), (column_total_start + column, -1)))
    lines.append((*((row_total_start + row, 1) for row in range(height)), (grand, -1)))
    lines.append((*((column_total_start + column, 1) for column in range(width)), (grand, -1)))
    totals = set(range(row_total_start, len(flat)))
    hidden, primary, withheld = _suppress(
        flat,
        lines,
        totals=totals,
        forced={grand} if hide_total and flat[grand] else set(),
        kept=set(),
        threshold=threshold,
    )
    cells = [_cell(flat, index, hidden, primary) for index in range(len(flat))]
    return SuppressedTable(
        cells=tuple(tuple(cells[at(row, 0) : at(row, 0) + width]) for row in range(height)),
        row_totals=tuple(cells[row_total_start:column_total_start]),
        column_totals=tuple(cells[column_total_start:grand]),
        total=cells[grand],
        withheld=withheld,
    )


def _checked(values: Iterable[int]) -> list[int]:
    counts = [int(value) for value in values]
    if any(value < 0 for value in counts):
        raise ValueError("counts cannot be negative")
    return counts


def _cell(flat: list[int], index: int, hidden: set[int], primary: set[int]) -> Cell:
    return Cell(flat[index], index in hidden, index in primary)


def _suppress(
    flat: list[int],
    lines: list[Line],
    *,
    totals: set[int],
    forced: set[int],
    kept: set[int],
    threshold: int,
) -> tuple[set[int], set[int], bool]:
    """The indexes hidden, those of them hidden for being small, and whether the table must be withheld.
    `forced` are hidden whatever their value; `kept` are never hidden to protect another count."""
    if threshold < 3:
        raise ValueError("a threshold below 3 would make a mark such as '<2' give the count away")
    published = Published(flat, lines, threshold)
    primary = published.primary
    hidden = primary | forced

    def key(index: int) -> tuple[int, bool, int]:
        # Smallest first; a count inside the table before a total of the same size.
        return (flat[index], index in totals, index)

    for target in sorted(primary):
        while not published.movable(target, hidden):
            near, far = published.neighbours(target, hidden)
            options = [
                index
                for group in (near, far)
                for index in sorted((i for i in group if flat[i] > 0 and i not in kept), key=key)
            ]
            if not options:
                # Nothing that touches the small count's chain of hidden counts is left to hide, and hiding
                # anything elsewhere cannot reach it: no table with these totals protects it.
                every = {index for index, value in enumerate(flat) if value > 0 and index not in kept}
                return every | primary | forced, primary, True
            freeing = next((index for index in options if published.movable(target, hidden | {index})), None)
            hidden.add(freeing if freeing is not None else options[0])

    complementary = hidden - primary - forced
    order = sorted(complementary, key=lambda index: (index not in totals, -flat[index], index))
    for index in order:
        if published.protected(hidden - {index}):
            hidden = hidden - {index}
    return hidden, primary, False


class Published:
    """What a reader knows of one table: the sums it publishes (`lines`), every count shown, and the bounds
    the marks give to the hidden ones. `flat` holds the true values, which the check starts from.

    The lines are seen as a flow network (see the module docstring): each line a node, signed so that every
    figure in two lines enters one and leaves the other; a figure in one line only comes from or goes to the
    node `outside`, which has no sum to keep."""

    def __init__(self, flat: Sequence[int], lines: Sequence[Line], threshold: int) -> None:
        self.flat = list(flat)
        self.threshold = threshold
        self.primary = {index for index, value in enumerate(self.flat) if 0 < value < threshold}
        self.outside = len(lines)
        self.ends = _arcs(lines, len(self.flat), self.outside)

    def bounds(self, index: int, hidden: set[int]) -> tuple[int, float]:
        if index not in hidden:
            return self.flat[index], self.flat[index]
        if index in self.primary:
            return 1, self.threshold - 1
        return self.threshold, float("inf")

    def movable(self, index: int, hidden: set[int]) -> bool:
        """Whether the hidden count at `index` can take another whole value, one up or one down, with every
        published sum and bound still kept."""
        value = self.flat[index]
        low, high = self.bounds(index, hidden)
        ends = self.ends.get(index)
        if ends is None:
            return high - low >= 1
        tail, head = ends
        graph = self._residual(hidden, leave_out=index)
        # One more on the arc tail -> head: one unit has to flow back from head to tail; one less: from tail
        # to head.
        return (value < high and _reaches(graph, head, tail)) or (value > low and _reaches(graph, tail, head))

    def protected(self, hidden: set[int]) -> bool:
        return all(self.movable(index, hidden) for index in self.primary)

    def neighbours(self, index: int, hidden: set[int]) -> tuple[set[int], set[int]]:
        """The counts shown in the lines of `index` (near), and those shown in the other lines its chain of
        hidden counts runs through (far)."""
        tail, head = self.ends[index]
        nodes = {tail, head}
        queue = deque(nodes)
        while queue:
            node = queue.popleft()
            for other in hidden:
                ends = self.ends.get(other)
                if ends and node in ends:
                    for end in ends:
                        if end not in nodes:
                            nodes.add(end)
                            queue.append(end)
        near: set[int] = set()
        far: set[int] = set()
        for other, ends in self.ends.items():
            if other in hidden:
                continue
            if tail in ends or head in ends:
                near.add(other)
            elif nodes & set(ends):
                far.add(other)
        return near, far

    def _residual(self, hidden: set[int], *, leave_out: int) -> dict[int, list[int]]:
        graph: dict[int, list[int]] = defaultdict(list)
        for index in hidden:
            if index == leave_out or index not in self.ends:
                continue
            tail, head = self.ends[index]
            low, high = self.bounds(index, hidden)
            if self.flat[index] < high:
                graph[tail].append(head)
            if self.flat[index] > low:
                graph[head].append(tail)
        return graph


def _reaches(graph: dict[int, list[int]], start: int, goal: int) -> bool:
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for following in graph.get(node, ()):
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return False


def _arcs(lines: Sequence[Line], size: int, outside: int) -> dict[int, tuple[int, int]]:
    """Each figure's arc (tail node, head node): the lines are signed so that a figure in two lines has +1 in
    one (flows in there) and -1 in the other (flows out); a figure in one line flows between it and
    `outside`. Raises ValueError for sums that are no flow network (a figure in three lines, say)."""
    places: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for number, line in enumerate(lines):
        for index, coefficient in line:
            if coefficient not in (1, -1) or not 0 <= index < size:
                raise ValueError("a line adds up figures of the table with coefficients 1 and -1")
            places[index].append((number, coefficient))
    if any(len(found) > 2 for found in places.values()):
        raise ValueError("a figure in more than two sums: the check needs a table with totals")
    sign: dict[int, int] = {}
    for start in range(len(lines)):
        if start in sign:
            continue
        sign[start] = 1
        queue = deque([start])
        while queue:
            number = queue.popleft()
            for index, coefficient in lines[number]:
                for other, other_coefficient in places[index]:
                    if other == number:
                        continue
                    wanted = -sign[number] * coefficient * other_coefficient
                    if other not in sign:
                        sign[other] = wanted
                        queue.append(other)
                    elif sign[other] != wanted:
                        raise ValueError("these sums are no flow network: the check cannot be made exactly")
    ends: dict[int, tuple[int, int]] = {}
    for index, found in places.items():
        if len(found) == 1:
            number, coefficient = found[0]
            ends[index] = (outside, number) if sign[number] * coefficient == 1 else (number, outside)
        else:
            (first, first_coefficient), (second, _) = found
            ends[index] = (second, first) if sign[first] * first_coefficient == 1 else (first, second)
    return ends
