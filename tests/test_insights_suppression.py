"""Small-cell suppression (insights.suppression): property tests over random tables of counts.

A reader of a suppressed table knows every count and total shown, that a "<5" (a hidden count that is small
itself) is 1, 2, 3 or 4, and that an "x" (a count hidden to protect a "<5") is 5 or more. For any table of
non-negative counts published with its totals, after suppression:
(a) every count shown is 0 or at least 5; every "<5" is really 1 to 4 and every "x" really 5 or more; zeros
    are never hidden;
(b) no "<5" can be worked out: solving, as linear programmes, for the smallest and largest value each "<5"
    can have given everything shown and those bounds gives an interval at least 1 wide;
(c) nothing is hidden without need: showing any single "x" again (a total or not) would let the linear
    programmes pin a "<5" to one value; a table without small counts is shown whole;
(d) a table is withheld only when even hiding every non-zero count leaves a "<5" pinned.
The module's own check is exact arithmetic on the table as a flow network; the linear programmes here
(scipy's linprog) check it independently, also on hidden sets the rule would not choose.
"""

from __future__ import annotations

from collections.abc import Sequence
from random import Random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from insights.suppression import (
    THRESHOLD,
    Cell,
    Published,
    SuppressedList,
    SuppressedTable,
    suppress_list,
    suppress_table,
)

# Counts from reports are mostly small: draw many of them from 0..12, some larger.
count = st.one_of(st.integers(0, 12), st.integers(0, 60))
tables = st.integers(1, 6).flatmap(
    lambda width: st.lists(st.lists(count, min_size=width, max_size=width), min_size=1, max_size=6)
)
lists = st.lists(count, min_size=0, max_size=14)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Lines = list[list[tuple[int, int]]]


# -- Helpers: the published figures as a system of linear equations ------------------------------------------


def table_cells(table: SuppressedTable) -> list[Cell]:
    """Every published figure of a table, in a fixed order: cells row by row, row totals, column totals,
    grand total."""
    return [
        *(cell for row in table.cells for cell in row),
        *table.row_totals,
        *table.column_totals,
        table.total,
    ]


def table_lines(height: int, width: int) -> Lines:
    """The sums a table publishes: for each row and column, its counts minus its total is zero."""
    row_totals = height * width
    column_totals = row_totals + height
    grand = column_totals + width
    lines = []
    for row in range(height):
        lines.append([(row * width + column, 1) for column in range(width)] + [(row_totals + row, -1)])
    for column in range(width):
        lines.append([(row * width + column, 1) for row in range(height)] + [(column_totals + column, -1)])
    lines.append([(row_totals + row, 1) for row in range(height)] + [(grand, -1)])
    lines.append([(column_totals + column, 1) for column in range(width)] + [(grand, -1)])
    return lines


def list_cells(result: SuppressedList) -> list[Cell]:
    return [*result.cells, result.total]


def list_lines(length: int) -> Lines:
    return [[(index, 1) for index in range(length)] + [(length, -1)]]


def intervals_of_small(cells: Sequence[Cell], lines: Lines) -> dict[int, tuple[float, float]]:
    """For each "<5", its smallest and largest value consistent with everything published: a linear
    programme over the hidden figures, each "<5" between 1 and 4 and each "x" at least 5, with each line's
    shown figures moved to the right."""
    hidden = [index for index, cell in enumerate(cells) if cell.hidden]
    if not hidden:
        return {}
    column = {index: position for position, index in enumerate(hidden)}
    equations, right = [], []
    for line in lines:
        row = np.zeros(len(hidden))
        rest = 0.0
        for index, coefficient in line:
            if index in column:
                row[column[index]] += coefficient
            else:
                rest -= coefficient * cells[index].value
        if row.any():
            equations.append(row)
            right.append(rest)
    bounds = [(1, THRESHOLD - 1) if cells[index].primary else (THRESHOLD, None) for index in hidden]
    found = {}
    for index in hidden:
        if not cells[index].primary:
            continue
        objective = np.zeros(len(hidden))
        objective[column[index]] = 1.0
        problem = {"A_eq": np.array(equations), "b_eq": np.array(right), "bounds": bounds}
        low = linprog(objective, **problem)
        high = linprog(-objective, **problem)
        # A "<5" is bounded by its own mark, and the true values are always a solution.
        assert low.status == 0 and high.status == 0, (low.message, high.message)
        found[index] = (low.fun, -high.fun)
    return found


def pinned(cells: Sequence[Cell], lines: Lines) -> list[int]:
    """The "<5" figures the published values and bounds fix to a single value."""
    return [index for index, (low, high) in intervals_of_small(cells, lines).items() if high - low < 0.5]


