# Hidden tests: never shown to the model.


def check(candidate):
    assert candidate([]) == []
    assert candidate([[]]) == []
    assert candidate([[7]]) == [7]
    assert candidate([[1, 2, 3, 4]]) == [1, 2, 3, 4]
    assert candidate([[1], [2], [3]]) == [1, 2, 3]
    assert candidate([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]) == [1, 2, 3, 4, 8, 12, 11, 10, 9, 5, 6, 7]
    assert candidate([[1, 2], [3, 4]]) == [1, 2, 4, 3]
    n = 30
    m = [[r * n + c for c in range(n)] for r in range(n)]
    out = candidate(m)
    assert sorted(out) == list(range(n * n)) and out[:n] == list(range(n)) and out[-1] == 15 * n + 14
