"""Doc movements between two rankings."""

from searchbench.domain.movements import movements


def test_new_dropped_up_down_same() -> None:
    before = ["a", "b", "c", "d"]
    after = ["c", "a", "e", "d"]  # c up 2, a down 1, e new, d same, b dropped
    left, right = movements(before, after)
    assert [(m.doc_id, m.kind, m.by) for m in right] == [
        ("c", "up", 2),  # 3 -> 1
        ("a", "down", 1),  # 1 -> 2
        ("e", "new", 0),
        ("d", "same", 0),
    ]
    assert [(m.doc_id, m.kind) for m in left] == [
        ("a", "down"),
        ("b", "dropped"),
        ("c", "up"),
        ("d", "same"),
    ]


def test_empty_sides_and_repeats() -> None:
    left, right = movements([], ["x", "x"])
    assert left == [] and [m.kind for m in right] == ["new", "new"]
    left, right = movements(["x", "y", "x"], ["y"])
    assert [(m.doc_id, m.before, m.after) for m in right] == [("y", 2, 1)]
    assert [m.kind for m in left] == ["dropped", "up", "dropped"]


def test_each_movement_has_the_mark_pages_tag_it_with() -> None:
    left, right = movements(["a", "b", "c", "d"], ["c", "a", "e", "d"])
    assert [m.mark for m in right] == ["↑2", "↓1", "new", "="]
    assert [m.mark for m in left] == ["↓1", "dropped", "↑2", "="]