def assert_protected(cells: Sequence[Cell], lines: Lines) -> None:
    # (a) what is shown and what the marks say is true
    for cell in cells:
        if not cell.hidden:
            assert cell.value == 0 or cell.value >= THRESHOLD, cell
        elif cell.primary:
            assert 0 < cell.value < THRESHOLD, cell
        else:
            assert cell.value >= THRESHOLD, cell
        assert cell.primary == (0 < cell.value < THRESHOLD)
    # (b) every "<5" keeps an interval at least 1 wide
    for index, (low, high) in intervals_of_small(cells, lines).items():
        assert low - 1e-6 <= cells[index].value <= high + 1e-6
        assert high - low >= 1 - 1e-6, (index, cells[index], low, high)


def assert_nothing_hidden_without_need(cells: Sequence[Cell], lines: Lines, forced: set[int]) -> None:
    # (c) every "x" (not hidden because another table hides it) is needed by itself
    for index, cell in enumerate(cells):
        if cell.hidden and not cell.primary and index not in forced:
            again = list(cells)
            again[index] = Cell(cell.value)
            assert pinned(again, lines), (index, cell)


def assert_withheld_only_when_needed(cells: Sequence[Cell], lines: Lines, kept: set[int]) -> None:
    # (d) hiding every non-zero figure (but those another table shows) still pins a "<5"
    everything = [
        Cell(cell.value, hidden=cell.value > 0 and (index not in kept or cell.primary), primary=cell.primary)
        for index, cell in enumerate(cells)
    ]
    assert pinned(everything, lines)


def marks(cells: Sequence[Cell]) -> list[int | str]:
    return ["<5" if cell.primary else "x" if cell.hidden else cell.value for cell in cells]


# -- Properties -----------------------------------------------------------------------------------------------


@PROPERTY
@given(tables)
def test_no_small_count_of_a_table_can_be_worked_out_from_what_is_shown(values: list[list[int]]) -> None:
    table = suppress_table(values)
    cells, lines = table_cells(table), table_lines(len(values), len(values[0]))
    if table.withheld:
        assert_withheld_only_when_needed(cells, lines, kept=set())
    else:
        assert_protected(cells, lines)


@PROPERTY
@given(lists, st.booleans())
def test_no_small_count_of_a_list_can_be_worked_out_from_its_total(values: list[int], keep: bool) -> None:
    result = suppress_list(values, keep_total=keep)
    cells, lines = list_cells(result), list_lines(len(values))
    if result.withheld:
        assert_withheld_only_when_needed(cells, lines, kept={len(values)} if keep else set())
    else:
        assert_protected(cells, lines)
        assert_nothing_hidden_without_need(cells, lines, forced=set())
    if keep:
        assert result.total.hidden == result.total.primary


@PROPERTY
@given(tables)
def test_a_hidden_grand_total_stays_protected(values: list[list[int]]) -> None:
    table = suppress_table(values, hide_total=True)
    assert table.total.hidden == (table.total.value > 0)
    cells, lines = table_cells(table), table_lines(len(values), len(values[0]))
    if table.withheld:
        assert_withheld_only_when_needed(cells, lines, kept=set())
    else:
        assert_protected(cells, lines)


@FEWER
@given(tables)
def test_no_count_of_a_table_is_hidden_as_x_without_need(values: list[list[int]]) -> None:
    table = suppress_table(values)
    if not table.withheld:
        assert_nothing_hidden_without_need(
            table_cells(table), table_lines(len(values), len(values[0])), forced=set()
        )


@FEWER
@given(tables, st.randoms(use_true_random=False))
def test_the_exact_check_agrees_with_the_linear_programmes(values: list[list[int]], chance: Random) -> None:
    # Any hidden set, not only the one the rule picks: the small counts and some others drawn at random.
    flat = [cell.value for cell in table_cells(suppress_table(values))]
    lines = table_lines(len(values), len(values[0]))
    published = Published(flat, [tuple(line) for line in lines], THRESHOLD)
    extra = {index for index, value in enumerate(flat) if value >= THRESHOLD and chance.random() < 0.4}
    hidden = published.primary | extra
    cells = [Cell(value, index in hidden, index in published.primary) for index, value in enumerate(flat)]
    for index, (low, high) in intervals_of_small(cells, lines).items():
        assert published.movable(index, hidden) == (high - low >= 0.5), (index, low, high)


@FEWER
@given(lists, st.randoms(use_true_random=False))
def test_the_exact_check_agrees_with_the_linear_programmes_for_lists(
    values: list[int], chance: Random
) -> None:
    flat = [*values, sum(values)]
    lines = list_lines(len(values))
    published = Published(flat, [tuple(line) for line in lines], THRESHOLD)
    extra = {index for index, value in enumerate(flat) if value >= THRESHOLD and chance.random() < 0.5}
    hidden = published.primary | extra
    cells = [Cell(value, index in hidden, index in published.primary) for index, value in enumerate(flat)]
    for index, (low, high) in intervals_of_small(cells, lines).items():
        assert published.movable(index, hidden) == (high - low >= 0.5), (index, low, high)


@PROPERTY
@given(tables)
def test_the_true_counts_are_kept_and_add_up(values: list[list[int]]) -> None:
    table = suppress_table(values)
    assert [[cell.value for cell in row] for row in table.cells] == values
    assert [cell.value for cell in table.row_totals] == [sum(row) for row in values]
    assert [cell.value for cell in table.column_totals] == [
        sum(column) for column in zip(*values, strict=True)
    ]
    assert table.total.value == sum(map(sum, values))


@PROPERTY
@given(tables.filter(lambda values: all(value == 0 or value >= THRESHOLD for row in values for value in row)))
def test_a_table_without_small_counts_is_shown_whole_with_its_totals(values: list[list[int]]) -> None:
    table = suppress_table(values)
    assert table.hidden_count == 0
    assert not table.total.hidden and not table.withheld


# -- Known examples -------------------------------------------------------------------------------------------


def test_a_single_small_count_in_a_list_hides_the_next_smallest() -> None:
    result = suppress_list([1, 7, 9, 20])
    # "<5" + "x" = 8 with the x at least 5: the small count is 1, 2 or 3.
    assert marks(result.cells) == ["<5", "x", 9, 20]
    assert marks([result.total]) == [37]


def test_a_small_count_next_to_a_5_is_not_protected_by_hiding_the_5() -> None:
    # Hiding the 5 would publish "<5" + "x" = 6, so x = 5 and the small count is 1: the 8 is hidden instead
    # ("<5" + "x" = 9: 1 + 8 up to 4 + 5).
    result = suppress_list([1, 5, 8])
    assert marks(result.cells) == ["<5", 5, "x"]
    assert marks([result.total]) == [14]
    hiding_the_5 = [Cell(1, True, True), Cell(5, True), Cell(8), Cell(14)]
    assert pinned(hiding_the_5, list_lines(3)) == [0]


def test_zeros_are_shown_and_a_small_total_is_marked_small() -> None:
    result = suppress_list([0, 0, 3])
    assert marks(result.cells) == [0, 0, "<5"]
    assert marks([result.total]) == ["<5"]


def test_two_small_counts_in_a_list_need_nothing_more() -> None:
    result = suppress_list([2, 3, 10])
    assert marks(result.cells) == ["<5", "<5", 10]
    assert marks([result.total]) == [15]


def test_a_list_total_is_hidden_when_nothing_else_protects_the_small_count() -> None:
    result = suppress_list([1, 5])
    assert marks(result.cells) == ["<5", 5]
    assert marks([result.total]) == ["x"]
    assert not result.withheld


def test_a_list_whose_total_another_table_shows_is_withheld_when_nothing_else_protects_it() -> None:
    result = suppress_list([1, 5, 0], keep_total=True)
    assert result.withheld
    assert marks([result.total]) == [6]


def test_four_counts_of_1_under_a_small_total_are_withheld() -> None:
    # Four "<5" adding up to a "<5" can only be 1 + 1 + 1 + 1.
    result = suppress_list([1, 1, 0, 1, 1])
    assert result.withheld
    assert marks([result.total]) == ["<5"]
    assert not suppress_list([1, 1, 0, 1]).withheld


def test_a_table_row_with_one_small_count_hides_what_keeps_it_free() -> None:
    table = suppress_table([[2, 6, 9], [7, 8, 10]])
    assert [marks(row) for row in table.cells] == [["<5", "x", 9], ["x", "x", 10]]
    assert marks(table.row_totals) == [17, 25]
    assert marks(table.column_totals) == [9, 14, 19]
    assert not table.total.hidden
    low, high = intervals_of_small(table_cells(table), table_lines(2, 3))[0]
    assert (low, high) == pytest.approx((1, 3))


def test_a_hidden_grand_total_is_an_x_and_protects_with_the_others() -> None:
    # Kind x channel of the statistics page's test data for 2025: the 2 next to the 6 under a row total of 8
    # is freed by hiding the 8, through the other small counts and the hidden grand total.
    table = suppress_table([[6, 2], [0, 2]], hide_total=True)
    assert [marks(row) for row in table.cells] == [[6, "<5"], [0, "<5"]]
    assert marks(table.row_totals) == ["x", "<5"]
    assert marks(table.column_totals) == [6, "<5"]
    assert marks([table.total]) == ["x"]
    assert_protected(table_cells(table), table_lines(2, 2))


def test_a_chain_of_hidden_counts_is_protected_as_a_whole() -> None:
    values = [[1, 2, 0, 0], [3, 4, 6, 0], [0, 0, 1, 2], [0, 0, 3, 4]]
    table = suppress_table(values)
    assert not table.withheld
    assert_protected(table_cells(table), table_lines(4, 4))


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        suppress_list([3, -1])


def test_rows_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same number"):
        suppress_table([[1, 2], [3]])


def test_a_threshold_whose_mark_gives_the_count_away_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        suppress_list([1, 7], threshold=2)
